#include "ice/ice_credentials.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace callcast::ice::ice_credentials_test {
namespace {

TEST(IceCredentials, GeneratedLengthsMeetRfc8839) {
  const IceCredentials credentials = IceCredentials::generate();
  EXPECT_EQ(credentials.ufrag.size(), 8u);
  EXPECT_EQ(credentials.password.size(), 24u);
}

TEST(IceCredentials, GeneratedTextIsIceChars) {
  for (int i = 0; i < 100; ++i) {
    const IceCredentials credentials = IceCredentials::generate();
    EXPECT_TRUE(is_ice_chars(credentials.ufrag)) << credentials.ufrag;
    EXPECT_TRUE(is_ice_chars(credentials.password)) << credentials.password;
  }
}

TEST(IceCredentials, GeneratedValuesDifferAndUseTheWholeAlphabet) {
  std::set<std::string> passwords;
  std::set<char> seen;
  for (int i = 0; i < 200; ++i) {
    const IceCredentials credentials = IceCredentials::generate();
    passwords.insert(credentials.password);
    seen.insert(credentials.password.begin(), credentials.password.end());
    seen.insert(credentials.ufrag.begin(), credentials.ufrag.end());
  }
  EXPECT_EQ(passwords.size(), 200u);
  // 6400 draws from 64 characters: missing one by chance has odds below 1e-40.
  EXPECT_EQ(seen.size(), 64u);
}

TEST(IceCredentials, IceCharsAreAlphaDigitPlusSlash) {
  EXPECT_TRUE(is_ice_chars("aZ09+/"));
  EXPECT_FALSE(is_ice_chars(""));
  EXPECT_FALSE(is_ice_chars("a:b"));
  EXPECT_FALSE(is_ice_chars("a b"));
  EXPECT_FALSE(is_ice_chars("a-b"));
  EXPECT_FALSE(is_ice_chars(std::string("a\0b", 3)));
  EXPECT_TRUE(is_ice_chars(std::string(256, 'a')));
  EXPECT_FALSE(is_ice_chars(std::string(257, 'a')));
}

}  // namespace
}  // namespace callcast::ice::ice_credentials_test
