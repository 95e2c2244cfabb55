// Small POSIX file helpers for backups and replicas: whole-file reads and durable writes
// (write to a temporary name, fsync, rename, fsync the directory). Errors are sluice::Error
// (IoError, DiskFull, CantOpen) naming the file.
//
// Thread-safety: free functions without shared state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::backup {

bool file_exists(const std::string& path) noexcept;
// Size in bytes; -1 when the file does not exist.
std::int64_t file_size(const std::string& path) noexcept;
// The directory part of `path` ("." when it has none).
std::string parent_dir(const std::string& path);
// Throws IoError naming `what` (a file or directory) with errno's text.
[[noreturn]] void throw_errno(std::string_view action, const std::string& what);

void fsync_path(const std::string& path);  // fsync of a file or directory
void fsync_dir_of(const std::string& path);
// rename(from, to), then fsync of `to`'s directory.
void durable_rename(const std::string& from, const std::string& to);
// Writes `data` to `path` durably: `path`.tmp, fsync, rename, fsync the directory.
void write_file_durably(const std::string& path, std::string_view data);
// The whole file. Throws IoError (CantOpen when missing) naming it.
std::string read_file(const std::string& path);
// Creates `path` and missing parents (like mkdir -p). Throws IoError.
void make_dirs(const std::string& path);
// Names of the entries of directory `path` (no "." or ".."), sorted; empty when missing.
std::vector<std::string> list_dir(const std::string& path);

}  // namespace sluice::backup
