#include "auth/digest.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <initializer_list>
#include <span>
#include <stdexcept>
#include <utility>

#include "auth/hex.hpp"

// RFC 7616 §3.4.1, with H = MD5 or SHA-256 in lower-case hex:
//
//   HA1      = H(username ":" realm ":" password)          stored in the users file
//   HA2      = H(method ":" digest-uri)                    qop=auth or no qop
//   response = H(HA1 ":" nonce ":" nc ":" cnonce ":" qop ":" HA2)     qop=auth
//   response = H(HA1 ":" nonce ":" HA2)                    no qop (RFC 2069, still sent by some
//                                                          SIP phones)

namespace callcast::auth {

namespace {

constexpr std::size_t kGeneratedSecretBytes = 32;

const EVP_MD* evp_of(DigestAlgorithm algorithm) {
  switch (algorithm) {
    case DigestAlgorithm::md5:
      return EVP_md5();
    case DigestAlgorithm::sha256:
      return EVP_sha256();
  }
  std::abort();
}

std::size_t hex_size_of(DigestAlgorithm algorithm) {
  return algorithm == DigestAlgorithm::md5 ? 32 : 64;
}

std::string hash_hex(DigestAlgorithm algorithm, std::string_view text) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  // Only fails when OpenSSL cannot allocate or the algorithm is missing: nothing to recover.
  if (EVP_Digest(text.data(), text.size(), digest.data(), &size, evp_of(algorithm), nullptr) != 1) {
    std::abort();
  }
  return to_hex(std::span(digest.data(), size));
}

std::string join_colon(std::initializer_list<std::string_view> parts) {
  std::string out;
  bool first = true;
  for (const auto part : parts) {
    if (!first) out.push_back(':');
    out.append(part);
    first = false;
  }
  return out;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && to_lower_ascii(a) == to_lower_ascii(b);
}

std::string secret_or_random(std::string secret) {
  if (!secret.empty()) return secret;
  std::array<unsigned char, kGeneratedSecretBytes> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    // Called once at start, never on the data path (like TokenSigner::generate_secret).
    throw std::runtime_error("RAND_bytes failed: no secure randomness for the nonce secret");
  }
  return std::string(bytes.begin(), bytes.end());
}

std::int64_t unix_seconds(std::chrono::system_clock::time_point time) {
  return std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count();
}

}  // namespace

std::string_view to_string(DigestAlgorithm algorithm) {
  switch (algorithm) {
    case DigestAlgorithm::md5:
      return "MD5";
    case DigestAlgorithm::sha256:
      return "SHA-256";
  }
  return "unknown";
}

std::string quoted_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::optional<DigestAlgorithm> parse_digest_algorithm(std::string_view text) {
  if (text.empty() || equals_ignoring_case(text, "MD5")) return DigestAlgorithm::md5;
  if (equals_ignoring_case(text, "SHA-256")) return DigestAlgorithm::sha256;
  return std::nullopt;
}

std::string digest_ha1(DigestAlgorithm algorithm, std::string_view user, std::string_view realm,
                       std::string_view password) {
  return hash_hex(algorithm, join_colon({user, realm, password}));
}

std::string digest_response(DigestAlgorithm algorithm, std::string_view ha1,
                            const DigestCredentials& credentials, std::string_view method) {
  const std::string ha2 = hash_hex(algorithm, join_colon({method, credentials.uri}));
  if (credentials.qop.empty()) {
    return hash_hex(algorithm, join_colon({ha1, credentials.nonce, ha2}));
  }
  return hash_hex(algorithm, join_colon({ha1, credentials.nonce, credentials.nc, credentials.cnonce,
                                         credentials.qop, ha2}));
}

std::string_view to_string(DigestVerdict verdict) {
  switch (verdict) {
    case DigestVerdict::ok:
      return "ok";
    case DigestVerdict::malformed:
      return "malformed";
    case DigestVerdict::wrong_realm:
      return "wrong_realm";
    case DigestVerdict::unknown_user:
      return "unknown_user";
    case DigestVerdict::wrong_password:
      return "wrong_password";
    case DigestVerdict::stale_nonce:
      return "stale_nonce";
  }
  return "unknown";
}

DigestAuthenticator::DigestAuthenticator(std::string realm, std::string nonce_secret,
                                         std::chrono::seconds nonce_ttl, Clock clock)
    : realm_(std::move(realm)),
      nonces_(secret_or_random(std::move(nonce_secret)), realm_),
      nonce_ttl_(nonce_ttl),
      clock_(std::move(clock)) {}

void DigestAuthenticator::set_algorithms(std::vector<DigestAlgorithm> algorithms) {
  if (!algorithms.empty()) algorithms_ = std::move(algorithms);
}

std::vector<std::string> DigestAuthenticator::challenges(bool stale) const {
  const std::int64_t now = unix_seconds(clock_());
  std::vector<std::string> out;
  for (const auto algorithm : algorithms_) {
    std::string challenge = "Digest realm=" + quoted_string(realm_) + ", nonce=\"" +
                            nonces_.issue(now) +
                            "\", algorithm=" + std::string(to_string(algorithm)) + ", qop=\"auth\"";
    if (stale) challenge += ", stale=true";
    out.push_back(std::move(challenge));
  }
  return out;
}

DigestCheck DigestAuthenticator::verify(const DigestCredentials& credentials,
                                        std::string_view method, HashLookup& users) const {
  DigestCheck check{DigestVerdict::malformed, credentials.username};
  const auto algorithm = parse_digest_algorithm(credentials.algorithm);
  if (!algorithm ||
      std::find(algorithms_.begin(), algorithms_.end(), *algorithm) == algorithms_.end()) {
    return check;
  }
  if (credentials.username.empty() || credentials.nonce.empty() || credentials.uri.empty() ||
      method.empty()) {
    return check;
  }
  const bool with_qop = !credentials.qop.empty();
  if (with_qop) {
    // RFC 7616 §3.4: qop=auth comes with a cnonce and an 8-digit nc.
    if (!equals_ignoring_case(credentials.qop, "auth") || credentials.cnonce.empty() ||
        !is_hex(credentials.nc, 8)) {
      return check;
    }
  }
  if (!is_hex(credentials.response, hex_size_of(*algorithm))) return check;
  if (credentials.realm != realm_) {
    check.verdict = DigestVerdict::wrong_realm;
    return check;
  }
  const auto issued = nonces_.issued_at(credentials.nonce);
  if (!issued) return check;  // not ours (forged, other realm, or another secret): re-challenge

  const auto ha1 = users.ha1(credentials.username, *algorithm);
  if (!ha1) {
    check.verdict = DigestVerdict::unknown_user;
    return check;
  }
  const std::string expected = digest_response(*algorithm, *ha1, credentials, method);
  const std::string response = to_lower_ascii(credentials.response);
  // Both are hex_size_of(algorithm) long here: only their content needs constant time.
  if (response.size() != expected.size() ||
      CRYPTO_memcmp(response.data(), expected.data(), expected.size()) != 0) {
    check.verdict = DigestVerdict::wrong_password;
    return check;
  }
  const std::int64_t now = unix_seconds(clock_());
  check.verdict =
      now - *issued >= nonce_ttl_.count() ? DigestVerdict::stale_nonce : DigestVerdict::ok;
  return check;
}

}  // namespace callcast::auth
