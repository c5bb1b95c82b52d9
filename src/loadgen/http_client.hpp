#pragma once
// A small blocking HTTP/1.1 client, one connection per request (Connection: close), each step
// bounded by a timeout: what the benchmark and the end-to-end tests ask callcastd outside the
// measured paths (the admin API's groups and viewers, the Ut API's PUT with digest credentials).
// Built on HttpConnection; the digest answer is auth/digest_client's, the one the terminal's Ut
// client sends.
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.hpp"
#include "loadgen/http_reply.hpp"

namespace callcast::loadgen {

class HttpClient {
 public:
  HttpClient(core::HostPort server, std::chrono::milliseconds timeout);

  HttpReply get(std::string_view target) const { return request("GET", target, {}, {}); }
  // `body` goes as application/json when not empty; `authorization` when not empty.
  HttpReply request(std::string_view method, std::string_view target, std::string_view body,
                    std::string_view authorization) const;
  // Sends once; a 401 with a digest challenge is answered once with `user` and `password`.
  HttpReply request_with_digest(std::string_view method, std::string_view target,
                                std::string_view body, std::string_view user,
                                std::string_view password) const;

  const core::HostPort& server() const { return server_; }

 private:
  core::HostPort server_;
  std::chrono::milliseconds timeout_;
};

}  // namespace callcast::loadgen
