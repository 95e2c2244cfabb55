// Uses only the installed headers and library: open, write, read, stats.
#include <sluice/sluice.h>

#include <cstdio>
#include <string>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: consumer DB_PATH\n");
    return 2;
  }
  auto db = sluice::Database::open(argv[1]);
  db.execute("CREATE TABLE IF NOT EXISTS users(id INTEGER PRIMARY KEY, name TEXT)");
  std::int64_t id = db.write([](sluice::Transaction& tx) {
    tx.exec("INSERT INTO users(name) VALUES (?)", "ada");
    return tx.last_insert_rowid();
  });
  std::string name = db.read([&](sluice::Connection& c) {
    return c.query("SELECT name FROM users WHERE id = ?", id).scalar<std::string>();
  });
  std::printf("consumer: wrote id %lld, read back '%s', commits=%llu\n", static_cast<long long>(id),
              name.c_str(), static_cast<unsigned long long>(db.stats().commits));
  return name == "ada" ? 0 : 1;
}
