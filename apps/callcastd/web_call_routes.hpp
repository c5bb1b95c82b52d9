#pragma once
// The browser's way to call a number (issue 14): WHEP on callcastd's HTTP server, answered by the
// network side as a viewer's INVITE would be (710-714).
//   POST   /whep/{number}           Authorization: Basic (the users file's number and password),
//                                   Content-Type: application/sdp, the browser's WebRTC offer.
//                                   201 Created: the answer, Location: the session's resource.
//   DELETE /whep/sessions/{session} the same credentials: the call ends as a BYE ends it.
//   POST   /whip                    likewise, the browser's camera and microphone as a broadcast
//                                   keyed by the authenticated number (701-707, RFC 9725).
//   DELETE /whip/sessions/{session} the broadcast ends as the master's BYE ends it.
// Refusals are text/plain: the call's Warning text, for the page to show as it is.
namespace callcast {
namespace http {
class HttpServer;
}
namespace sip {
class NetworkSide;
}
namespace auth {
class UserDirectory;
}

void add_web_call_routes(http::HttpServer& server, sip::NetworkSide& network,
                         auth::UserDirectory& users);

}  // namespace callcast
