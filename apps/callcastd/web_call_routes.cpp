#include "web_call_routes.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include <optional>
#include <string>
#include <string_view>

#include "auth/digest.hpp"
#include "auth/user_directory.hpp"
#include "control/media_control.hpp"
#include "core/group_registry.hpp"
#include "core/token.hpp"
#include "http/http_server.hpp"
#include "sip/network_side.hpp"

namespace callcast {

namespace {

using http::Request;
using http::Responder;
using http::Response;

constexpr std::string_view kWhepSessions = "/whep/sessions/";
constexpr std::string_view kWhipSessions = "/whip/sessions/";

Response text_response(int status, const std::string& text) {
  Response response;
  response.status = status;
  response.body = text + "\n";
  response.set_header("Content-Type", "text/plain; charset=utf-8");
  response.set_header("Cache-Control", "no-store");
  return response;
}

struct BasicCredentials {
  std::string user;
  std::string password;
};

// RFC 7617: "Basic" base64(user ":" password); nullopt for anything else.
std::optional<BasicCredentials> basic_credentials(const Request& request) {
  const auto header = request.header("Authorization");
  if (!header) return std::nullopt;
  std::string_view value = *header;
  constexpr std::string_view kScheme = "basic ";
  if (value.size() <= kScheme.size()) return std::nullopt;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(value[i])) != kScheme[i]) return std::nullopt;
  }
  value.remove_prefix(kScheme.size());
  while (!value.empty() && value.front() == ' ')
    value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ')
    value.remove_suffix(1);
  if (value.empty() || value.size() % 4 != 0 || value.size() > 1024) return std::nullopt;
  std::string decoded(value.size() / 4 * 3 + 1, '\0');
  const int length = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(decoded.data()),
                                     reinterpret_cast<const unsigned char*>(value.data()),
                                     static_cast<int>(value.size()));
  if (length < 0) return std::nullopt;
  std::size_t size = static_cast<std::size_t>(length);
  // EVP_DecodeBlock counts the padding's zero bytes too.
  if (value.ends_with("==")) {
    size -= 2;
  } else if (value.ends_with("=")) {
    size -= 1;
  }
  decoded.resize(size);
  const auto colon = decoded.find(':');
  if (colon == std::string::npos) return std::nullopt;
  return BasicCredentials{decoded.substr(0, colon), decoded.substr(colon + 1)};
}

// The number the credentials prove, or nullopt (unknown number, wrong password, none given).
std::optional<std::string> authenticated_number(const Request& request,
                                                auth::UserDirectory& users) {
  const auto credentials = basic_credentials(request);
  if (!credentials || !core::is_valid_number(credentials->user)) return std::nullopt;
  const auto user = users.find(credentials->user);
  if (!user) return std::nullopt;
  const std::string ha1 = auth::digest_ha1(auth::DigestAlgorithm::md5, credentials->user,
                                           users.realm(), credentials->password);
  if (ha1.size() != user->md5_ha1.size() ||
      CRYPTO_memcmp(ha1.data(), user->md5_ha1.data(), ha1.size()) != 0) {
    return std::nullopt;
  }
  return credentials->user;
}

Response unauthorized() {
  Response response = text_response(401, "wrong number or password");
  // Not "Basic": a browser would open its own login dialog over the page's.
  response.set_header("WWW-Authenticate", "Bearer realm=\"callcast\"");
  return response;
}

// The HTTP status for a call's final SIP answer (RFC 9725 / WHEP name none beyond 201).
int http_status_of(int sip_status) {
  switch (sip_status) {
    case 403:
      return 403;
    case 404:
    case 480:
      return 404;  // not a number, or not broadcasting
    case 482:
    case 483:
      return 508;  // forwarding loops or is too long
    case 486:
    case 503:
      return 503;  // the broadcast is full, or the service is
    case 488:
      return 400;  // the offer cannot be used
    default:
      return sip_status >= 500 ? 502 : 400;
  }
}

