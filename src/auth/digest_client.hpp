#pragma once
// The client half of HTTP digest authentication (RFC 7616 §3.4), shared by every client that
// answers callcast's challenges: the terminal's Ut client, the load generator's HTTP client and
// the tests' one. Challenges are read by www_authenticate_header.hpp, hashes made by digest.hpp
// (the very functions the server checks with).
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "auth/www_authenticate_header.hpp"

namespace callcast::auth {

// The challenge to answer among a response's WWW-Authenticate values (each may hold several
// challenges), chosen as choose_digest_challenge() does. nullopt: none this client can answer.
std::optional<DigestChoice> choose_digest_challenge_of(std::span<const std::string> header_values);

// The Authorization value answering `choice` for `method` on `uri` (the request-target as sent),
// e.g.
//   Digest username="1001", realm="callcast", nonce="..", uri="/ut/v1/..", algorithm=MD5,
//          response="..", qop=auth, nc=00000001, cnonce="..", opaque=".."
// qop=auth with nc=00000001 and `cnonce` when the challenge offered it (a nonce is answered
// once), the RFC 2069 form without qop otherwise; opaque echoed when sent.
std::string digest_authorization(const DigestChoice& choice, std::string_view user,
                                 std::string_view password, std::string_view method,
                                 std::string_view uri, std::string_view cnonce);

}  // namespace callcast::auth
