#pragma once
// Reading digest credentials (RFC 7616 §3.4, RFC 3261 §22.4) out of an Authorization header,
// with sofia-sip's own header parser: the same grammar the SIP stack applies to SIP requests.
#include <optional>
#include <string_view>

#include "auth/digest.hpp"

namespace callcast::auth {

// `header_value` is the field value, e.g. `Digest username="1001", realm="callcast", ...`.
// nullopt when the scheme is not Digest, the value does not parse, or one of the parameters
// every digest response has (username, realm, nonce, uri, response) is missing.
std::optional<DigestCredentials> parse_digest_authorization(std::string_view header_value);

// The same from a header sofia-sip has already parsed (msg_auth_t's au_scheme and au_params,
// e.g. sip->sip_authorization in a NUA callback), so SIP requests are not parsed twice.
std::optional<DigestCredentials> digest_credentials_from_sofia(const char* scheme,
                                                               const char* const* params);

}  // namespace callcast::auth
