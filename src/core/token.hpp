#pragma once
// Access tokens (DESIGN.md §4): base64url(payload) "." base64url(HMAC-SHA256(secret, payload)).
// Any media node holding the secret can check one without shared state.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace callcast::core {

enum class TokenRole { publish, play };
std::string_view to_string(TokenRole role);

struct TokenClaims {
  std::string group;
  TokenRole role = TokenRole::play;
  std::string terminal;
  std::int64_t expires_unix = 0;
  bool operator==(const TokenClaims&) const = default;
};

enum class TokenError { malformed, bad_signature, expired };
std::string_view to_string(TokenError error);

class TokenSigner {
 public:
  // `secret` must not be empty.
  explicit TokenSigner(std::string secret);
  // 32 random bytes from OpenSSL's RAND_bytes, base64url-encoded. Throws std::runtime_error when
  // the system has no secure randomness (called once at start, never on the data path).
  static std::string generate_secret();

  std::string issue(const TokenClaims& claims) const;
  // Checks the signature in constant time first, then the payload, then the expiry.
  Result<TokenClaims, TokenError> verify(std::string_view token, std::int64_t now_unix) const;

 private:
  std::string secret_;
};

}  // namespace callcast::core
