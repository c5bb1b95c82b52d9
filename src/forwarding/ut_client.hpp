#pragma once
// The terminal's side of the Ut interface (patent [0154], step 708; 3GPP TS 24.623, here JSON
// over HTTP as ut_api.hpp describes): `callcast broadcast` forwards its own number to the
// service number once its broadcast is live, and clears the rule when it ends.
//
// Each call is one request on a fresh connection, answered by the server's 401 digest challenge
// (RFC 7616), then the same request again with an Authorization computed from the password:
// SHA-256 when offered, else MD5; qop=auth with a new random cnonce and nc=00000001 (a nonce is
// used once, so the count never grows). A 401 with stale=true is retried once with the new nonce.
// The whole call, both round trips and the name resolution included, is bounded by `timeout`.
//
// Errors are one line for the user, e.g.
//   Ut server http://127.0.0.1:8080 unreachable: Connection refused
//   Ut server http://127.0.0.1:8080 did not answer within 3000 ms
//   Ut: wrong password for 13800000001, or no such user (401 from http://127.0.0.1:8080)
// Bad server input (no or garbage challenge, malformed HTTP, a body over 64 KiB) is an error too.
//
// Threading: synchronous and blocking (the terminal calls it from a worker thread); each call
// runs its own io_context. One object serves one call at a time.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "core/result.hpp"

namespace callcast::forwarding {

struct UtClientOptions {
  std::string base_url;                     // "http://127.0.0.1:8080": scheme http only, host, port
  std::string number;                       // the user, e.g. "13800000001" (core::is_valid_number)
  std::string password;                     // clear text; the digest is computed here
  std::chrono::milliseconds timeout{3000};  // the whole call, challenge round trip included
};

class UtClient {
 public:
  // Validates base_url (http://host:port) and number; the failure text names what is wrong.
  static Result<UtClient, std::string> create(UtClientOptions options);

  // Result<bool> is the house's "no value" result (core::Result has no void form): true on
  // success.
  // PUT /ut/v1/users/{number}/forwarding/unconditional {"target": target}
  Result<bool, std::string> set_unconditional(const std::string& target);
  // DELETE the same rule; a rule that is not there is not an error.
  Result<bool, std::string> clear_unconditional();
  // GET the same rule: its target, or nullopt when there is none.
  Result<std::optional<std::string>, std::string> unconditional();

  const std::string& base_url() const { return base_url_; }

  // The largest response body read; a longer one is an error, not an allocation.
  static constexpr std::size_t kMaxBodyBytes = std::size_t{64} * 1024;

 private:
  UtClient(UtClientOptions options, std::string host, std::uint16_t port, std::string base_url);

  struct Reply;
  Result<Reply, std::string> authenticated_call(const std::string& method, std::string body);
  Result<Reply, std::string> round_trip(const std::string& method, const std::string& body,
                                        const std::optional<std::string>& authorization,
                                        std::chrono::steady_clock::time_point deadline) const;
  std::string failure(const Reply& reply) const;

  UtClientOptions options_;
  std::string host_;
  std::uint16_t port_ = 0;
  std::string base_url_;  // normalised, "http://host:port", as messages name it
  std::string path_;      // /ut/v1/users/{number}/forwarding/unconditional
};

}  // namespace callcast::forwarding
