#include "http/admin_api.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <charconv>
#include <chrono>
#include <nlohmann/json.hpp>
#include <utility>

#include "control/event_source.hpp"
#include "http/snapshot_json.hpp"

namespace callcast::http {

namespace {

using nlohmann::json;

// Names and values may carry any bytes a client put in a path; never throw on invalid UTF-8.
std::string json_text(const json& document) {
  return document.dump(-1, ' ', false, json::error_handler_t::replace);
}

// The error code of the responses the HTTP layer itself produces.
std::string_view code_for_status(int status) {
  switch (status) {
    case 400:
      return "bad_request";
    case 401:
      return "unauthorized";
    case 403:
      return "forbidden";
    case 404:
      return "not_found";
    case 405:
      return "method_not_allowed";
    case 409:
      return "conflict";
    case 413:
      return "payload_too_large";
    case 431:
      return "header_too_large";
    case 503:
      return "unavailable";
    default:
      return status >= 500 ? "internal_error" : "error";
  }
}

Response control_failure(const control::ControlError& error) {
  return AdminApi::error(control::http_status(error.code), control::to_string(error.code),
                         error.message);
}

// The string member `field` of a JSON object body, or the 400 to answer with.
Result<std::string, Response> string_field(const std::string& body, const char* field) {
  const json document = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) {
    return fail(AdminApi::error(400, "bad_request", "the request body is not valid JSON"));
  }
  if (!document.is_object()) {
    return fail(AdminApi::error(400, "bad_request", "the request body must be a JSON object"));
  }
  const auto it = document.find(field);
  if (it == document.end() || !it->is_string()) {
    return fail(
        AdminApi::error(400, "bad_request",
                        "field \"" + std::string(field) + "\" is required and must be a string"));
  }
  return it->get<std::string>();
}

Response json_response(int status, const json& document) {
  return Response::json(status, json_text(document));
}

std::array<unsigned char, 32> sha256(std::string_view text) {
  static_assert(SHA256_DIGEST_LENGTH == 32);
  std::array<unsigned char, 32> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest.data());
  return digest;
}

// RFC 6750 section 2.1: credentials = "Bearer" 1*SP b64token.
std::optional<std::string_view> bearer_token(std::string_view authorization) {
  constexpr std::string_view scheme = "Bearer";
  if (authorization.size() <= scheme.size() ||
      !iequals(authorization.substr(0, scheme.size()), scheme) ||
      authorization[scheme.size()] != ' ') {
    return std::nullopt;
  }
  std::string_view token = authorization.substr(scheme.size());
  while (!token.empty() && token.front() == ' ')
    token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ')
    token.remove_suffix(1);
  if (token.empty()) return std::nullopt;
  return token;
}

