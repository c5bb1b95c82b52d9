// Fuzzes the play/publish token check (core/token.hpp), which every RTSP request's URL reaches.
// Two ways in: the input as a token (the signature check must refuse all but real tokens), and
// the input as a payload signed with the right secret (so the payload reader behind the MAC is
// reached). Invariants: a signed payload is never refused for its signature, and claims that
// verify are issued again as a token that verifies to the same claims.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/token.hpp"

using namespace callcast::core;

namespace {

constexpr std::string_view kSecret = "fuzz-token-secret";
constexpr std::int64_t kNow = 1'700'000'000;

std::string base64url(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const auto n = (std::uint32_t(std::uint8_t(bytes[i])) << 16) |
                   (std::uint32_t(std::uint8_t(bytes[i + 1])) << 8) | std::uint8_t(bytes[i + 2]);
    for (int shift = 18; shift >= 0; shift -= 6)
      out.push_back(kAlphabet[(n >> shift) & 63]);
  }
  if (i + 1 == bytes.size()) {
    const auto n = std::uint32_t(std::uint8_t(bytes[i])) << 16;
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
  } else if (i + 2 == bytes.size()) {
    const auto n = (std::uint32_t(std::uint8_t(bytes[i])) << 16) |
                   (std::uint32_t(std::uint8_t(bytes[i + 1])) << 8);
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out.push_back(kAlphabet[(n >> 6) & 63]);
  }
  return out;
}

std::string signed_token(std::string_view payload) {
  std::array<unsigned char, 32> mac{};
  unsigned int size = 0;
  HMAC(EVP_sha256(), kSecret.data(), static_cast<int>(kSecret.size()),
       reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), mac.data(), &size);
  return base64url(payload) + "." +
         base64url(std::string_view(reinterpret_cast<const char*>(mac.data()), size));
}

void check_claims(const TokenSigner& signer, const TokenClaims& claims) {
  if (claims.expires_unix < kNow) __builtin_trap();  // an expired token was accepted
  const auto again = signer.verify(signer.issue(claims), kNow);
  if (!again || *again != claims) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const TokenSigner signer{std::string(kSecret)};
  if (const auto direct = signer.verify(input, kNow)) check_claims(signer, *direct);
  const auto payload = signer.verify(signed_token(input), kNow);
  if (payload) {
    check_claims(signer, *payload);
  } else if (payload.error() == TokenError::bad_signature) {
    __builtin_trap();
  }
  return 0;
}
