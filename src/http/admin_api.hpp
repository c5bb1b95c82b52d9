#pragma once
// The streaming server's control API over HTTP/JSON (the remote form of control::MediaControl):
//
//   POST   /v1/groups                          {"master":N}  -> 201 GroupCreated      (702-703)
//   POST   /v1/groups/{group}/viewers          {"viewer":N}  -> 201 ViewerAdmitted    (711-712)
//   DELETE /v1/groups/{group}                                -> 204
//   DELETE /v1/groups/{group}/viewers/{viewer}               -> 204
//   GET    /v1/groups                                        -> 200 {"groups":[snapshot...]}
//   GET    /v1/groups/{group}                                -> 200 snapshot
//   GET    /v1/events?after=SEQ&wait_ms=N                    -> 200 event page (long-poll)
//   GET    /healthz                                          -> 200 {"status":"ok"}
//   GET    /metrics (MetricsEndpoint, same access rule)      -> 200 Prometheus text
//
// The signaling role (roles apart) serves the two GET /v1/groups routes alone (add_read_only),
// read from the media role.
//
// The event feed (only when the control keeps events, control::MediaControl::event_source()):
// answers at once with the events whose seq > after, else waits up to wait_ms (default 25000,
// at most 30000) for one and then answers, with an empty list if none came. Without `after`,
// only events from now on. Body:
//   {"events":[{"seq":12,"kind":"master_joined","group":"138..","terminal":"138..",
//               "reason":"","unix_ms":1700000000000}],
//    "next":12,"gap":false,"epoch":"5f0c..."}
// Ask next with after=<next>. gap=true: events after `after` were dropped from the bounded ring
// (or `after` is past the end of the log): the reader must resync with GET /v1/groups. A new
// epoch means the media side restarted. Too many readers waiting at once: 503 limit_reached.
//
// Errors are {"error":<code>,"message":<text>}; control errors keep their code and status
// (control::to_string, control::http_status).
//
// Access, on these routes only (other APIs share the server with their own authentication, e.g.
// the Ut API under /ut/): with an api_key, every request needs "Authorization: Bearer <key>"
// (else 401); without one, only loopback peers are served (else 403).
#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "control/media_control.hpp"
#include "http/http_server.hpp"

namespace callcast::http {

class AdminApi {
 public:
  // Registers the routes, the access filter and JSON error bodies on `server`. The handlers call
  // `control`, which must outlive the server; this object itself may go away after construction.
  AdminApi(HttpServer& server, control::MediaControl& control, std::string api_key);

  // The signaling role's (roles apart): the access rule and JSON errors, which its own /v1/
  // routes share, and the two reads of groups (GET /v1/groups, GET /v1/groups/{group}) answered
  // from `control`, its client of the media role's API, so that the operator console it serves
  // beside the watch and broadcast pages has its data from the same origin. Nothing that creates
  // or ends a group or a viewer: there, calls do.
  static void add_read_only(HttpServer& server, control::MediaControl& control,
                            const std::string& api_key);

  // The access rule alone: nullopt to serve the request, else the 401 or 403 to send.
  std::optional<Response> check_access(const Request& request) const;
  // True for the paths the access rule guards: /healthz, /metrics and everything under /v1/.
  static bool guards(std::string_view path);

  // {"error":code,"message":message} with that status.
  static Response error(int status, std::string_view code, std::string_view message);

 private:
  struct KeyDigest {
    bool configured = false;
    std::array<unsigned char, 32> sha256{};  // of the key, so comparisons do not leak its length
  };
  static std::optional<Response> check(const KeyDigest& key, const Request& request);
  static KeyDigest protect(HttpServer& server, const std::string& api_key);

  KeyDigest key_;
};

}  // namespace callcast::http
