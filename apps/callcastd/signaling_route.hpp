#pragma once
// GET /v1/signaling: the network side's dialogs, broadcasts and registrations, so an operator
// (and the tests) can see that every call was cleaned up.
namespace callcast {

namespace http {
class HttpServer;
}  // namespace http
namespace sip {
class NetworkSide;
}  // namespace sip

// `network` must outlive `server`'s handlers.
void add_signaling_route(http::HttpServer& server, sip::NetworkSide& network);

}  // namespace callcast
