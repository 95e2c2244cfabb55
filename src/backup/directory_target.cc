// The directory ReplicaTarget: objects are files under the directory, written to a temporary
// name, fsynced and renamed (backup/file_io.h), so a crash leaves either the old state or the
// whole new object.
#include <cerrno>
#include <cstdio>

#include "backup/file_io.h"
#include "sluice/error.h"
#include "sluice/replica.h"

namespace sluice {
namespace {

class DirectoryTarget final : public ReplicaTarget {
 public:
  explicit DirectoryTarget(std::string dir) : dir_(std::move(dir)) {}

  std::string describe() const override { return "directory " + dir_; }

  void put(const std::string& name, std::string_view data) override {
    const std::string path = full(name);
    backup::make_dirs(backup::parent_dir(path));
    backup::write_file_durably(path, data);
  }

  void put_file(const std::string& name, const std::string& local_path) override {
    const std::string path = full(name);
    backup::make_dirs(backup::parent_dir(path));
    if (std::rename(local_path.c_str(), path.c_str()) == 0) {
      backup::fsync_dir_of(path);
      return;
    }
    if (errno != EXDEV) backup::throw_errno("rename to " + path + " from", local_path);
    // Another filesystem: copy durably, then drop the local file.
    backup::write_file_durably(path, backup::read_file(local_path));
    std::remove(local_path.c_str());
  }

  std::string get(const std::string& name) const override {
    const std::string path = full(name);
    if (!backup::file_exists(path)) {
      throw Error(ErrorCode::CantOpen, "replica object '" + path + "' is missing");
    }
    return backup::read_file(path);
  }

  std::vector<std::string> list(const std::string& prefix) const override {
    std::vector<std::string> names;
    for (std::string& n : backup::list_dir(full(prefix))) {
      if (n.size() > 4 && n.ends_with(".tmp")) continue;  // a put() in progress or cut short
      names.push_back(std::move(n));
    }
    return names;
  }

  std::int64_t size(const std::string& name) const override {
    return backup::file_size(full(name));
  }

 private:
  std::string full(const std::string& name) const {
    return name.empty() ? dir_ : dir_ + "/" + name;
  }
  const std::string dir_;
};

}  // namespace

std::unique_ptr<ReplicaTarget> directory_target(const std::string& dir) {
  return std::make_unique<DirectoryTarget>(dir);
}

}  // namespace sluice