// The long-poll's wait: the default suits clients and proxies that cut idle requests at 30 s or
// more; the cap keeps a reader from holding a connection (and a waiter slot) for long.
constexpr std::chrono::milliseconds kDefaultEventWait{25'000};
constexpr std::chrono::milliseconds kMaxEventWait{30'000};

// The raw value of `name` in the query of `target` ("/p?a=1&b=2"), or nullopt when absent.
std::optional<std::string_view> query_value(std::string_view target, std::string_view name) {
  const std::size_t question = target.find('?');
  if (question == std::string_view::npos) return std::nullopt;
  std::string_view query = target.substr(question + 1);
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const std::size_t equals = pair.find('=');
    if (pair.substr(0, equals) == name) {
      return equals == std::string_view::npos ? std::string_view() : pair.substr(equals + 1);
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

// A decimal query value, or the 400 to answer with.
Result<std::optional<std::uint64_t>, Response> number_param(std::string_view target,
                                                            std::string_view name) {
  const std::optional<std::string_view> text = query_value(target, name);
  if (!text) return std::optional<std::uint64_t>();
  std::uint64_t value = 0;
  const char* end = text->data() + text->size();
  const auto [ptr, ec] = std::from_chars(text->data(), end, value);
  if (text->empty() || ec != std::errc() || ptr != end) {
    return fail(AdminApi::error(
        400, "bad_request",
        "query parameter \"" + std::string(name) + "\" must be a non-negative decimal integer"));
  }
  return std::optional<std::uint64_t>(value);
}

void add_event_route(HttpServer& server, control::EventSource& source) {
  server.route("GET", "/v1/events", [events = &source](const Request& request, Responder respond) {
    const auto after = number_param(request.target, "after");
    if (!after) return respond(after.error());
    const auto wait_ms = number_param(request.target, "wait_ms");
    if (!wait_ms) return respond(wait_ms.error());
    const std::chrono::milliseconds wait = wait_ms.value()
                                               ? std::chrono::milliseconds(std::min<std::uint64_t>(
                                                     *wait_ms.value(), kMaxEventWait.count()))
                                               : kDefaultEventWait;
    // The source keeps `respond` until an event or the wait's end, never blocking this loop. A
    // client that goes away meanwhile is noticed only when the answer is written: the wait cap
    // bounds how long its slot is held, the source's reader cap how many there can be.
    events->poll_events(after.value(), wait,
                        [respond](Result<control::EventPage, control::ControlError> result) {
                          if (!result) return respond(control_failure(result.error()));
                          respond(json_response(200, json(result.value())));
                        });
  });
}

// The snapshots: what the console reads, served by every role.
void add_read_routes(HttpServer& server, control::MediaControl& media) {
  control::MediaControl* control = &media;
  server.route("GET", "/v1/groups", [control](const Request&, Responder respond) {
    control->list_groups(
        [respond](Result<std::vector<control::GroupSnapshot>, control::ControlError> result) {
          if (!result) return respond(control_failure(result.error()));
          respond(json_response(200, {{"groups", result.value()}}));
        });
  });

  server.route("GET", "/v1/groups/{group}", [control](const Request& request, Responder respond) {
    control->get_group(std::string(request.param("group")),
                       [respond](Result<control::GroupSnapshot, control::ControlError> result) {
                         if (!result) return respond(control_failure(result.error()));
                         respond(json_response(200, json(result.value())));
                       });
  });
}

void add_routes(HttpServer& server, control::MediaControl& media) {
  control::MediaControl* control = &media;

  server.route("GET", "/healthz", [](const Request&, Responder respond) {
    respond(json_response(200, {{"status", "ok"}}));
  });

  server.route("POST", "/v1/groups", [control](const Request& request, Responder respond) {
    Result<std::string, Response> master = string_field(request.body, "master");
    if (!master) return respond(master.error());
    control->create_group(std::move(master).value(),
                          [respond](Result<control::GroupCreated, control::ControlError> result) {
                            if (!result) return respond(control_failure(result.error()));
                            Response created = json_response(201, json(result.value()));
                            created.set_header("Location", "/v1/groups/" + result->group);
                            respond(std::move(created));
                          });
  });

  add_read_routes(server, media);

  server.route("DELETE", "/v1/groups/{group}",
               [control](const Request& request, Responder respond) {
                 control->close_group(std::string(request.param("group")),
                                      [respond](Result<bool, control::ControlError> result) {
                                        if (!result)
                                          return respond(control_failure(result.error()));
                                        respond(Response::empty(204));
                                      });
               });

  server.route("POST", "/v1/groups/{group}/viewers",
               [control](const Request& request, Responder respond) {
                 Result<std::string, Response> viewer = string_field(request.body, "viewer");
                 if (!viewer) return respond(viewer.error());
                 control->admit_viewer(
                     std::string(request.param("group")), std::move(viewer).value(),
                     [respond](Result<control::ViewerAdmitted, control::ControlError> result) {
                       if (!result) return respond(control_failure(result.error()));
                       respond(json_response(201, json(result.value())));
                     });
               });

  // Issue 15: relay a group held by another node (this one becomes its edge). 201 when the
  // pull was opened, 200 when this node relayed the group already.
  server.route("POST", "/v1/edges", [control](const Request& request, Responder respond) {
    auto parsed = parse_edge_request(request.body);
    if (!parsed) {
      return respond(AdminApi::error(400, "bad_request", "edge request: " + parsed.error()));
    }
    control->open_edge(std::move(parsed).value(),
                       [respond](Result<control::EdgeOpened, control::ControlError> result) {
                         if (!result) return respond(control_failure(result.error()));
                         respond(json_response(result->created ? 201 : 200, json(result.value())));
                       });
  });

  // Issue 13: an admitted viewer's media as plain RTP to a phone (the SDP answer's routes).
  server.route("POST", "/v1/groups/{group}/phone-viewers",
               [control](const Request& request, Responder respond) {
                 auto parsed = parse_phone_viewer_request(request.body);
                 if (!parsed) {
                   return respond(AdminApi::error(400, "bad_request",
                                                  "phone viewer request: " + parsed.error()));
                 }
                 control::PhoneViewerRequest phone = std::move(parsed).value();
                 phone.group = std::string(request.param("group"));
                 control->start_phone_viewer(
                     std::move(phone),
                     [respond](Result<control::PhoneViewerStarted, control::ControlError> result) {
                       if (!result) return respond(control_failure(result.error()));
                       respond(json_response(201, json(result.value())));
                     });
               });

  // Issue 14: an admitted viewer's media over WebRTC (the browser's offer, answered here).
  server.route("POST", "/v1/groups/{group}/webrtc-viewers",
               [control](const Request& request, Responder respond) {
                 auto parsed = parse_webrtc_viewer_request(request.body);
                 if (!parsed) {
                   return respond(AdminApi::error(400, "bad_request",
                                                  "webrtc viewer request: " + parsed.error()));
                 }
                 control::WebRtcViewerRequest browser = std::move(parsed).value();
                 browser.group = std::string(request.param("group"));
                 control->start_webrtc_viewer(
                     std::move(browser),
                     [respond](Result<control::WebRtcViewerStarted, control::ControlError> result) {
                       if (!result) return respond(control_failure(result.error()));
                       respond(json_response(201, json(result.value())));
                     });
               });

  // Issue 14: a browser broadcasting into the group over WebRTC (its offer, answered here).
  server.route("POST", "/v1/groups/{group}/webrtc-publisher",
               [control](const Request& request, Responder respond) {
                 auto parsed = parse_webrtc_publisher_request(request.body);
                 if (!parsed) {
                   return respond(AdminApi::error(400, "bad_request",
                                                  "webrtc publisher request: " + parsed.error()));
                 }
                 control::WebRtcPublisherRequest browser = std::move(parsed).value();
                 browser.group = std::string(request.param("group"));
                 control->start_webrtc_publisher(
                     std::move(browser),
                     [respond](Result<control::WebRtcViewerStarted, control::ControlError> result) {
                       if (!result) return respond(control_failure(result.error()));
                       respond(json_response(201, json(result.value())));
                     });
               });

  // Issue 13: a phone that called the service number publishes into the group over plain RTP.
  server.route(
      "POST", "/v1/groups/{group}/phone-publisher",
      [control](const Request& request, Responder respond) {
        auto parsed = parse_phone_publisher_request(request.body);
        if (!parsed) {
          return respond(
              AdminApi::error(400, "bad_request", "phone publisher request: " + parsed.error()));
        }
        control::PhonePublisherRequest phone = std::move(parsed).value();
        phone.group = std::string(request.param("group"));
        control->start_phone_publisher(
            std::move(phone),
            [respond](Result<control::PhonePublisherStarted, control::ControlError> result) {
              if (!result) return respond(control_failure(result.error()));
              respond(json_response(201, json(result.value())));
            });
      });

  server.route("DELETE", "/v1/groups/{group}/viewers/{viewer}",
               [control](const Request& request, Responder respond) {
                 control->remove_viewer(std::string(request.param("group")),
                                        std::string(request.param("viewer")),
                                        [respond](Result<bool, control::ControlError> result) {
                                          if (!result) {
                                            return respond(control_failure(result.error()));
                                          }
                                          respond(Response::empty(204));
                                        });
               });
}

}  // namespace

AdminApi::KeyDigest AdminApi::protect(HttpServer& server, const std::string& api_key) {
  KeyDigest key;
  if (!api_key.empty()) {
    key.configured = true;
    key.sha256 = sha256(api_key);
  }
  server.set_error_renderer([](int status, std::string_view message) {
    return error(status, code_for_status(status), message);
  });
  server.set_filter([key](const Request& request) -> std::optional<Response> {
    if (!guards(request.path)) return std::nullopt;
    return check(key, request);
  });
  return key;
}

AdminApi::AdminApi(HttpServer& server, control::MediaControl& control, std::string api_key) {
  key_ = protect(server, api_key);
  add_routes(server, control);
  if (control::EventSource* events = control.event_source()) add_event_route(server, *events);
}

void AdminApi::add_read_only(HttpServer& server, control::MediaControl& control,
                             const std::string& api_key) {
  (void)protect(server, api_key);
  add_read_routes(server, control);
}

bool AdminApi::guards(std::string_view path) {
  return path == "/healthz" || path == "/metrics" || path == "/v1" || path.starts_with("/v1/");
}

std::optional<Response> AdminApi::check(const KeyDigest& key, const Request& request) {
  if (!key.configured) {
    if (is_loopback_address(request.peer_address)) return std::nullopt;
    return AdminApi::error(403, "forbidden",
                           "no api_key configured: the admin API only answers loopback clients");
  }
  const std::optional<std::string_view> authorization = request.header("Authorization");
  const std::optional<std::string_view> token =
      authorization ? bearer_token(*authorization) : std::nullopt;
  if (token) {
    const std::array<unsigned char, 32> digest = sha256(*token);
    if (CRYPTO_memcmp(digest.data(), key.sha256.data(), digest.size()) == 0) return std::nullopt;
  }
  Response denied = AdminApi::error(
      401, "unauthorized",
      authorization ? "invalid bearer token" : "missing \"Authorization: Bearer <api_key>\"");
  denied.set_header("WWW-Authenticate", "Bearer realm=\"callcast\"");
  return denied;
}

std::optional<Response> AdminApi::check_access(const Request& request) const {
  return check(key_, request);
}

Response AdminApi::error(int status, std::string_view code, std::string_view message) {
  return json_response(status, {{"error", code}, {"message", message}});
}

}  // namespace callcast::http
