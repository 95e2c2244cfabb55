// POST /db/load: SQL text, or an SQLite database file recognised by its magic header (as rqlite
// does, whatever the Content-Type).
#include <boost/asio/post.hpp>
#include <memory>

#include "server/api.h"
#include "server/api_call.h"
#include "server/sqlite_image.h"

namespace sluice::server {

void Api::load(std::shared_ptr<Call> call) {
  if (SqliteImage::has_magic(call->req.body())) {
    // Checking the file reads every page: off the event loop.
    boost::asio::post(reads_, [this, call] {
      std::shared_ptr<const SqliteImage> image;
      try {
        image = std::make_shared<const SqliteImage>(std::move(call->req.body()));
      } catch (const BadRequest& e) {
        return call->answer(text_error(http::status::bad_request, e.what()));
      } catch (const std::exception& e) {
        return call->answer(text_error(http::status::internal_server_error, e.what()));
      }
      // One write job: the batch's other jobs see the old contents or the new ones.
      submit_job(call, [call, image](Transaction& tx) {
        image->replace_contents(tx.connection().native_handle());
      });
    });
    return;
  }
  // SQL text: one statement string, one atomic write job; the result is the last statement's.
  const std::string& body = call->req.body();
  if (!body.empty()) call->statements.push_back(SqlStatement{body, {}, {}});
  if (has_refused_pragma(call->statements)) {
    return call->answer(json_response(results_json(*call, Envelope{"disallowed pragma"})));
  }
  call->params = QueryParams::parse("transaction");
  submit_write(std::move(call));
}

}  // namespace sluice::server
