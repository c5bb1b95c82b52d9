// Fuzzes the digest Authorization header reader (sofia-sip's http_authorization parser plus
// auth_digest_response_get) and the response check behind it.
// Invariants: never crashes or leaks; whatever parses has the five parameters every digest
// response needs, and verify() gives a verdict without ever answering ok for bytes that were not
// computed from a password.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "auth/authorization_header.hpp"
#include "auth/digest.hpp"

using namespace callcast::auth;

namespace {

class AnyUser : public HashLookup {
 public:
  std::optional<std::string> ha1(std::string_view user, DigestAlgorithm algorithm) override {
    return digest_ha1(algorithm, user, "callcast", "secret");
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto credentials = parse_digest_authorization(input);
  if (!credentials) return 0;
  if (credentials->username.empty() || credentials->nonce.empty() || credentials->uri.empty() ||
      credentials->response.empty()) {
    __builtin_trap();
  }
  static const DigestAuthenticator authenticator(
      "callcast", "fuzz-secret", std::chrono::seconds(300),
      [] { return std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000)); });
  AnyUser users;
  // The fuzzer cannot forge the nonce's HMAC, so ok would mean the MAC check was skipped.
  if (authenticator.verify(*credentials, "REGISTER", users).verdict == DigestVerdict::ok) {
    __builtin_trap();
  }
  return 0;
}
