#include "bench/blog_workload.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <set>

namespace sluice::bench {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE IF NOT EXISTS posts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    content TEXT NOT NULL,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE IF NOT EXISTS user_posts (
    user_id INTEGER NOT NULL,
    post_id INTEGER NOT NULL,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    FOREIGN KEY (user_id) REFERENCES users (id),
    FOREIGN KEY (post_id) REFERENCES posts (id));
CREATE TABLE IF NOT EXISTS tags (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE IF NOT EXISTS posts_tags (
    post_id INTEGER NOT NULL,
    tag_id INTEGER NOT NULL,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    FOREIGN KEY (post_id) REFERENCES posts (id),
    FOREIGN KEY (tag_id) REFERENCES tags (id));
)sql";

constexpr const char* kIndices = R"sql(
CREATE INDEX IF NOT EXISTS idx_posts_created_at ON posts(created_at);
CREATE INDEX IF NOT EXISTS idx_users_created_at ON users(created_at);
CREATE INDEX IF NOT EXISTS idx_user_posts_user_id ON user_posts(user_id);
CREATE INDEX IF NOT EXISTS idx_user_posts_post_id ON user_posts(post_id);
CREATE INDEX IF NOT EXISTS idx_posts_tags_post_id ON posts_tags(post_id);
CREATE INDEX IF NOT EXISTS idx_posts_tags_tag_id ON posts_tags(tag_id);
)sql";

const char* const kFirst[] = {"Ada",    "Alan",     "Grace",  "Edsger", "Barbara",
                              "Donald", "Margaret", "Ken",    "Dennis", "Frances",
                              "John",   "Radia",    "Leslie", "Tony",   "Niklaus",
                              "Hedy",   "Linus",    "Shafi",  "Butler", "Jean"};
const char* const kLast[] = {"Lovelace", "Turing",   "Hopper",     "Dijkstra", "Liskov",
                             "Knuth",    "Hamilton", "Thompson",   "Ritchie",  "Allen",
                             "McCarthy", "Perlman",  "Lamport",    "Hoare",    "Wirth",
                             "Lamarr",   "Torvalds", "Goldwasser", "Lampson",  "Sammet"};
const char* const kWords[] = {
    "database", "write",   "ahead",  "log",     "checkpoint", "reader",  "writer",  "lock",
    "page",     "cache",   "commit", "batch",   "queue",      "latency", "disk",    "sync",
    "index",    "query",   "table",  "journal", "server",     "thread",  "process", "memory",
    "tuning",   "storage", "engine", "schema",  "backup",     "record",  "stream",  "burst"};

// Reference "now" of the generated data, fixed so runs repeat: 2025-01-01T00:00:00Z.
constexpr std::int64_t kNow = 1735689600;
constexpr std::int64_t kDay = 86400;
constexpr int kPool = 4096;

std::string iso(std::int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

template <std::size_t N>
const char* any(const char* const (&list)[N], std::mt19937_64& rng) {
  return list[std::uniform_int_distribution<std::size_t>(0, N - 1)(rng)];
}

std::string sentence(std::mt19937_64& rng, std::size_t length) {
  std::string s;
  while (s.size() < length) {
    if (!s.empty()) s += ' ';
    s += any(kWords, rng);
  }
  s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s + ".";
}

std::int64_t uniform(std::mt19937_64& rng, std::int64_t lo, std::int64_t hi) {
  return std::uniform_int_distribution<std::int64_t>(lo, std::max(lo, hi))(rng);
}

}  // namespace

BlogWorkload::BlogWorkload(std::uint64_t seed, double scale) : seed_(seed), scale_(scale) {
  std::mt19937_64 rng(seed);
  for (int i = 0; i < kPool; ++i) {
    names_.push_back(std::string(any(kFirst, rng)) + " " + any(kLast, rng));
    titles_.push_back(sentence(rng, 47));
    contents_.push_back(sentence(rng, 150) + "\n\n" + sentence(rng, 145));
    tag_names_.push_back(any(kWords, rng));
    // endDate: a random instant in the last 30 days; startDate = endDate - 30 days.
    std::int64_t end = kNow - uniform(rng, 0, 30 * kDay);
    window_starts_.push_back(iso(end - 30 * kDay));
    window_ends_.push_back(iso(end));
  }
}

void BlogWorkload::create_schema(Connection& conn, bool with_indices) {
  conn.exec_script(kSchema);
  if (with_indices) conn.exec_script(kIndices);
}

