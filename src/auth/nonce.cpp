#include "auth/nonce.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <climits>
#include <cstddef>
#include <cstdlib>
#include <span>
#include <utility>

#include "auth/hex.hpp"

namespace callcast::auth {

namespace {

constexpr std::size_t kTimeBytes = 8;
constexpr std::size_t kSaltBytes = 8;
constexpr std::size_t kMacBytes = 16;  // of HMAC-SHA256's 32: forging still takes 2^128 tries
constexpr std::size_t kNonceBytes = kTimeBytes + kSaltBytes + kMacBytes;

using NonceBytes = std::array<unsigned char, kNonceBytes>;

// HMAC over issued | salt | realm, truncated to kMacBytes.
std::array<unsigned char, kMacBytes> nonce_mac(std::string_view secret, std::string_view realm,
                                               std::span<const unsigned char> issued_and_salt) {
  assert(secret.size() <= static_cast<std::size_t>(INT_MAX));
  std::string message(reinterpret_cast<const char*>(issued_and_salt.data()),
                      issued_and_salt.size());
  message.append(realm);
  std::array<unsigned char, EVP_MAX_MD_SIZE> full{};
  unsigned int size = 0;
  const unsigned char* result = HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
                                     reinterpret_cast<const unsigned char*>(message.data()),
                                     message.size(), full.data(), &size);
  // HMAC() only fails when OpenSSL cannot allocate or SHA-256 is missing: nothing to recover.
  if (result == nullptr || size < kMacBytes) std::abort();
  std::array<unsigned char, kMacBytes> mac{};
  std::copy_n(full.begin(), kMacBytes, mac.begin());
  return mac;
}

}  // namespace

NonceCodec::NonceCodec(std::string secret, std::string realm)
    : secret_(std::move(secret)), realm_(std::move(realm)) {
  assert(!secret_.empty());
}

std::string NonceCodec::issue(std::int64_t now_unix) const {
  NonceBytes bytes{};
  const auto issued = static_cast<std::uint64_t>(now_unix);
  for (std::size_t i = 0; i < kTimeBytes; ++i) {
    bytes[i] = static_cast<unsigned char>((issued >> (8 * (kTimeBytes - 1 - i))) & 0xff);
  }
  // The salt only keeps nonces apart; its quality does not protect anything, so a failing
  // RAND_bytes (no entropy yet) leaves it zero rather than failing the challenge.
  if (RAND_bytes(bytes.data() + kTimeBytes, static_cast<int>(kSaltBytes)) != 1) {
    std::fill_n(bytes.begin() + kTimeBytes, kSaltBytes, 0);
  }
  const auto mac = nonce_mac(secret_, realm_, std::span(bytes.data(), kTimeBytes + kSaltBytes));
  std::copy(mac.begin(), mac.end(), bytes.begin() + kTimeBytes + kSaltBytes);
  return to_hex(bytes);
}

std::optional<std::int64_t> NonceCodec::issued_at(std::string_view nonce) const {
  NonceBytes bytes{};
  if (!from_hex(nonce, bytes)) return std::nullopt;
  const auto expected =
      nonce_mac(secret_, realm_, std::span(bytes.data(), kTimeBytes + kSaltBytes));
  if (CRYPTO_memcmp(expected.data(), bytes.data() + kTimeBytes + kSaltBytes, kMacBytes) != 0) {
    return std::nullopt;
  }
  std::uint64_t issued = 0;
  for (std::size_t i = 0; i < kTimeBytes; ++i) {
    issued = (issued << 8) | bytes[i];
  }
  return static_cast<std::int64_t>(issued);
}

}  // namespace callcast::auth