// Hands a browser's call to the network side and its final answer back as the WHEP/WHIP
// response (201 with the answer, or the refusal's reason).
void place_web_call(sip::NetworkSide& network, sip::NetworkSide::WebCallRequest call,
                    std::string_view sessions_path, Responder respond) {
  const std::string what =
      call.publish ? std::string("the broadcast of ") + call.caller : "the call to " + call.dialled;
  network.web_call(std::move(call), [respond, what, sessions_path](sip::WebCallAnswer answer) {
    if (answer.status >= 200 && answer.status < 300) {
      Response created;
      created.status = 201;
      created.body = std::move(answer.sdp);
      created.set_header("Content-Type", "application/sdp");
      created.set_header("Location", std::string(sessions_path) + answer.session);
      return respond(std::move(created));
    }
    std::string message = answer.message.empty()
                              ? what + " failed (SIP " + std::to_string(answer.status) + ")"
                              : answer.message;
    Response refused = text_response(http_status_of(answer.status), message);
    if (answer.retry_after_s > 0) {
      refused.set_header("Retry-After", std::to_string(answer.retry_after_s));
    }
    respond(std::move(refused));
  });
}

// The checks every WHEP/WHIP offer passes first; the caller's number, or the refusal sent.
std::optional<std::string> admit_offer(const Request& request, auth::UserDirectory& users,
                                       const Responder& respond, std::string_view protocol) {
  const auto caller = authenticated_number(request, users);
  if (!caller) {
    spdlog::info("http: event={}_refused status=401 peer={}", protocol, request.peer_address);
    respond(unauthorized());
    return std::nullopt;
  }
  const auto type = request.header("Content-Type");
  if (!type || !type->starts_with("application/sdp")) {
    respond(text_response(415, "the offer must be application/sdp"));
    return std::nullopt;
  }
  return caller;
}

Response no_login_here() {
  return text_response(404,
                       "this server takes WHEP/WHIP with a ?token= only (the signaling "
                       "role takes calls by number)");
}

