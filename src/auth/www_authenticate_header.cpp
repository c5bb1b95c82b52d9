#include "auth/www_authenticate_header.hpp"

#include <sofia-sip/auth_digest.h>
#include <sofia-sip/http_header.h>
#include <sofia-sip/msg_header.h>
#include <sofia-sip/su_alloc.h>
#include <strings.h>

#include <algorithm>

#include "auth/scoped_home.hpp"

namespace callcast::auth {

namespace {

// One challenge as sofia-sip tokenised it: the scheme and its "name=value" parameters, values
// still quoted.
struct RawChallenge {
  std::string scheme;
  std::vector<std::string> params;
};

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
    text.remove_suffix(1);
  return text;
}

// sofia-sip reads `Digest a=1, b=2, Basic c=3` as the scheme Digest with the parameters a=1,
// b=2 and `Basic c=3`. An auth-param is `token "=" value` (RFC 7235 §2.1), so a parameter whose
// first blank comes before any '=' starts a new challenge; so does a bare token after the first
// parameter (a token68 may only come first, right after its scheme).
std::vector<RawChallenge> split_challenges(const char* scheme, const char* const* params) {
  std::vector<RawChallenge> challenges{{scheme, {}}};
  for (const char* const* param = params; param != nullptr && *param != nullptr; ++param) {
    const std::string_view text = trimmed(*param);
    const std::size_t equals = text.find('=');
    const std::size_t blank = text.find_first_of(" \t");
    if (blank != std::string_view::npos && (equals == std::string_view::npos || blank < equals)) {
      challenges.push_back({std::string(text.substr(0, blank)), {}});
      const std::string_view first = trimmed(text.substr(blank));
      if (!first.empty()) challenges.back().params.emplace_back(first);
    } else if (equals == std::string_view::npos && !challenges.back().params.empty()) {
      challenges.push_back({std::string(text), {}});
    } else if (!text.empty()) {
      challenges.back().params.emplace_back(text);
    }
  }
  return challenges;
}

std::string text_of(const char* value) {
  return value == nullptr ? std::string() : value;
}

// These values go back to the server inside the Authorization header: a CR or LF in them would
// let a server (or whatever sits on the path) inject header lines into our next request.
bool echoable(std::string_view value) {
  return std::none_of(value.begin(), value.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7f;
  });
}

std::vector<std::string> qop_options(const char* qop) {
  std::vector<std::string> options;
  std::string_view rest = qop == nullptr ? std::string_view() : std::string_view(qop);
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    const std::string_view option = trimmed(rest.substr(0, comma));
    if (!option.empty()) options.emplace_back(option);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return options;
}

std::optional<DigestChallenge> digest_challenge(su_home_t* home, const RawChallenge& raw) {
  if (::strcasecmp(raw.scheme.c_str(), "Digest") != 0) return std::nullopt;
  std::vector<const char*> params;
  params.reserve(raw.params.size() + 1);
  for (const std::string& param : raw.params)
    params.push_back(param.c_str());
  params.push_back(nullptr);
  auth_challenge_t parsed{};
  parsed.ac_size = sizeof(parsed);
  // Unquotes the values (a\"b -> a"b); the first of repeated parameters wins.
  if (auth_digest_challenge_get(home, &parsed, params.data()) < 0) return std::nullopt;
  DigestChallenge challenge{
      .realm = text_of(parsed.ac_realm),
      .nonce = text_of(parsed.ac_nonce),
      .opaque = text_of(parsed.ac_opaque),
      .algorithm = text_of(parsed.ac_algorithm),
      .qops = qop_options(parsed.ac_qop),
      .stale = parsed.ac_stale != 0,
  };
  // RFC 7616 §3.3: realm and nonce are required. An empty realm is legal syntax.
  if (parsed.ac_realm == nullptr || challenge.nonce.empty()) return std::nullopt;
  if (!echoable(challenge.realm) || !echoable(challenge.nonce) || !echoable(challenge.opaque)) {
    return std::nullopt;
  }
  return challenge;
}

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool matches_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return lower(x) == lower(y); });
}

}  // namespace

std::vector<DigestChallenge> parse_digest_challenges(std::string_view header_value) {
  // msg_header_make() reads a C string: an embedded NUL would silently cut the value short.
  if (header_value.find('\0') != std::string_view::npos) return {};
  const std::string value(header_value);
  ScopedHome home;
  msg_header_t* header = msg_header_make(home.get(), http_www_authenticate_class, value.c_str());
  if (header == nullptr || header->sh_auth->au_scheme == nullptr) return {};
  std::vector<DigestChallenge> challenges;
  for (const RawChallenge& raw :
       split_challenges(header->sh_auth->au_scheme, header->sh_auth->au_params)) {
    if (auto challenge = digest_challenge(home.get(), raw)) {
      challenges.push_back(std::move(*challenge));
    }
  }
  return challenges;
}

std::optional<DigestChoice> choose_digest_challenge(std::span<const DigestChallenge> challenges) {
  for (const DigestAlgorithm wanted : {DigestAlgorithm::sha256, DigestAlgorithm::md5}) {
    for (const DigestChallenge& challenge : challenges) {
      if (parse_digest_algorithm(challenge.algorithm) != wanted) continue;
      const bool qop_auth =
          std::any_of(challenge.qops.begin(), challenge.qops.end(),
                      [](const std::string& qop) { return matches_ignoring_case(qop, "auth"); });
      if (!qop_auth && !challenge.qops.empty()) continue;
      return DigestChoice{challenge, wanted, qop_auth};
    }
  }
  return std::nullopt;
}

}  // namespace callcast::auth
