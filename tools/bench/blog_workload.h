// The seed article's blog workload (docs/workloads/blog.md): schema, seeding, and the
// operations of its write and mixed phases, generated deterministically from a seed.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "bench/ops.h"
#include "bench/options.h"
#include "sluice/connection.h"

namespace sluice::bench {

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

}  // namespace sluice::bench