// The ?token= of the request target, if any (tokens are base64url and '.': nothing to decode).
std::optional<std::string> query_token(const Request& request) {
  const auto query = request.target.find('?');
  if (query == std::string::npos) return std::nullopt;
  std::string_view rest = std::string_view(request.target).substr(query + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    if (pair.starts_with("token=")) return std::string(pair.substr(6));
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

// The token's holder when it is one of `role` for `group`; else the refusal is sent.
std::optional<std::string> token_holder(const WebCallServices& services, std::string_view token,
                                        const std::string& group, bool publish,
                                        const Responder& respond) {
  if (services.media == nullptr || !services.verify_token) {
    respond(text_response(404, "no media side here to take a token"));
    return std::nullopt;
  }
  const auto claims = services.verify_token(token);
  const core::TokenRole role = publish ? core::TokenRole::publish : core::TokenRole::play;
  if (!claims || claims->group != group || claims->role != role) {
    respond(text_response(401, "the token is not valid for " +
                                   std::string(publish ? "publishing to " : "watching ") + group));
    return std::nullopt;
  }
  return claims->terminal;
}

void start_token_session(const WebCallServices& services, const Request& request,
                         const std::string& group, const std::string& token, bool publish,
                         Responder respond) {
  const auto holder = token_holder(services, token, group, publish, respond);
  if (!holder) return;
  const auto type = request.header("Content-Type");
  if (!type || !type->starts_with("application/sdp")) {
    return respond(text_response(415, "the offer must be application/sdp"));
  }
  spdlog::info("group={} terminal={} step={} event={}_token_request peer={}", group, *holder,
               publish ? 705 : 714, publish ? "whip" : "whep", request.peer_address);
  const std::string location =
      std::string(publish ? "/whip/" : "/whep/") + group + "/session?token=" + token;
  auto answered = [respond,
                   location](Result<control::WebRtcViewerStarted, control::ControlError> result) {
    if (!result) {
      return respond(
          text_response(control::http_status(result.error().code), result.error().message));
    }
    Response created;
    created.status = 201;
    created.body = std::move(result->answer);
    created.set_header("Content-Type", "application/sdp");
    created.set_header("Location", location);
    respond(std::move(created));
  };
  if (publish) {
    services.media->start_webrtc_publisher(
        control::WebRtcPublisherRequest{group, *holder, request.body, request.peer_address, token},
        std::move(answered));
  } else {
    services.media->start_webrtc_viewer(
        control::WebRtcViewerRequest{group, *holder, request.body, request.peer_address, token},
        std::move(answered));
  }
}

void end_token_session(const WebCallServices& services, const Request& request, bool publish,
                       Responder respond) {
  const std::string group(request.param("group"));
  const auto token = query_token(request);
  if (!token) return respond(text_response(401, "the session URL's ?token= is missing"));
  const auto holder = token_holder(services, *token, group, publish, respond);
  if (!holder) return;
  auto ended = [respond](Result<bool, control::ControlError> result) {
    if (!result) {
      return respond(
          text_response(control::http_status(result.error().code), result.error().message));
    }
    respond(Response::empty(200));
  };
  if (publish) {
    services.media->close_group(group, std::move(ended));
  } else {
    services.media->remove_viewer(group, *holder, std::move(ended));
  }
}

void add_session_end_route(http::HttpServer& server, sip::NetworkSide& network,
                           auth::UserDirectory& users, std::string pattern) {
  server.route(
      "DELETE", std::move(pattern), [&network, &users](const Request& request, Responder respond) {
        const auto caller = authenticated_number(request, users);
        if (!caller) return respond(unauthorized());
        network.end_web_call(std::string(request.param("session")), *caller, [respond](bool ended) {
          if (!ended) return respond(text_response(404, "no such session"));
          respond(Response::empty(200));
        });
      });
}

}  // namespace

void add_web_call_routes(http::HttpServer& server, WebCallServices services) {
  auto shared = std::make_shared<WebCallServices>(std::move(services));

  server.route("POST", "/whep/{number}", [shared](const Request& request, Responder respond) {
    const std::string dialled(request.param("number"));
    if (auto token = query_token(request)) {
      return start_token_session(*shared, request, dialled, *token, false, std::move(respond));
    }
    if (shared->network == nullptr) return respond(no_login_here());
    const auto caller = admit_offer(request, *shared->users, respond, "whep");
    if (!caller) return;
    if (!core::is_valid_number(dialled)) {
      return respond(text_response(404, "'" + dialled + "' is not a number"));
    }
    spdlog::info("sip: group={} terminal={} step=710 event=whep_request peer={}", dialled, *caller,
                 request.peer_address);
    place_web_call(*shared->network, {*caller, dialled, false, request.body, request.peer_address},
                   kWhepSessions, std::move(respond));
  });

  // The group is keyed by the authenticated number (701-702), as a call to the service number.
  server.route("POST", "/whip", [shared](const Request& request, Responder respond) {
    if (shared->network == nullptr) return respond(no_login_here());
    const auto caller = admit_offer(request, *shared->users, respond, "whip");
    if (!caller) return;
    spdlog::info("sip: group={} terminal={} step=701 event=whip_request peer={}", *caller, *caller,
                 request.peer_address);
    place_web_call(*shared->network, {*caller, {}, true, request.body, request.peer_address},
                   kWhipSessions, std::move(respond));
  });
  server.route("POST", "/whip/{number}", [shared](const Request& request, Responder respond) {
    const auto token = query_token(request);
    if (!token) return respond(text_response(401, "a WHIP URL with a group needs its ?token="));
    start_token_session(*shared, request, std::string(request.param("number")), *token, true,
                        std::move(respond));
  });

  if (shared->network != nullptr) {
    add_session_end_route(server, *shared->network, *shared->users,
                          std::string(kWhepSessions) + "{session}");
    add_session_end_route(server, *shared->network, *shared->users,
                          std::string(kWhipSessions) + "{session}");
  }
  for (const bool publish : {false, true}) {
    server.route("DELETE", publish ? "/whip/{group}/session" : "/whep/{group}/session",
                 [shared, publish](const Request& request, Responder respond) {
                   end_token_session(*shared, request, publish, std::move(respond));
                 });
  }
}

}  // namespace callcast
