// /db/backup.
#include <sqlite3.h>

#include <boost/asio/post.hpp>
#include <memory>

#include "server/api.h"
#include "server/api_call.h"

namespace sluice::server {

void Api::backup(std::shared_ptr<Call> call) {
  if (const std::string* fmt = call->params.find("fmt"); fmt != nullptr && *fmt != "binary") {
    return call->answer(text_error(http::status::bad_request,
                                   "fmt=" + *fmt + " is not supported: only the binary format"));
  }
  boost::asio::post(reads_, [this, call] {
    std::string file;
    try {
      // One read transaction is one snapshot: sqlite3_serialize copies the pages that snapshot
      // sees (database file plus WAL), while the writer goes on committing.
      db_.read([&](Connection& conn) {
        sqlite3_int64 size = 0;
        std::unique_ptr<unsigned char, decltype(&sqlite3_free)> bytes(
            sqlite3_serialize(conn.native_handle(), "main", &size, 0), &sqlite3_free);
        if (!bytes) throw Error(ErrorCode::Internal, "sqlite3_serialize failed (out of memory?)");
        file.assign(reinterpret_cast<const char*>(bytes.get()), static_cast<std::size_t>(size));
      });
    } catch (const Error& e) {
      return call->answer(text_error(http::status::service_unavailable, e.what()));
    }
    call->answer(make_response(http::status::ok, std::move(file), "application/octet-stream"));
  });
}

}  // namespace sluice::server
