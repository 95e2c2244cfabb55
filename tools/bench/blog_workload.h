// The seed article's blog workload (shared/workloads/blog.md): schema, seeding, and the
// operations of its write and mixed phases, generated deterministically from a seed.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "bench/options.h"
#include "sluice/connection.h"

namespace sluice::bench {

// The four reads and five writes of the article.
enum class OpKind {
  PostsForUser,
  PostsInTimeframe,
  SinglePostWithDetails,
  UsersInTimeframe,
  InsertUser,
  InsertPost,
  InsertTag,
  InsertUserPost,
  InsertPostTag,
};

bool is_write(OpKind k);
const char* to_string(OpKind k);
// The SQL of an operation (one statement).
const char* sql_of(OpKind k);

// One operation with its parameters. Text parameters point into the workload's text pools,
// which live as long as the BlogWorkload.
struct Op {
  OpKind kind;
  std::int64_t a = 0;  // user id / post id / offset, by kind
  std::int64_t b = 0;
  std::int64_t c = 0;
  const std::string* text1 = nullptr;  // name / title / start date
  const std::string* text2 = nullptr;  // content / end date
};

// Row counts of the seeded (mixed-phase) database: the article's 46,000 rows. Seeding is not
// scaled: the reads' cost depends on the data, only the operation counts scale.
struct SeedCounts {
  int users = 5000;
  int tags = 1000;
  int posts = 20000;
  int user_posts = 15000;
  int posts_tags = 5000;
};

class BlogWorkload {
 public:
  BlogWorkload(std::uint64_t seed, double scale);

  // Creates the schema (write phase: no indices) in an empty database.
  static void create_schema(Connection& conn, bool with_indices);
  // Seeds the mixed-phase database (each table in one transaction with a reused statement).
  void seed(Connection& conn) const;

  // Operations in each phase (scaled; at least 1 each).
  std::int64_t total_ops(Phase phase) const;
  // Operation number i of the phase, with parameters drawn from rng (the caller's own).
  Op op(Phase phase, std::int64_t i, std::mt19937_64& rng) const;

  const SeedCounts& seed_counts() const { return counts_; }
  std::uint64_t seed_value() const { return seed_; }

 private:
  Op read_op(std::mt19937_64& rng) const;
  Op write_op(OpKind kind, std::mt19937_64& rng, std::int64_t users, std::int64_t posts,
              std::int64_t tags) const;
  const std::string& pick(const std::vector<std::string>& pool, std::mt19937_64& rng) const;

  std::uint64_t seed_;
  double scale_;
  SeedCounts counts_;
  // Pre-generated text, so generating an operation costs no string building.
  std::vector<std::string> names_, titles_, contents_, tag_names_, window_starts_, window_ends_;
};

// Steps through every row of a query and touches every column, as an application mapping rows
// to its structs would. Returns the number of rows.
std::int64_t consume(Query& q);

}  // namespace sluice::bench
