// /db/backup.
#include <unistd.h>

#include <atomic>
#include <boost/asio/post.hpp>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>

#include "server/api.h"
#include "server/api_call.h"
#include "sluice/backup.h"

namespace sluice::server {
namespace {

// Where one GET /db/backup writes its copy: beside the database (same filesystem, not a RAM
// /tmp), a name no other request or process uses.
std::string backup_path(const std::string& db_path) {
  static std::atomic<std::uint64_t> next{0};
  return db_path + "-http-backup-" + std::to_string(::getpid()) + "-" +
         std::to_string(next.fetch_add(1, std::memory_order_relaxed));
}

// The whole file, or Error(IoError).
std::string read_whole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) throw Error(ErrorCode::IoError, "cannot read back '" + path + "'");
  return bytes;
}

}  // namespace

void Api::backup(std::shared_ptr<Call> call) {
  if (const std::string* fmt = call->params.find("fmt"); fmt != nullptr && *fmt != "binary") {
    return call->answer(text_error(http::status::bad_request,
                                   "fmt=" + *fmt + " is not supported: only the binary format"));
  }
  boost::asio::post(reads_, [this, call] {
    // The copy `sluice backup` makes (Database::backup_to): one read transaction while the
    // writer goes on, integrity-checked, self-contained (journal_mode=DELETE, no -wal needed).
    // It is written to a file, read back into the response body and removed.
    const std::string path = backup_path(db_.path());
    std::string file;
    try {
      BackupOptions options;
      options.overwrite = true;
      db_.backup_to(path, options);
      file = read_whole(path);
    } catch (const Error& e) {
      std::remove(path.c_str());
      return call->answer(text_error(http::status::service_unavailable, e.what()));
    }
    std::remove(path.c_str());
    call->answer(make_response(http::status::ok, std::move(file), "application/octet-stream"));
  });
}

}  // namespace sluice::server
