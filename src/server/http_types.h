// The HTTP message types the server layer uses (Boost.Beast, string bodies).
#pragma once

#include <boost/beast/http.hpp>
#include <string>

namespace sluice::server {

namespace http = boost::beast::http;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

}  // namespace sluice::server
