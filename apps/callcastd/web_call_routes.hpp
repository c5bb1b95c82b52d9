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
// With a token instead (`?token=`, the whep_url of an admission or the whip_url of a group
// creation made by the control API), where the media side runs here:
//   POST   /whep/{group}?token=T    the admitted viewer the token names; Location
//                                   /whep/{group}/session?token=T, which DELETE ends.
//   POST   /whip/{group}?token=T    the group's master; Location /whip/{group}/session?token=T.
// Refusals are text/plain: the call's Warning text, for the page to show as it is.
#include <functional>
#include <optional>
#include <string_view>

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
namespace control {
class MediaControl;
}
namespace core {
struct TokenClaims;
}

struct WebCallServices {
  // Calls by number with a users-file login (roles all and signaling).
  sip::NetworkSide* network = nullptr;
  auth::UserDirectory* users = nullptr;
  // Sessions by token (where the media side runs here): the token's claims once checked.
  control::MediaControl* media = nullptr;
  std::function<std::optional<core::TokenClaims>(std::string_view token)> verify_token;
};

void add_web_call_routes(http::HttpServer& server, WebCallServices services);

}  // namespace callcast
