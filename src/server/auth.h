// Auth: HTTP basic authentication with rqlite's credentials file and permissions.
//
// The file is a JSON array (rqlite's format, rqlite.io Guides/Security):
//   [{"username": "bob",  "password": "$2b$10$...", "perms": ["all"]},
//    {"username": "mary", "password": "$2b$10$...", "perms": ["query", "backup"]},
//    {"username": "*",    "perms": ["status", "ready"]}]
// A password starting with "$2" is a bcrypt hash (checked with libxcrypt's crypt_r; the
// hash's cost applies). Anything else is a plaintext password, accepted as rqlite accepts it,
// with a warning at startup. The user "*" grants its permissions to every request, with or
// without credentials.
//
// The check (rqlite's CredentialsStore.AA): allowed when "*" has the permission (or "all");
// otherwise the request needs a known user, the right password, and the permission (or "all").
// Comparisons run in constant time. A bcrypt check costs milliseconds by design, so after a
// user's first successful check the verified password is kept in memory and later requests
// compare against it (in constant time) instead of hashing again.
//
// Thread-safety: allowed() may be called from any thread.
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::server {

class Auth {
 public:
  // Parses a credentials file's text. Throws Error(InvalidArgument) naming what is wrong
  // (not JSON, not an array, a user without a name, an unknown permission, a bad hash).
  static Auth parse(std::string_view json);
  // Reads and parses `path`. Throws Error(CantOpen) when it cannot be read.
  static Auth load(const std::string& path);

  // A bcrypt hash ($2b$, `cost` = log2 of the rounds, 4..31) of `password`, with a random salt,
  // for the credentials file. Throws Error(InvalidArgument) for a bad cost, Error(Internal)
  // when no random salt can be had.
  static std::string hash_password(std::string_view password, int cost = 10);

  Auth(Auth&& other) noexcept;

  // `authorization` is the Authorization header's value ("" when absent); `perm` one of all,
  // execute, query, status, ready, backup, load. True when the request may go on.
  bool allowed(std::string_view authorization, std::string_view perm);

  // Findings at load, e.g. plaintext passwords.
  const std::vector<std::string>& warnings() const noexcept { return warnings_; }

 private:
  Auth() = default;
  struct User {
    std::string password;  // a bcrypt hash, or plaintext
    std::set<std::string, std::less<>> perms;
  };
  static bool has(const User& u, std::string_view perm);
  bool password_ok(const std::string& name, User& user, std::string_view given);

  std::map<std::string, User, std::less<>> users_;  // without "*"
  User anyone_;                                     // the "*" entry (no perms if absent)
  std::vector<std::string> warnings_;
  std::mutex mutex_;
  std::map<std::string, std::string, std::less<>> verified_;  // guarded by mutex_
};

// Decodes standard base64 (padding optional); false on a character outside the alphabet.
bool base64_decode(std::string_view text, std::string& out);

}  // namespace sluice::server
