#pragma once
// Reading digest challenges (RFC 7616 §3.3, RFC 7235 §4.1) out of WWW-Authenticate header
// values, for the client side of digest (the terminal's Ut client). Tokens and quoted strings are
// read by sofia-sip's HTTP header parser, the same grammar authorization_header.hpp relies on.
//
// A server may send several challenges, one per header or several in one header:
//   WWW-Authenticate: Digest realm="callcast", nonce="..", algorithm=SHA-256, qop="auth"
//   WWW-Authenticate: Digest realm="callcast", nonce="..", algorithm=MD5, qop="auth",
//                     Basic realm="other"
// sofia-sip reads one challenge per header and leaves any further one as an odd parameter
// (`Basic realm="other"`: a token, a space, then the next parameter); the split is done here.
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "auth/digest.hpp"

namespace callcast::auth {

// One Digest challenge, unquoted. Absent parameters are empty.
struct DigestChallenge {
  std::string realm, nonce, opaque;
  std::string algorithm;          // as sent; "" means MD5 (RFC 7616 §3.3)
  std::vector<std::string> qops;  // the qop options, e.g. {"auth", "auth-int"}; none: RFC 2069
  bool stale = false;
  bool operator==(const DigestChallenge&) const = default;
};

// Every Digest challenge of one WWW-Authenticate field value, in order; challenges of other
// schemes are skipped. A challenge without realm or nonce, or with a control character in a
// value we would echo (realm, nonce, opaque), is left out: it cannot be answered safely. Empty
// when the value does not parse.
std::vector<DigestChallenge> parse_digest_challenges(std::string_view header_value);

// The challenge a client answers, and how (RFC 7616 §3.7: the strongest algorithm it knows).
struct DigestChoice {
  DigestChallenge challenge;
  DigestAlgorithm algorithm = DigestAlgorithm::md5;
  bool qop_auth = false;  // answer with qop=auth; false: the RFC 2069 form (no qop offered)
};

// SHA-256 before MD5; within one algorithm, the first offered. A challenge is usable when its
// algorithm is MD5 or SHA-256 (not -sess, not SHA-512-256) and it offers qop "auth" or no qop at
// all (qop=auth-int alone would need the body hashed, which we do not do). nullopt: none usable.
std::optional<DigestChoice> choose_digest_challenge(std::span<const DigestChallenge> challenges);

}  // namespace callcast::auth
