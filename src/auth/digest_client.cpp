#include "auth/digest_client.hpp"

#include <utility>
#include <vector>

namespace callcast::auth {

namespace {
constexpr std::string_view kNonceCount = "00000001";
}  // namespace

std::optional<DigestChoice> choose_digest_challenge_of(std::span<const std::string> header_values) {
  std::vector<DigestChallenge> challenges;
  for (const std::string& value : header_values) {
    for (DigestChallenge& challenge : parse_digest_challenges(value)) {
      challenges.push_back(std::move(challenge));
    }
  }
  return choose_digest_challenge(challenges);
}

std::string digest_authorization(const DigestChoice& choice, std::string_view user,
                                 std::string_view password, std::string_view method,
                                 std::string_view uri, std::string_view cnonce) {
  DigestCredentials credentials{
      .username = std::string(user),
      .realm = choice.challenge.realm,
      .nonce = choice.challenge.nonce,
      .uri = std::string(uri),
      .response = {},
      .algorithm = std::string(to_string(choice.algorithm)),
      .cnonce = {},
      .nc = {},
      .qop = {},
      .opaque = choice.challenge.opaque,
  };
  if (choice.qop_auth) {
    credentials.qop = "auth";
    credentials.nc = std::string(kNonceCount);
    credentials.cnonce = std::string(cnonce);
  }
  const std::string ha1 = digest_ha1(choice.algorithm, user, choice.challenge.realm, password);
  credentials.response = digest_response(choice.algorithm, ha1, credentials, method);

  std::string value =
      "Digest username=" + quoted_string(credentials.username) +
      ", realm=" + quoted_string(credentials.realm) +
      ", nonce=" + quoted_string(credentials.nonce) + ", uri=" + quoted_string(credentials.uri) +
      ", algorithm=" + credentials.algorithm + ", response=" + quoted_string(credentials.response);
  if (choice.qop_auth) {
    value += ", qop=auth, nc=" + credentials.nc + ", cnonce=" + quoted_string(credentials.cnonce);
  }
  if (!credentials.opaque.empty()) value += ", opaque=" + quoted_string(credentials.opaque);
  return value;
}

}  // namespace callcast::auth
