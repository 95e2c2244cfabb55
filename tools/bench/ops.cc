#include "bench/ops.h"

namespace sluice::bench {

bool is_write(OpKind k) {
  switch (k) {
    case OpKind::PostsForUser:
    case OpKind::PostsInTimeframe:
    case OpKind::SinglePostWithDetails:
    case OpKind::UsersInTimeframe:
    case OpKind::RecentEvents:
    case OpKind::RecentMetrics:
      return false;
    default:
      return true;
  }
}

const char* to_string(OpKind k) {
  switch (k) {
    case OpKind::PostsForUser:
      return "posts_for_user";
    case OpKind::PostsInTimeframe:
      return "posts_in_timeframe";
    case OpKind::SinglePostWithDetails:
      return "single_post_with_details";
    case OpKind::UsersInTimeframe:
      return "users_in_timeframe";
    case OpKind::InsertUser:
      return "insert_user";
    case OpKind::InsertPost:
      return "insert_post";
    case OpKind::InsertTag:
      return "insert_tag";
    case OpKind::InsertUserPost:
      return "insert_user_post";
    case OpKind::InsertPostTag:
      return "insert_post_tag";
    case OpKind::InsertEvent:
      return "insert_event";
    case OpKind::InsertMetric:
      return "insert_metric";
    case OpKind::RecentEvents:
      return "recent_events";
    case OpKind::RecentMetrics:
      return "recent_metrics";
  }
  return "?";
}

const char* sql_of(OpKind k) {
  switch (k) {
    case OpKind::PostsForUser:
      return "SELECT p.id, p.title, p.content, p.created_at, p.updated_at FROM posts p JOIN "
             "user_posts up ON p.id = up.post_id WHERE up.user_id = ? ORDER BY p.created_at "
             "DESC LIMIT 100 OFFSET ?";
    case OpKind::PostsInTimeframe:
      return "SELECT id, title, content, created_at, updated_at FROM posts WHERE created_at "
             "BETWEEN ? AND ? ORDER BY created_at DESC LIMIT 100 OFFSET ?";
    case OpKind::SinglePostWithDetails:
      return "SELECT p.id as post_id, p.title, p.content, p.created_at as post_created_at, "
             "u.id as user_id, u.name as user_name, t.id as tag_id, t.name as tag_name FROM "
             "posts p LEFT JOIN user_posts up ON p.id = up.post_id LEFT JOIN users u ON "
             "up.user_id = u.id LEFT JOIN posts_tags pt ON p.id = pt.post_id LEFT JOIN tags t "
             "ON pt.tag_id = t.id WHERE p.id = ?";
    case OpKind::UsersInTimeframe:
      return "SELECT id, name, created_at, updated_at FROM users WHERE created_at BETWEEN ? AND "
             "? ORDER BY created_at DESC LIMIT 100";
    case OpKind::InsertUser:
      return "INSERT INTO users (name) VALUES (?)";
    case OpKind::InsertPost:
      return "INSERT INTO posts (title, content) VALUES (?, ?)";
    case OpKind::InsertTag:
      return "INSERT INTO tags (name) VALUES (?)";
    case OpKind::InsertUserPost:
      return "INSERT INTO user_posts (user_id, post_id) VALUES (?, ?)";
    case OpKind::InsertPostTag:
      return "INSERT INTO posts_tags (post_id, tag_id) VALUES (?, ?)";
    case OpKind::InsertEvent:
      return "INSERT INTO events (timestamp, data) VALUES (?, ?)";
    case OpKind::InsertMetric:
      return "INSERT INTO metrics (timestamp, metric_name, value) VALUES (?, ?, ?)";
    case OpKind::RecentEvents:
      return "SELECT count(*), min(timestamp), max(timestamp) FROM events WHERE timestamp >= ?";
    case OpKind::RecentMetrics:
      return "SELECT metric_name, count(*), avg(value), max(value) FROM metrics WHERE timestamp "
             ">= ? GROUP BY metric_name";
  }
  return "";
}

std::int64_t consume(Query& q) {
  const Statement& st = q.statement();
  std::int64_t rows = 0;
  while (q.next()) {
    ++rows;
    // Each column by its own type: reading an INTEGER as text would make SQLite format it.
    for (int c = 0; c < st.column_count(); ++c) {
      const ColumnType t = st.column_type(c);
      if (t == ColumnType::Integer) {
        (void)st.column_int64(c);
      } else if (t == ColumnType::Real) {
        (void)st.column_double(c);
      } else {
        (void)st.column_text(c);
      }
    }
  }
  return rows;
}

}  // namespace sluice::bench
