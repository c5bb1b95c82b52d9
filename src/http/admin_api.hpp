#pragma once
// The streaming server's control API over HTTP/JSON (the remote form of control::MediaControl):
//
//   POST   /v1/groups                          {"master":N}  -> 201 GroupCreated      (702-703)
//   POST   /v1/groups/{group}/viewers          {"viewer":N}  -> 201 ViewerAdmitted    (711-712)
//   DELETE /v1/groups/{group}                                -> 204
//   DELETE /v1/groups/{group}/viewers/{viewer}               -> 204
//   GET    /v1/groups                                        -> 200 {"groups":[snapshot...]}
//   GET    /v1/groups/{group}                                -> 200 snapshot
//   GET    /healthz                                          -> 200 {"status":"ok"}
//
// Errors are {"error":<code>,"message":<text>}; control errors keep their code and status
// (control::to_string, control::http_status).
//
// Access: with an api_key, every request needs "Authorization: Bearer <key>" (else 401); without
// one, only loopback peers are served (else 403).
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

  // The access rule alone: nullopt to serve the request, else the 401 or 403 to send.
  std::optional<Response> check_access(const Request& request) const;

  // {"error":code,"message":message} with that status.
  static Response error(int status, std::string_view code, std::string_view message);

 private:
  struct KeyDigest {
    bool configured = false;
    std::array<unsigned char, 32> sha256{};  // of the key, so comparisons do not leak its length
  };
  static std::optional<Response> check(const KeyDigest& key, const Request& request);

  KeyDigest key_;
};

}  // namespace callcast::http
