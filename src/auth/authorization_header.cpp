#include "auth/authorization_header.hpp"

#include <sofia-sip/auth_digest.h>
#include <sofia-sip/http_header.h>
#include <sofia-sip/msg_header.h>
#include <sofia-sip/su_alloc.h>
#include <strings.h>

#include <string>

#include "auth/scoped_home.hpp"

namespace callcast::auth {

namespace {

std::string header_text_of(const char* value) {
  return value == nullptr ? std::string() : value;
}

std::optional<DigestCredentials> credentials_from(su_home_t* home, const char* scheme,
                                                  const char* const* params) {
  if (scheme == nullptr || ::strcasecmp(scheme, "Digest") != 0 || params == nullptr) {
    return std::nullopt;
  }
  auth_response_t response{};
  response.ar_size = sizeof(response);
  // Unquotes the values (a\"b -> a"b); the first of repeated parameters wins.
  if (auth_digest_response_get(home, &response, params) < 0) return std::nullopt;
  DigestCredentials credentials{
      .username = header_text_of(response.ar_username),
      .realm = header_text_of(response.ar_realm),
      .nonce = header_text_of(response.ar_nonce),
      .uri = header_text_of(response.ar_uri),
      .response = header_text_of(response.ar_response),
      .algorithm = header_text_of(response.ar_algorithm),
      .cnonce = header_text_of(response.ar_cnonce),
      .nc = header_text_of(response.ar_nc),
      .qop = header_text_of(response.ar_qop),
      .opaque = header_text_of(response.ar_opaque),
  };
  // RFC 7616 §3.4: a digest response without these cannot be checked at all. An empty realm is
  // legal syntax and is left to verify() (wrong_realm).
  if (credentials.username.empty() || credentials.nonce.empty() || credentials.uri.empty() ||
      credentials.response.empty() || response.ar_realm == nullptr) {
    return std::nullopt;
  }
  return credentials;
}

}  // namespace

std::optional<DigestCredentials> parse_digest_authorization(std::string_view header_value) {
  // msg_header_make() reads a C string: an embedded NUL would silently cut the value short.
  if (header_value.find('\0') != std::string_view::npos) return std::nullopt;
  const std::string value(header_value);
  ScopedHome home;
  msg_header_t* header = msg_header_make(home.get(), http_authorization_class, value.c_str());
  if (header == nullptr) return std::nullopt;
  const msg_auth_t* authorization = header->sh_auth;
  return credentials_from(home.get(), authorization->au_scheme, authorization->au_params);
}

std::optional<DigestCredentials> digest_credentials_from_sofia(const char* scheme,
                                                               const char* const* params) {
  ScopedHome home;
  return credentials_from(home.get(), scheme, params);
}

}  // namespace callcast::auth
