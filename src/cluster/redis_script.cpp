#include "cluster/redis_script.hpp"

#include <openssl/evp.h>

#include <array>
#include <cassert>
#include <utility>

namespace callcast::cluster {

RedisScript::RedisScript(std::string name, std::string source)
    : name_(std::move(name)), source_(std::move(source)) {
  // Redis names scripts by the SHA-1 of their text (SCRIPT LOAD, EVALSHA).
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  const int hashed =
      EVP_Digest(source_.data(), source_.size(), digest.data(), &size, EVP_sha1(), nullptr);
  assert(hashed == 1 && size == 20);
  (void)hashed;
  constexpr std::string_view kHex = "0123456789abcdef";
  sha1_.reserve(digest.size() * 2);
  for (unsigned int i = 0; i < size; ++i) {
    const unsigned char byte = digest[i];
    sha1_.push_back(kHex[byte >> 4]);
    sha1_.push_back(kHex[byte & 0x0f]);
  }
}

}  // namespace callcast::cluster
