#pragma once
// A small blocking HTTP/1.1 client for what the benchmark asks callcastd outside the measured
// calls: the Ut API's PUT of a forwarding rule (digest-authenticated), and the admin API's
// GET /v1/groups and GET /v1/signaling at the end. One connection per request, bounded by a
// timeout; Boost.Beast stays in the .cpp.
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.hpp"

namespace callcast::bench {

struct HttpReply {
  int status = 0;     // 0: no response (see `error`)
  std::string error;  // connection, timeout or protocol failure
  std::string body;
  std::vector<std::string> www_authenticate;  // every WWW-Authenticate value, in order

  // "PUT /ut/v1/... -> 403 {...}" style text for error messages.
  std::string describe() const;
};

class HttpClient {
 public:
  HttpClient(core::HostPort server, std::chrono::milliseconds timeout);

  HttpReply get(std::string_view target) const { return request("GET", target, {}, {}); }
  // `body` goes as application/json when not empty.
  HttpReply request(std::string_view method, std::string_view target, std::string_view body,
                    std::string_view authorization) const;
  // Sends once; a 401 with a digest challenge is answered once with `user` and `password`.
  HttpReply request_with_digest(std::string_view method, std::string_view target,
                                std::string_view body, std::string_view user,
                                std::string_view password) const;

 private:
  core::HostPort server_;
  std::chrono::milliseconds timeout_;
};

}  // namespace callcast::bench
