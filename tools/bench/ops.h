// The operations `sluice bench` runs, one statement each: the blog workload's four reads and
// five writes (docs/workloads/blog.md) and the ingest workload's two writes and two
// recent-window reads (bench/ingest_workload.h).
#pragma once

#include <cstdint>
#include <string>

#include "sluice/connection.h"

namespace sluice::bench {

enum class OpKind {
  // blog reads
  PostsForUser,
  PostsInTimeframe,
  SinglePostWithDetails,
  UsersInTimeframe,
  // blog writes (contiguous: the mixed phase draws one of the five uniformly)
  InsertUser,
  InsertPost,
  InsertTag,
  InsertUserPost,
  InsertPostTag,
  // ingest
  InsertEvent,
  InsertMetric,
  RecentEvents,
  RecentMetrics,
};

bool is_write(OpKind k);
const char* to_string(OpKind k);
// The SQL of an operation (one statement).
const char* sql_of(OpKind k);

// One operation with its parameters. Text parameters point into a workload's text pools, which
// outlive the operation.
struct Op {
  OpKind kind;
  std::int64_t a = 0;  // user id / post id / offset / timestamp in ms, by kind
  std::int64_t b = 0;
  std::int64_t c = 0;
  double x = 0;                        // timestamp in s / metric value, by kind
  const std::string* text1 = nullptr;  // name / title / start date / event data / metric name
  const std::string* text2 = nullptr;  // content / end date
};

// Steps through every row of a query and touches every column, as an application mapping rows
// to its structs would. Returns the number of rows.
std::int64_t consume(Query& q);

}  // namespace sluice::bench
