// Fuzzes the digest nonce check (auth/nonce.hpp), which reads the nonce every SIP and Ut client
// sends back. Invariants: only a nonce this codec issued is accepted, with the time it was issued
// at; an issued nonce is 64 lower-case hex digits and is refused by a codec of another realm.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "auth/nonce.hpp"

using callcast::auth::NonceCodec;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const NonceCodec codec("fuzz-nonce-secret", "callcast");
  const NonceCodec other_realm("fuzz-nonce-secret", "elsewhere");
  // Arbitrary text: a forged nonce (with 128 bits of MAC) is never accepted in practice, so an
  // accepted one must be one the codec issues for that time.
  if (codec.issued_at(input) && other_realm.issued_at(input)) __builtin_trap();
  // The first 8 bytes as an issue time: the round trip must give it back.
  std::int64_t when = 0;
  std::memcpy(&when, data, size < sizeof(when) ? size : sizeof(when));
  const std::string nonce = codec.issue(when);
  if (nonce.size() != 64) __builtin_trap();
  for (const char c : nonce) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) __builtin_trap();
  }
  const auto back = codec.issued_at(nonce);
  if (!back || *back != when) __builtin_trap();
  if (other_realm.issued_at(nonce)) __builtin_trap();
  // Any one character changed is refused.
  if (size > 8) {
    std::string changed = nonce;
    const std::size_t at = data[8] % changed.size();
    changed[at] = changed[at] == '0' ? '1' : '0';
    if (codec.issued_at(changed)) __builtin_trap();
  }
  return 0;
}
