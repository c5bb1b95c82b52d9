#include "auth/nonce.hpp"

#include <gtest/gtest.h>

#include <string>

namespace callcast::auth {
namespace {

constexpr std::int64_t kNow = 1'700'000'000;

TEST(NonceCodec, IssuedNonceGivesBackItsIssueTime) {
  const NonceCodec codec("secret", "callcast");
  const auto nonce = codec.issue(kNow);
  EXPECT_EQ(nonce.size(), 64u);
  EXPECT_EQ(nonce.find_first_not_of("0123456789abcdef"), std::string::npos) << nonce;
  EXPECT_EQ(nonce.substr(0, 16), "000000006553f100");  // 1'700'000'000 big-endian
  EXPECT_EQ(codec.issued_at(nonce), kNow);
}

TEST(NonceCodec, TwoNoncesOfTheSameSecondDiffer) {
  const NonceCodec codec("secret", "callcast");
  EXPECT_NE(codec.issue(kNow), codec.issue(kNow));
}

TEST(NonceCodec, NonceOfAnotherRealmOrSecretIsRejected) {
  const auto nonce = NonceCodec("secret", "callcast").issue(kNow);
  EXPECT_EQ(NonceCodec("secret", "other").issued_at(nonce), std::nullopt);
  EXPECT_EQ(NonceCodec("other", "callcast").issued_at(nonce), std::nullopt);
}

TEST(NonceCodec, EveryChangedDigitIsRejected) {
  const NonceCodec codec("secret", "callcast");
  const auto nonce = codec.issue(kNow);
  for (std::size_t i = 0; i < nonce.size(); ++i) {
    std::string tampered = nonce;
    tampered[i] = tampered[i] == 'a' ? 'b' : 'a';
    EXPECT_EQ(codec.issued_at(tampered), std::nullopt) << "digit " << i;
  }
}

TEST(NonceCodec, WrongLengthOrNonHexIsRejected) {
  const NonceCodec codec("secret", "callcast");
  const auto nonce = codec.issue(kNow);
  EXPECT_EQ(codec.issued_at(""), std::nullopt);
  EXPECT_EQ(codec.issued_at(nonce.substr(0, 63)), std::nullopt);
  EXPECT_EQ(codec.issued_at(nonce + "0"), std::nullopt);
  EXPECT_EQ(codec.issued_at(std::string(64, 'z')), std::nullopt);
}

}  // namespace
}  // namespace callcast::auth
