#include "server/sql_guard.h"

#include <sqlite3.h>

#include <cctype>
#include <cstring>

namespace sluice::server {
namespace {

thread_local SqlGuard::Scope* tl_scope = nullptr;

// Skips whitespace and SQL comments.
std::string_view skip_space(std::string_view s) {
  for (;;) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s[0]))) s.remove_prefix(1);
    if (s.substr(0, 2) == "--") {
      const auto nl = s.find('\n');
      s = nl == std::string_view::npos ? std::string_view{} : s.substr(nl + 1);
    } else if (s.substr(0, 2) == "/*") {
      const auto end = s.find("*/", 2);
      s = end == std::string_view::npos ? std::string_view{} : s.substr(end + 2);
    } else {
      return s;
    }
  }
}

// The identifier at the start of `s`, lower-cased; advances `s` past it.
std::string take_word(std::string_view& s) {
  std::string word;
  while (!s.empty() && (std::isalnum(static_cast<unsigned char>(s[0])) || s[0] == '_')) {
    word += static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
    s.remove_prefix(1);
  }
  return word;
}

bool iequal(const char* a, std::string_view b) {
  if (a == nullptr || std::strlen(a) != b.size()) return false;
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != b[i]) return false;
  }
  return true;
}

// PRAGMAs that only report, even when given an argument (a table or index name, a limit).
bool read_only_pragma_with_argument(const char* name) {
  for (std::string_view p :
       {"table_info", "table_xinfo", "table_list", "index_info", "index_xinfo", "index_list",
        "foreign_key_list", "foreign_key_check", "integrity_check", "quick_check"}) {
    if (iequal(name, p)) return true;
  }
  return false;
}

// PRAGMAs that act even without an argument.
bool acting_pragma(const char* name) {
  for (std::string_view p : {"wal_checkpoint", "optimize", "shrink_memory", "incremental_vacuum"}) {
    if (iequal(name, p)) return true;
  }
  return false;
}

constexpr const char* kTransactionControl =
    "BEGIN, COMMIT, ROLLBACK, SAVEPOINT and RELEASE are refused: each request runs inside "
    "Sluice's group-commit transaction (use ?transaction to make a request atomic)";

bool breaking_pragma(const char* name, const char* argument) {
  if (iequal(name, "wal_checkpoint")) return true;
  if (argument == nullptr) return false;
  for (std::string_view p : {"journal_mode", "synchronous", "wal_autocheckpoint", "query_only",
                             "locking_mode", "writable_schema"}) {
    if (iequal(name, p)) return true;
  }
  return false;
}

int authorize_write(SqlGuard::Scope& scope, int action, const char* a1, const char* a2) {
  switch (action) {
    case SQLITE_TRANSACTION:
    case SQLITE_SAVEPOINT:
      scope.record(kTransactionControl);
      return SQLITE_DENY;
    case SQLITE_ATTACH:
    case SQLITE_DETACH:
      scope.record("ATTACH and DETACH are refused: the server serves one database file");
      return SQLITE_DENY;
    case SQLITE_FUNCTION:
      if (!iequal(a2, "load_extension")) return SQLITE_OK;
      scope.record("load_extension() is refused");
      return SQLITE_DENY;
    case SQLITE_PRAGMA:
      if (!breaking_pragma(a1, a2)) return SQLITE_OK;
      scope.record("disallowed pragma");
      return SQLITE_DENY;
    default:
      return SQLITE_OK;
  }
}

int authorize_read(SqlGuard::Scope& scope, int action, const char* a1, const char* a2) {
  switch (action) {
    case SQLITE_SELECT:
    case SQLITE_READ:
    case SQLITE_RECURSIVE:
      return SQLITE_OK;
    case SQLITE_FUNCTION:
      if (!iequal(a2, "load_extension")) return SQLITE_OK;
      scope.record("load_extension() is refused");
      return SQLITE_DENY;
    case SQLITE_PRAGMA:
      if ((a2 == nullptr && !acting_pragma(a1)) ||
          (a2 != nullptr && read_only_pragma_with_argument(a1))) {
        return SQLITE_OK;
      }
      scope.record(std::string("PRAGMA ") + (a1 ? a1 : "") + (a2 ? " with an argument" : "") +
                   " is refused on the read path");
      return SQLITE_DENY;
    case SQLITE_ATTACH:
      scope.record("ATTACH is refused on the read path");
      return SQLITE_DENY;
    case SQLITE_DETACH:
      scope.record("DETACH is refused on the read path");
      return SQLITE_DENY;
    case SQLITE_TRANSACTION:
    case SQLITE_SAVEPOINT:
      scope.record("transaction control is refused on the read path");
      return SQLITE_DENY;
    default:
      // rqlite's message for any write through /db/query (db.ErrQueryWrite).
      scope.record("attempt to change database via query operation");
      return SQLITE_DENY;
  }
}

int authorize(void*, int action, const char* a1, const char* a2, const char*, const char*) {
  SqlGuard::Scope* scope = tl_scope;
  if (scope == nullptr) return SQLITE_OK;  // the engine's own statements
  return scope->policy() == SqlGuard::Policy::Read ? authorize_read(*scope, action, a1, a2)
                                                   : authorize_write(*scope, action, a1, a2);
}

}  // namespace

bool is_refused_pragma(std::string_view sql) {
  std::string_view s = skip_space(sql);
  if (take_word(s) != "pragma") return false;
  s = skip_space(s);
  std::string name = take_word(s);
  s = skip_space(s);
  if (!s.empty() && s[0] == '.') {  // schema-qualified: main.journal_mode
    s = skip_space(s.substr(1));
    name = take_word(s);
    s = skip_space(s);
  }
  const bool assigns = !s.empty() && (s[0] == '=' || s[0] == '(');
  return breaking_pragma(name.c_str(), assigns ? "" : nullptr);
}

void SqlGuard::install(sqlite3* db) {
  std::lock_guard lock(mutex_);
  if (installed_.insert(db).second) sqlite3_set_authorizer(db, &authorize, nullptr);
}

SqlGuard::Scope::Scope(Policy policy) : policy_(policy), previous_(tl_scope) { tl_scope = this; }
SqlGuard::Scope::~Scope() { tl_scope = previous_; }

}  // namespace sluice::server
