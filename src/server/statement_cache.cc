#include "server/statement_cache.h"

#include <sqlite3.h>

namespace sluice::server {

StatementCache::~StatementCache() {
  for (Entry& e : lru_) sqlite3_finalize(e.second);
}

sqlite3_stmt* StatementCache::take(std::string_view sql) {
  auto it = index_.find(sql);
  if (it == index_.end()) return nullptr;
  sqlite3_stmt* stmt = it->second->second;
  const auto entry = it->second;
  index_.erase(it);  // first: its key is a view into the entry
  lru_.erase(entry);
  return stmt;
}

void StatementCache::put(std::string_view sql, sqlite3_stmt* stmt) {
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  if (capacity_ == 0 || index_.count(sql) != 0) {
    sqlite3_finalize(stmt);  // a copy is cached already (the same SQL twice in one request)
    return;
  }
  if (lru_.size() >= capacity_) {
    index_.erase(lru_.back().first);
    sqlite3_finalize(lru_.back().second);
    lru_.pop_back();
  }
  lru_.emplace_front(std::string(sql), stmt);
  index_.emplace(lru_.front().first, lru_.begin());
}

}  // namespace sluice::server
