#include "core/token.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>
#include <cassert>
#include <charconv>
#include <climits>
#include <cstddef>
#include <cstdlib>
#include <optional>
#include <span>
#include <stdexcept>
#include <utility>

// Token format (DESIGN.md §4):
//
//   token   = base64url(payload) "." base64url(mac)
//   payload = "v1|" group "|" role "|" terminal "|" expires_unix
//   mac     = HMAC-SHA256(secret, payload)          32 bytes, over the decoded payload bytes
//
//   role         = "publish" / "play"
//   expires_unix = 1*DIGIT (seconds since the epoch; the token is valid while now < expires_unix)
//
// base64url is RFC 4648 §5 without padding. Decoding is strict (no padding, no whitespace, unused
// trailing bits must be zero) so each claim set has exactly one encoding. The secret is used as
// raw bytes. Fields never contain '|': terminal numbers are [0-9A-Za-z+._-] (group_registry.hpp),
// and issue() asserts it.

namespace callcast::core {

std::string_view to_string(TokenRole role) {
  switch (role) {
    case TokenRole::publish:
      return "publish";
    case TokenRole::play:
      return "play";
  }
  return "unknown";
}

std::string_view to_string(TokenError error) {
  switch (error) {
    case TokenError::malformed:
      return "malformed";
    case TokenError::bad_signature:
      return "bad_signature";
    case TokenError::expired:
      return "expired";
  }
  return "unknown";
}

namespace {

constexpr std::string_view kVersion = "v1";
constexpr char kFieldSeparator = '|';
constexpr std::size_t kFieldCount = 5;  // version, group, role, terminal, expires_unix
constexpr std::size_t kMacSize = 32;    // SHA-256
constexpr std::size_t kSecretBytes = 32;

using Mac = std::array<unsigned char, kMacSize>;

constexpr std::string_view kBase64UrlAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64url_encode(std::span<const unsigned char> bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t triple = (std::uint32_t{bytes[i]} << 16) |
                                 (std::uint32_t{bytes[i + 1]} << 8) | std::uint32_t{bytes[i + 2]};
    out.push_back(kBase64UrlAlphabet[(triple >> 18) & 0x3f]);
    out.push_back(kBase64UrlAlphabet[(triple >> 12) & 0x3f]);
    out.push_back(kBase64UrlAlphabet[(triple >> 6) & 0x3f]);
    out.push_back(kBase64UrlAlphabet[triple & 0x3f]);
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    const std::uint32_t single = std::uint32_t{bytes[i]} << 16;
    out.push_back(kBase64UrlAlphabet[(single >> 18) & 0x3f]);
    out.push_back(kBase64UrlAlphabet[(single >> 12) & 0x3f]);
  } else if (rest == 2) {
    const std::uint32_t pair = (std::uint32_t{bytes[i]} << 16) | (std::uint32_t{bytes[i + 1]} << 8);
    out.push_back(kBase64UrlAlphabet[(pair >> 18) & 0x3f]);
    out.push_back(kBase64UrlAlphabet[(pair >> 12) & 0x3f]);
    out.push_back(kBase64UrlAlphabet[(pair >> 6) & 0x3f]);
  }
  return out;
}

std::string base64url_encode(std::string_view text) {
  // Reading chars as unsigned char is the one place the byte/char distinction must be crossed.
  return base64url_encode(
      std::span(reinterpret_cast<const unsigned char*>(text.data()), text.size()));
}

// The 6-bit value of a base64url character, or nullopt.
constexpr std::optional<std::uint32_t> base64url_value(char c) {
  if (c >= 'A' && c <= 'Z') return static_cast<std::uint32_t>(c - 'A');
  if (c >= 'a' && c <= 'z') return static_cast<std::uint32_t>(c - 'a' + 26);
  if (c >= '0' && c <= '9') return static_cast<std::uint32_t>(c - '0' + 52);
  if (c == '-') return 62;
  if (c == '_') return 63;
  return std::nullopt;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  // A lone trailing character carries only 6 bits: never a whole byte.
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t bits = 0;
  int bit_count = 0;
  for (char c : text) {
    const auto value = base64url_value(c);
    if (!value) return std::nullopt;
    bits = (bits << 6) | *value;
    bit_count += 6;
    if (bit_count >= 8) {
      bit_count -= 8;
      out.push_back(static_cast<char>((bits >> bit_count) & 0xff));
    }
    bits &= (1u << bit_count) - 1;
  }
  // Left-over bits are padding; non-zero ones would let two strings decode to the same bytes.
  if (bits != 0) return std::nullopt;
  return out;
}

Mac hmac_sha256(std::string_view secret, std::string_view payload) {
  assert(secret.size() <= static_cast<std::size_t>(INT_MAX));
  Mac mac{};
  unsigned int mac_size = 0;
  const unsigned char* result = HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
                                     reinterpret_cast<const unsigned char*>(payload.data()),
                                     payload.size(), mac.data(), &mac_size);
  // HMAC() only fails when OpenSSL cannot allocate or SHA-256 is missing: nothing to recover.
  if (result == nullptr || mac_size != kMacSize) std::abort();
  return mac;
}

