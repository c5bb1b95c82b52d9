#pragma once
// The HTTP server's unit tests talk to it through the load generator's one blocking client
// connection (src/loadgen/http_connection.hpp), under the names they have always used.
#include "loadgen/http_connection.hpp"
#include "loadgen/http_reply.hpp"

namespace callcast::http::test {

using Reply = loadgen::HttpReply;
using TestClient = loadgen::HttpConnection;

}  // namespace callcast::http::test
