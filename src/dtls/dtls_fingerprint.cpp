#include "dtls/dtls_fingerprint.hpp"

#include <openssl/evp.h>
#include <openssl/x509.h>

namespace callcast::dtls {
namespace {

int fingerprint_hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string format_fingerprint(const Sha256Digest& digest) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(digest.size() * 3 - 1);
  for (std::size_t i = 0; i < digest.size(); ++i) {
    if (i != 0) out.push_back(':');
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0x0f]);
  }
  return out;
}

Result<Sha256Digest, std::string> parse_fingerprint(std::string_view text) {
  Sha256Digest digest{};
  // "XX" then ":XX" 31 times.
  constexpr std::size_t kLength = 32 * 3 - 1;
  if (text.size() != kLength) {
    return fail(
        "sha-256 fingerprint must be 32 hex bytes separated by colons (95 characters), got " +
        std::to_string(text.size()) + " characters");
  }
  for (std::size_t i = 0; i < digest.size(); ++i) {
    const std::size_t at = i * 3;
    if (i != 0 && text[at - 1] != ':') {
      return fail("sha-256 fingerprint: expected ':' at offset " + std::to_string(at - 1));
    }
    const int high = fingerprint_hex_value(text[at]);
    const int low = fingerprint_hex_value(text[at + 1]);
    if (high < 0 || low < 0) {
      return fail("sha-256 fingerprint: not a hex digit at offset " +
                  std::to_string(high < 0 ? at : at + 1));
    }
    digest[i] = static_cast<std::uint8_t>(high << 4 | low);
  }
  return digest;
}

std::optional<Sha256Digest> certificate_sha256(const X509* certificate) {
  Sha256Digest digest{};
  unsigned int length = 0;
  if (certificate == nullptr ||
      X509_digest(certificate, EVP_sha256(), digest.data(), &length) != 1 ||
      length != digest.size()) {
    return std::nullopt;
  }
  return digest;
}

}  // namespace callcast::dtls