[[maybe_unused]] bool has_separator(std::string_view field) {  // only asserts use it
  return field.find(kFieldSeparator) != std::string_view::npos;
}

std::optional<TokenRole> parse_token_role(std::string_view text) {
  if (text == "publish") return TokenRole::publish;
  if (text == "play") return TokenRole::play;
  return std::nullopt;
}

std::optional<std::int64_t> parse_expiry(std::string_view text) {
  if (text.empty()) return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;  // from_chars would accept a leading '-'
  }
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<TokenClaims> parse_payload(std::string_view payload) {
  std::array<std::string_view, kFieldCount> fields;
  std::size_t count = 0;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = payload.find(kFieldSeparator, start);
    if (count == kFieldCount) return std::nullopt;
    fields[count++] = payload.substr(start, end == std::string_view::npos ? end : end - start);
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  if (count != kFieldCount || fields[0] != kVersion) return std::nullopt;
  const auto role = parse_token_role(fields[2]);
  const auto expires = parse_expiry(fields[4]);
  if (!role || !expires) return std::nullopt;
  return TokenClaims{std::string(fields[1]), *role, std::string(fields[3]), *expires};
}

}  // namespace

TokenSigner::TokenSigner(std::string secret) : secret_(std::move(secret)) {
  assert(!secret_.empty());
}

std::string TokenSigner::generate_secret() {
  std::array<unsigned char, kSecretBytes> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw std::runtime_error("RAND_bytes failed: no secure randomness for the token secret");
  }
  return base64url_encode(bytes);
}

std::string TokenSigner::issue(const TokenClaims& claims) const {
  assert(!has_separator(claims.group));
  assert(!has_separator(claims.terminal));
  assert(claims.expires_unix >= 0);
  std::string payload;
  payload.append(kVersion);
  payload.push_back(kFieldSeparator);
  payload.append(claims.group);
  payload.push_back(kFieldSeparator);
  payload.append(to_string(claims.role));
  payload.push_back(kFieldSeparator);
  payload.append(claims.terminal);
  payload.push_back(kFieldSeparator);
  payload.append(std::to_string(claims.expires_unix));
  const Mac mac = hmac_sha256(secret_, payload);
  std::string token = base64url_encode(payload);
  token.push_back('.');
  token.append(base64url_encode(mac));
  return token;
}

Result<TokenClaims, TokenError> TokenSigner::verify(std::string_view token,
                                                    std::int64_t now_unix) const {
  const std::size_t dot = token.find('.');
  if (dot == std::string_view::npos) return fail(TokenError::malformed);
  const std::string_view encoded_payload = token.substr(0, dot);
  const std::string_view encoded_mac = token.substr(dot + 1);
  if (encoded_payload.empty() || encoded_mac.find('.') != std::string_view::npos) {
    return fail(TokenError::malformed);
  }
  const auto payload = base64url_decode(encoded_payload);
  const auto mac = base64url_decode(encoded_mac);
  if (!payload || !mac) return fail(TokenError::malformed);

  const Mac expected = hmac_sha256(secret_, *payload);
  // The length of a MAC is public; only its content must be compared in constant time.
  if (mac->size() != expected.size() ||
      CRYPTO_memcmp(mac->data(), expected.data(), expected.size()) != 0) {
    return fail(TokenError::bad_signature);
  }

  auto claims = parse_payload(*payload);
  if (!claims) return fail(TokenError::malformed);
  if (now_unix >= claims->expires_unix) return fail(TokenError::expired);
  return std::move(*claims);
}

}  // namespace callcast::core
