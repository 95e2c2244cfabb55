// /db/load: SQL text runs as one atomic job; an SQLite file (by its magic header) replaces the
// database's contents in one job, and a damaged one is refused with the old data intact.
#include <fstream>
#include <iterator>

#include "server/server_fixture.h"

namespace sluice::server::testing {
namespace {

using LoadTest = ServerTest;

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// An SQLite file with what a load has to carry over: rowids with gaps in a table without an
// alias, AUTOINCREMENT's sequence, a foreign key, an index, a view, a trigger, a blob,
// user_version; in WAL mode (its header says so) when `wal`.
std::string make_image(const std::filesystem::path& path, bool wal) {
  {
    Connection c = Connection::open(path.string());
    if (wal) c.pragma("journal_mode=WAL");
    c.exec_script(R"SQL(
      CREATE TABLE parent (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL);
      CREATE TABLE child (parent_id INTEGER REFERENCES parent(id), note TEXT, data BLOB);
      CREATE INDEX child_by_parent ON child(parent_id);
      CREATE VIEW named AS SELECT p.name, c.note FROM parent p JOIN child c ON c.parent_id = p.id;
      CREATE TABLE audit (what TEXT);
      CREATE TRIGGER parent_audit AFTER INSERT ON parent BEGIN
        INSERT INTO audit VALUES ('added ' || new.name);
      END;
      INSERT INTO parent(name) VALUES ('fiona'), ('declan'), ('gone');
      DELETE FROM parent WHERE name = 'gone';
      INSERT INTO child VALUES (1, 'a', x'DEADBEEF'), (2, 'b', NULL), (1, 'c', NULL);
      DELETE FROM child WHERE note = 'a';
      PRAGMA user_version = 7;
    )SQL");
  }
  return read_file(path);
}

TEST_F(LoadTest, AnSqliteFileReplacesTheContents) {
  for (bool wal : {false, true}) {
    SCOPED_TRACE(wal ? "WAL image" : "rollback-journal image");
    execute(R"J(["DROP TABLE IF EXISTS parent", "DROP TABLE IF EXISTS child",
                 "DROP VIEW IF EXISTS named", "DROP TABLE IF EXISTS audit",
                 "CREATE TABLE IF NOT EXISTS old (x)", "INSERT INTO old VALUES (1)"])J");
    const std::string image = make_image(dir_ / (wal ? "wal.db" : "journal.db"), wal);
    auto res = client_->post("/db/load", image, "application/octet-stream");
    ASSERT_EQ(res.result_int(), 200u) << res.body();
    EXPECT_EQ(query_get("SELECT * FROM old"), R"J({"results":[{"error":"no such table: old"}]})J");
    EXPECT_EQ(query_get("SELECT id, name FROM parent ORDER BY id"),
              R"J({"results":[{"columns":["id","name"],"types":["integer","text"],)J"
              R"J("values":[[1,"fiona"],[2,"declan"]]}]})J");
    // Rowids kept (the deleted first row leaves a gap), blobs intact.
    EXPECT_EQ(query_get("SELECT rowid, note, hex(data) FROM child ORDER BY rowid"),
              R"J({"results":[{"columns":["rowid","note","hex(data)"],"types":["integer","text",)J"
              R"J("text"],"values":[[2,"b",""],[3,"c",""]]}]})J");
    EXPECT_EQ(query_get("SELECT name, note FROM named ORDER BY note"),
              R"J({"results":[{"columns":["name","note"],"types":["text","text"],)J"
              R"J("values":[["declan","b"],["fiona","c"]]}]})J");
    EXPECT_EQ(query_get("PRAGMA user_version"),
              R"J({"results":[{"columns":["user_version"],"types":["integer"],"values":[[7]]}]})J");
    EXPECT_EQ(query_get("SELECT count(*) FROM sqlite_schema WHERE name = 'child_by_parent'"),
              R"J({"results":[{"columns":["count(*)"],"types":["integer"],"values":[[1]]}]})J");
    // The trigger is back (it did not fire during the copy: audit holds the image's 3 rows), and
    // AUTOINCREMENT continues after the deleted id 3.
    EXPECT_EQ(execute(R"J(["INSERT INTO parent(name) VALUES ('eve')"])J"),
              R"J({"results":[{"last_insert_id":4,"rows_affected":1}]})J");
    EXPECT_EQ(query_get("SELECT count(*) FROM audit"),
              R"J({"results":[{"columns":["count(*)"],"types":["integer"],"values":[[4]]}]})J");
  }
}

TEST_F(LoadTest, ADamagedFileIsRefusedAndTheOldDataStays) {
  execute(R"J(["CREATE TABLE keep (x)", "INSERT INTO keep VALUES ('still here')"])J");
  const std::string good = make_image(dir_ / "good.db", false);
  ASSERT_GT(good.size(), 4096u);
  std::string damaged = good;
  for (std::size_t i = 4096 + 8; i < 4096 + 200; ++i) damaged[i] = '\xA5';  // page 2's header
  const std::string cases[] = {
      good.substr(0, good.size() / 2),  // truncated
      damaged, good.substr(0, 16),      // the magic alone
  };
  for (const std::string& body : cases) {
    auto res = client_->post("/db/load", body, "application/octet-stream");
    EXPECT_EQ(res.result_int(), 400u) << res.body();
    EXPECT_NE(res.body().find("SQLite file"), std::string::npos) << res.body();
  }
  EXPECT_EQ(query_get("SELECT x FROM keep"),
            R"J({"results":[{"columns":["x"],"types":["text"],"values":[["still here"]]}]})J");
  EXPECT_EQ(query_get("SELECT count(*) FROM sqlite_schema WHERE name = 'parent'"),
            R"J({"results":[{"columns":["count(*)"],"types":["integer"],"values":[[0]]}]})J");
}

TEST_F(LoadTest, LoadRunsSqlTextAsOneAtomicJob) {
  auto res = client_->post(
      "/db/load",
      "CREATE TABLE r (id INTEGER PRIMARY KEY, name TEXT);"
      "INSERT INTO r(name) VALUES (\"fiona\");INSERT INTO r(name) VALUES (\"justin\")",
      "text/plain");
  EXPECT_EQ(res.body(), R"J({"results":[{"last_insert_id":2,"rows_affected":1}]})J");
  EXPECT_EQ(
      query_get("SELECT id, name FROM r WHERE name=\"fiona\"", "&level=strong"),
      R"J({"results":[{"columns":["id","name"],"types":["integer","text"],"values":[[1,"fiona"]]}]})J");
  // A failing statement undoes the whole load.
  auto bad =
      client_->post("/db/load", "CREATE TABLE s (x);INSERT INTO nope VALUES (1)", "text/plain");
  EXPECT_EQ(bad.body(), R"J({"results":[{"error":"no such table: nope"}]})J");
  EXPECT_EQ(query_get("SELECT * FROM s"), R"J({"results":[{"error":"no such table: s"}]})J");
}

}  // namespace
}  // namespace sluice::server::testing