void BlogWorkload::seed(Connection& conn) const {
  std::mt19937_64 rng(seed_ ^ 0x5eed);
  auto created = [&] { return iso(kNow - uniform(rng, 0, 730 * kDay)); };
  auto table = [&](auto&& body) {
    conn.exec("BEGIN");
    body();
    conn.exec("COMMIT");
  };
  table([&] {
    for (int i = 0; i < counts_.users; ++i) {
      std::string t = created();
      conn.exec("INSERT INTO users (name, created_at, updated_at) VALUES (?, ?, ?)",
                pick(names_, rng), t, t);
    }
  });
  table([&] {
    for (int i = 0; i < counts_.tags; ++i)
      conn.exec(sql_of(OpKind::InsertTag), pick(tag_names_, rng));
  });
  table([&] {
    for (int i = 0; i < counts_.posts; ++i) {
      std::string t = created();
      conn.exec("INSERT INTO posts (title, content, created_at, updated_at) VALUES (?, ?, ?, ?)",
                pick(titles_, rng), pick(contents_, rng), t, t);
    }
  });
  auto pairs = [&](int n, std::int64_t left, std::int64_t right, OpKind kind) {
    std::set<std::pair<std::int64_t, std::int64_t>> seen;
    table([&] {
      while (static_cast<int>(seen.size()) < n) {
        auto p = std::pair{uniform(rng, 1, left), uniform(rng, 1, right)};
        if (seen.insert(p).second) conn.exec(sql_of(kind), p.first, p.second);
      }
    });
  };
  pairs(counts_.user_posts, counts_.users, counts_.posts, OpKind::InsertUserPost);
  pairs(counts_.posts_tags, counts_.posts, counts_.tags, OpKind::InsertPostTag);
}

std::int64_t BlogWorkload::total_ops(Phase phase) const {
  const double base = phase == Phase::Write ? 100000.0 : double(1 << 20) + double(1 << 17);
  return std::max<std::int64_t>(9, std::llround(base * scale_));
}

const std::string& BlogWorkload::pick(const std::vector<std::string>& pool,
                                      std::mt19937_64& rng) const {
  return pool[static_cast<std::size_t>(
      uniform(rng, 0, static_cast<std::int64_t>(pool.size()) - 1))];
}

Op BlogWorkload::read_op(std::mt19937_64& rng) const {
  Op op{static_cast<OpKind>(uniform(rng, 0, 3))};
  const std::size_t w = static_cast<std::size_t>(uniform(rng, 0, kPool - 1));
  switch (op.kind) {
    case OpKind::PostsForUser:
      op.a = uniform(rng, 1, counts_.users);
      op.b = 100 * uniform(rng, 0, 10);
      break;
    case OpKind::PostsInTimeframe:
      op.text1 = &window_starts_[w];
      op.text2 = &window_ends_[w];
      op.a = 100 * uniform(rng, 0, 5);
      break;
    case OpKind::SinglePostWithDetails:
      op.a = uniform(rng, 1, counts_.posts);
      break;
    default:
      op.text1 = &window_starts_[w];
      op.text2 = &window_ends_[w];
      break;
  }
  return op;
}

Op BlogWorkload::write_op(OpKind kind, std::mt19937_64& rng, std::int64_t users, std::int64_t posts,
                          std::int64_t tags) const {
  Op op{kind};
  switch (kind) {
    case OpKind::InsertUser:
      op.text1 = &pick(names_, rng);
      break;
    case OpKind::InsertPost:
      op.text1 = &pick(titles_, rng);
      op.text2 = &pick(contents_, rng);
      break;
    case OpKind::InsertTag:
      op.text1 = &pick(tag_names_, rng);
      break;
    case OpKind::InsertUserPost:
      op.a = uniform(rng, 1, users);
      op.b = uniform(rng, 1, posts);
      break;
    default:
      op.a = uniform(rng, 1, posts);
      op.b = uniform(rng, 1, tags);
      break;
  }
  return op;
}

Op BlogWorkload::op(Phase phase, std::int64_t i, std::mt19937_64& rng) const {
  if (phase == Phase::Mixed) {
    // 8 reads per write: every ninth operation writes.
    if (i % 9 != 8) return read_op(rng);
    auto kind = static_cast<OpKind>(static_cast<int>(OpKind::InsertUser) + uniform(rng, 0, 4));
    return write_op(kind, rng, counts_.users, counts_.posts, counts_.tags);
  }
  // Write phase: 10% users, 10% tags, 40% posts, 30% user_posts, 10% posts_tags, in order;
  // junction ids are uniform over the rows the earlier sections inserted.
  const std::int64_t n = total_ops(Phase::Write);
  const std::int64_t users = std::max<std::int64_t>(1, n / 10), tags = users;
  const std::int64_t posts = std::max<std::int64_t>(1, n * 4 / 10);
  const std::int64_t user_posts = n * 3 / 10;
  OpKind kind = i < users                               ? OpKind::InsertUser
                : i < users + tags                      ? OpKind::InsertTag
                : i < users + tags + posts              ? OpKind::InsertPost
                : i < users + tags + posts + user_posts ? OpKind::InsertUserPost
                                                        : OpKind::InsertPostTag;
  return write_op(kind, rng, users, posts, tags);
}

}  // namespace sluice::bench
