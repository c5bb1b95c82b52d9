#include "digest_client.hpp"

#include <cctype>

namespace callcast::bench {
namespace {

bool equals_ignore_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

void skip_separators(std::string_view& text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == ',')) {
    text.remove_prefix(1);
  }
}

// `name=value` or `name="quoted \" value"` from the front of `text`; false at the end or on
// something else.
bool next_parameter(std::string_view& text, std::string& name, std::string& value) {
  skip_separators(text);
  const auto equals = text.find('=');
  if (text.empty() || equals == std::string_view::npos) return false;
  name = std::string(text.substr(0, equals));
  while (!name.empty() && name.back() == ' ')
    name.pop_back();
  text.remove_prefix(equals + 1);
  while (!text.empty() && text.front() == ' ')
    text.remove_prefix(1);
  value.clear();
  if (!text.empty() && text.front() == '"') {
    text.remove_prefix(1);
    while (!text.empty() && text.front() != '"') {
      if (text.front() == '\\' && text.size() > 1) text.remove_prefix(1);
      value += text.front();
      text.remove_prefix(1);
    }
    if (text.empty()) return false;  // no closing quote
    text.remove_prefix(1);
  } else {
    const auto end = text.find(',');
    value = std::string(text.substr(0, end));
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
      value.pop_back();
    text.remove_prefix(end == std::string_view::npos ? text.size() : end);
  }
  return true;
}

}  // namespace

std::optional<DigestChallenge> parse_digest_challenge(std::string_view header_value) {
  while (!header_value.empty() && header_value.front() == ' ')
    header_value.remove_prefix(1);
  constexpr std::string_view scheme = "Digest";
  if (header_value.size() <= scheme.size() ||
      !equals_ignore_case(header_value.substr(0, scheme.size()), scheme) ||
      header_value[scheme.size()] != ' ') {
    return std::nullopt;
  }
  header_value.remove_prefix(scheme.size());
  DigestChallenge challenge;
  std::string algorithm;
  std::string name;
  std::string value;
  while (next_parameter(header_value, name, value)) {
    if (equals_ignore_case(name, "realm")) {
      challenge.realm = value;
    } else if (equals_ignore_case(name, "nonce")) {
      challenge.nonce = value;
    } else if (equals_ignore_case(name, "opaque")) {
      challenge.opaque = value;
    } else if (equals_ignore_case(name, "algorithm")) {
      algorithm = value;
    } else if (equals_ignore_case(name, "qop")) {
      // A comma-separated list inside the quotes: "auth,auth-int".
      std::string_view options = value;
      while (!options.empty()) {
        const auto comma = options.find(',');
        std::string_view option = options.substr(0, comma);
        while (!option.empty() && option.front() == ' ')
          option.remove_prefix(1);
        while (!option.empty() && option.back() == ' ')
          option.remove_suffix(1);
        if (equals_ignore_case(option, "auth")) challenge.qop_auth = true;
        options.remove_prefix(comma == std::string_view::npos ? options.size() : comma + 1);
      }
    }
  }
  const auto parsed = auth::parse_digest_algorithm(algorithm);
  if (!parsed || challenge.realm.empty() || challenge.nonce.empty()) return std::nullopt;
  challenge.algorithm = *parsed;
  return challenge;
}

std::optional<DigestChallenge> pick_digest_challenge(const std::vector<std::string>& values) {
  std::optional<DigestChallenge> picked;
  for (const auto& value : values) {
    auto challenge = parse_digest_challenge(value);
    if (!challenge) continue;
    if (!picked || (challenge->algorithm == auth::DigestAlgorithm::sha256 &&
                    picked->algorithm != auth::DigestAlgorithm::sha256)) {
      picked = std::move(challenge);
    }
  }
  return picked;
}

std::string digest_authorization(const DigestChallenge& challenge, std::string_view user,
                                 std::string_view password, std::string_view method,
                                 std::string_view uri, std::string_view cnonce) {
  auth::DigestCredentials credentials;
  credentials.username = std::string(user);
  credentials.realm = challenge.realm;
  credentials.nonce = challenge.nonce;
  credentials.uri = std::string(uri);
  credentials.algorithm = std::string(auth::to_string(challenge.algorithm));
  credentials.opaque = challenge.opaque;
  if (challenge.qop_auth) {
    credentials.qop = "auth";
    credentials.nc = "00000001";
    credentials.cnonce = std::string(cnonce);
  }
  const std::string ha1 = auth::digest_ha1(challenge.algorithm, user, challenge.realm, password);
  credentials.response = auth::digest_response(challenge.algorithm, ha1, credentials, method);

  std::string header = "Digest username=\"" + credentials.username + "\", realm=\"" +
                       credentials.realm + "\", nonce=\"" + credentials.nonce + "\", uri=\"" +
                       credentials.uri + "\", algorithm=" + credentials.algorithm +
                       ", response=\"" + credentials.response + "\"";
  if (challenge.qop_auth) {
    header += ", qop=auth, nc=" + credentials.nc + ", cnonce=\"" + credentials.cnonce + "\"";
  }
  if (!challenge.opaque.empty()) header += ", opaque=\"" + challenge.opaque + "\"";
  return header;
}

}  // namespace callcast::bench
