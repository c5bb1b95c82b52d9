#pragma once
// Stateless digest nonces: any server holding the secret can check one, without remembering
// which nonces it handed out.
//
//   nonce = hex(issued) hex(salt) hex(mac)                       64 lower-case hex digits
//   issued = unix seconds, 8 bytes big-endian
//   salt   = 8 random bytes (two challenges in the same second still differ)
//   mac    = HMAC-SHA256(secret, issued | salt | realm), first 16 bytes
//
// The realm is under the MAC so a nonce of one realm is worthless in another.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace callcast::auth {

class NonceCodec {
 public:
  // `secret` must not be empty.
  NonceCodec(std::string secret, std::string realm);

  std::string issue(std::int64_t now_unix) const;
  // The issue time of a nonce this codec (or one with the same secret and realm) issued;
  // nullopt for anything else. The MAC is compared in constant time.
  std::optional<std::int64_t> issued_at(std::string_view nonce) const;

 private:
  std::string secret_;
  std::string realm_;
};

}  // namespace callcast::auth
