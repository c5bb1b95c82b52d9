// Fuzzes the reader of digest challenges (sofia-sip's WWW-Authenticate parser, our split of
// several challenges in one value, auth_digest_challenge_get) and the choice among them.
// Invariants: never crashes or leaks; every challenge read has a nonce and no control character
// in what the client echoes (realm, nonce, opaque); a choice is one of the challenges read, with
// an algorithm we can compute and a qop we can answer.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "auth/www_authenticate_header.hpp"

using namespace callcast::auth;

namespace {

bool echoable(std::string_view value) {
  return std::none_of(value.begin(), value.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7f;
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto challenges = parse_digest_challenges(input);
  for (const DigestChallenge& challenge : challenges) {
    if (challenge.nonce.empty() || !echoable(challenge.realm) || !echoable(challenge.nonce) ||
        !echoable(challenge.opaque)) {
      __builtin_trap();
    }
  }
  const auto choice = choose_digest_challenge(challenges);
  if (!choice) return 0;
  if (std::find(challenges.begin(), challenges.end(), choice->challenge) == challenges.end()) {
    __builtin_trap();
  }
  if (parse_digest_algorithm(choice->challenge.algorithm) != choice->algorithm) __builtin_trap();
  if (!choice->qop_auth && !choice->challenge.qops.empty()) __builtin_trap();
  return 0;
}
