#pragma once
// The client half of HTTP digest authentication (RFC 7616) for the Ut API's PUT: read a
// WWW-Authenticate challenge, answer it with an Authorization header. The hashing is callcast's
// own (auth/digest.hpp), the one the server checks against.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/digest.hpp"

namespace callcast::bench {

struct DigestChallenge {
  auth::DigestAlgorithm algorithm = auth::DigestAlgorithm::md5;
  std::string realm;
  std::string nonce;
  std::string opaque;
  bool qop_auth = false;  // qop offered and "auth" among its values
};

// One header value, e.g. `Digest realm="callcast", nonce="abc", algorithm=SHA-256, qop="auth"`.
// nullopt for another scheme, an algorithm we do not speak, or no realm/nonce.
std::optional<DigestChallenge> parse_digest_challenge(std::string_view header_value);

// The strongest challenge we can answer among several WWW-Authenticate values (SHA-256 first).
std::optional<DigestChallenge> pick_digest_challenge(const std::vector<std::string>& values);

// The Authorization header value answering `challenge` for `method` on `uri` (nc=00000001).
std::string digest_authorization(const DigestChallenge& challenge, std::string_view user,
                                 std::string_view password, std::string_view method,
                                 std::string_view uri, std::string_view cnonce);

}  // namespace callcast::bench
