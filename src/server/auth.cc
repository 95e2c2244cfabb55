#include "server/auth.h"

#include <crypt.h>

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "sluice/error.h"

namespace sluice::server {
namespace {

constexpr const char* kPerms[] = {"all",      "execute",    "query", "status",           "ready",
                                  "backup",   "load",       "join",  "join-read-only",   "remove",
                                  "snapshot", "leader-ops", "ui",    "join-read-replica"};

// Constant-time equality: the time depends on the lengths only.
bool same(std::string_view a, std::string_view b) {
  unsigned diff = a.size() == b.size() ? 0 : 1;
  const std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

bool is_bcrypt(const std::string& password) { return password.rfind("$2", 0) == 0; }

}  // namespace

bool base64_decode(std::string_view text, std::string& out) {
  out.clear();
  unsigned buffer = 0;
  int bits = 0;
  for (char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      v = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      v = c - '0' + 52;
    } else if (c == '+') {
      v = 62;
    } else if (c == '/') {
      v = 63;
    } else if (c == '=') {
      break;
    } else {
      return false;
    }
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  return true;
}

Auth::Auth(Auth&& other) noexcept
    : users_(std::move(other.users_)),
      anyone_(std::move(other.anyone_)),
      warnings_(std::move(other.warnings_)),
      verified_(std::move(other.verified_)) {}

Auth Auth::parse(std::string_view text) {
  const auto doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_array()) {
    throw Error(ErrorCode::InvalidArgument,
                "credentials file: expected a JSON array of {username, password, perms}");
  }
  Auth auth;
  for (const auto& entry : doc) {
    if (!entry.is_object() || !entry.contains("username") || !entry["username"].is_string()) {
      throw Error(ErrorCode::InvalidArgument, "credentials file: an entry without a username");
    }
    const std::string name = entry["username"].get<std::string>();
    User user;
    if (entry.contains("password")) {
      if (!entry["password"].is_string()) {
        throw Error(ErrorCode::InvalidArgument,
                    "credentials file: " + name + ": password must be a string");
      }
      user.password = entry["password"].get<std::string>();
    }
    for (const auto& p : entry.value("perms", nlohmann::json::array())) {
      const std::string perm = p.is_string() ? p.get<std::string>() : "";
      if (std::find(std::begin(kPerms), std::end(kPerms), perm) == std::end(kPerms)) {
        throw Error(ErrorCode::InvalidArgument,
                    "credentials file: " + name + ": unknown permission '" + perm + "'");
      }
      user.perms.insert(perm);
    }
    if (name == "*") {
      auth.anyone_ = std::move(user);
      continue;
    }
    if (is_bcrypt(user.password)) {
      // A full bcrypt hash is 60 characters: $2b$NN$ + 22 of salt + 31 of hash.
      if (user.password.size() != 60 || crypt_checksalt(user.password.c_str()) != CRYPT_SALT_OK) {
        throw Error(ErrorCode::InvalidArgument,
                    "credentials file: " + name + ": the password hash is not a valid bcrypt hash");
      }
    } else {
      auth.warnings_.push_back("credentials file: " + name +
                               "'s password is stored in plaintext; store a bcrypt hash ($2b$...)");
    }
    auth.users_[name] = std::move(user);
  }
  return auth;
}

Auth Auth::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(ErrorCode::CantOpen, "cannot read the credentials file " + path);
  std::stringstream text;
  text << in.rdbuf();
  return parse(text.str());
}

std::string Auth::hash_password(std::string_view password, int cost) {
  if (cost < 4 || cost > 31) {
    throw Error(ErrorCode::InvalidArgument,
                "bcrypt cost must be 4..31, not " + std::to_string(cost));
  }
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  // A null random source: libxcrypt reads the OS's (getrandom).
  if (crypt_gensalt_rn("$2b$", static_cast<unsigned long>(cost), nullptr, 0, salt, sizeof salt) ==
      nullptr) {
    throw Error(ErrorCode::Internal, "crypt_gensalt_rn failed: no random salt");
  }
  auto data = std::make_unique<crypt_data>();
  const std::string input(password);
  const char* hash = crypt_r(input.c_str(), salt, data.get());
  if (hash == nullptr || hash[0] == '*') throw Error(ErrorCode::Internal, "bcrypt failed");
  return hash;
}

bool Auth::has(const User& u, std::string_view perm) {
  return u.perms.count("all") != 0 || u.perms.count(perm) != 0;
}

bool Auth::password_ok(const std::string& name, User& user, std::string_view given) {
  if (!is_bcrypt(user.password)) return same(user.password, given);
  {
    std::lock_guard lock(mutex_);
    if (auto it = verified_.find(name); it != verified_.end()) return same(it->second, given);
  }
  auto data = std::make_unique<crypt_data>();  // ~32 KiB: not on the stack
  const std::string input(given);
  const char* hash = crypt_r(input.c_str(), user.password.c_str(), data.get());
  if (hash == nullptr || hash[0] == '*' || !same(hash, user.password)) return false;
  std::lock_guard lock(mutex_);
  verified_[name] = input;
  return true;
}

bool Auth::allowed(std::string_view authorization, std::string_view perm) {
  if (has(anyone_, perm)) return true;
  constexpr std::string_view kBasic = "Basic ";
  if (authorization.substr(0, kBasic.size()) != kBasic) return false;
  std::string decoded;
  if (!base64_decode(authorization.substr(kBasic.size()), decoded)) return false;
  const auto colon = decoded.find(':');
  if (colon == std::string::npos) return false;
  const std::string name = decoded.substr(0, colon);
  auto it = users_.find(name);
  if (it == users_.end()) return false;
  return password_ok(name, it->second, std::string_view(decoded).substr(colon + 1)) &&
         has(it->second, perm);
}

}  // namespace sluice::server
