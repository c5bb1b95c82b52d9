#include "core/token.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace callcast::core {
namespace {

constexpr std::int64_t kExpiry = 1'700'000'000;
constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Independent of token.cpp: OpenSSL's standard base64, translated to base64url, '=' stripped.
std::string base64url(std::string_view bytes) {
  std::vector<unsigned char> out(4 * ((bytes.size() + 2) / 3) + 1);
  const int length =
      EVP_EncodeBlock(out.data(), reinterpret_cast<const unsigned char*>(bytes.data()),
                      static_cast<int>(bytes.size()));
  std::string text(out.begin(), out.begin() + length);
  while (!text.empty() && text.back() == '=')
    text.pop_back();
  for (char& c : text) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return text;
}

std::string hmac_sha256(std::string_view secret, std::string_view payload) {
  std::array<unsigned char, 32> mac{};
  unsigned int size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), mac.data(), &size);
  return std::string(mac.begin(), mac.begin() + size);
}

// A correctly signed token around any payload: reaches the checks that follow the MAC.
std::string signed_token(std::string_view secret, std::string_view payload) {
  return base64url(payload) + "." + base64url(hmac_sha256(secret, payload));
}

class TokenTest : public ::testing::Test {
 protected:
  static TokenClaims play_claims() { return {"100", TokenRole::play, "200", kExpiry}; }

  TokenError verify_error(std::string_view token, std::int64_t now = kExpiry - 1) const {
    auto result = signer_.verify(token, now);
    EXPECT_FALSE(result.ok()) << token;
    return result.ok() ? TokenError{} : result.error();
  }

  TokenSigner signer_{"secret"};
};

TEST_F(TokenTest, IssueProducesTheDocumentedFormat) {
  EXPECT_EQ(signer_.issue(play_claims()),
            "djF8MTAwfHBsYXl8MjAwfDE3MDAwMDAwMDA.0dD31d68t7fGWGzwDL-gnYvaxf4_IzRCFYbzCKEhcmY");
  EXPECT_EQ(signer_.issue(play_claims()), signed_token("secret", "v1|100|play|200|1700000000"));
}

TEST_F(TokenTest, VerifiesAGoldenTokenWithUrlSafeCharacters) {
  // Signature contains '-' and '_'; the payload encodes '+', '.', '_' and '-' in numbers.
  const TokenSigner signer("another secret");
  auto claims = signer.verify(
      "djF8Kzg2LjEzOF8wMDEzLTgwMDB8cHVibGlzaHwrODYuMTM4XzAwMTMtODAwMHw0MTAyNDQ0ODAw."
      "va0GAQA8-gChLv0IXXPKvrxhUkWmfHSNHHvWqPalThE",
      kExpiry);
  ASSERT_TRUE(claims.ok());
  EXPECT_EQ(*claims, (TokenClaims{"+86.138_0013-8000", TokenRole::publish, "+86.138_0013-8000",
                                  4'102'444'800}));
}

TEST_F(TokenTest, IssuedTokensRoundTripForBothRoles) {
  for (TokenRole role : {TokenRole::publish, TokenRole::play}) {
    const TokenClaims claims{"13800138000", role, "13900139000", kExpiry};
    auto verified = signer_.verify(signer_.issue(claims), kExpiry - 1);
    ASSERT_TRUE(verified.ok()) << to_string(role);
    EXPECT_EQ(*verified, claims);
  }
}

TEST_F(TokenTest, TokenIsTwoUnpaddedBase64UrlPartsJoinedByADot) {
  const std::string token = signer_.issue(play_claims());
  const std::size_t dot = token.find('.');
  ASSERT_NE(dot, std::string::npos);
  EXPECT_EQ(token.find('.', dot + 1), std::string::npos);
  EXPECT_EQ(token.size() - dot - 1, 43u) << "32-byte MAC, unpadded";
  for (char c : token.substr(0, dot) + token.substr(dot + 1)) {
    EXPECT_NE(kAlphabet.find(c), std::string_view::npos) << c;
  }
}

TEST_F(TokenTest, TokenForAnotherGroupVerifiesAndCarriesThatGroup) {
  // Whether the group matches the requested one is the caller's check, so it needs the group.
  const std::string token = signer_.issue({"999", TokenRole::play, "200", kExpiry});
  auto claims = signer_.verify(token, kExpiry - 1);
  ASSERT_TRUE(claims.ok());
  EXPECT_EQ(claims->group, "999");
  EXPECT_NE(claims->group, play_claims().group);
}

TEST_F(TokenTest, ValidUntilOneSecondBeforeExpiry) {
  const std::string token = signer_.issue(play_claims());
  EXPECT_TRUE(signer_.verify(token, 0).ok());
  EXPECT_TRUE(signer_.verify(token, kExpiry - 1).ok());
  EXPECT_EQ(verify_error(token, kExpiry), TokenError::expired);
  EXPECT_EQ(verify_error(token, kExpiry + 1), TokenError::expired);
}

TEST_F(TokenTest, TokenSignedWithAnotherSecretHasBadSignature) {
  const TokenSigner other("other secret");
  EXPECT_EQ(verify_error(other.issue(play_claims())), TokenError::bad_signature);
}

TEST_F(TokenTest, AlteredClaimsKeepingTheOldSignatureHaveBadSignature) {
  const std::string token = signer_.issue(play_claims());
  const std::string signature = token.substr(token.find('.'));
  for (std::string_view forged : {"v1|100|publish|200|1700000000", "v1|101|play|200|1700000000",
                                  "v1|100|play|201|1700000000", "v1|100|play|200|1800000000"}) {
    EXPECT_EQ(verify_error(base64url(forged) + signature), TokenError::bad_signature) << forged;
  }
}

TEST_F(TokenTest, FlippedPayloadByteHasBadSignature) {
  const std::string token = signer_.issue(play_claims());
  const std::string signature = token.substr(token.find('.'));
  std::string payload = "v1|100|play|200|1700000000";
  payload[5] = static_cast<char>(payload[5] ^ 0x01);  // "101"
  EXPECT_EQ(verify_error(base64url(payload) + signature), TokenError::bad_signature);
}

TEST_F(TokenTest, FlippedSignatureCharacterHasBadSignature) {
  std::string token = signer_.issue(play_claims());
  const std::size_t first_mac_char = token.find('.') + 1;
  token[first_mac_char] = token[first_mac_char] == 'A' ? 'B' : 'A';
  EXPECT_EQ(verify_error(token), TokenError::bad_signature);
}

TEST_F(TokenTest, NoSingleCharacterChangeAnywhereVerifies) {
  const std::string token = signer_.issue(play_claims());
  for (std::size_t i = 0; i < token.size(); ++i) {
    if (token[i] == '.') continue;
    for (char replacement : {'A', 'g', '-', '_'}) {
      if (replacement == token[i]) continue;
      std::string changed = token;
      changed[i] = replacement;
      EXPECT_FALSE(signer_.verify(changed, kExpiry - 1).ok()) << "position " << i;
    }
  }
}

TEST_F(TokenTest, SignatureOfTheWrongLengthHasBadSignature) {
  const std::string payload = "v1|100|play|200|1700000000";
  const std::string mac = hmac_sha256("secret", payload);
  EXPECT_EQ(verify_error(base64url(payload) + "." + base64url(mac.substr(0, 31))),
            TokenError::bad_signature);
  EXPECT_EQ(verify_error(base64url(payload) + "." + base64url(mac + "x")),
            TokenError::bad_signature);
  EXPECT_EQ(verify_error(base64url(payload) + "."), TokenError::bad_signature);
}

TEST_F(TokenTest, SignatureIsCheckedBeforeExpiry) {
  const TokenSigner other("other secret");
  EXPECT_EQ(verify_error(other.issue(play_claims()), kExpiry + 10), TokenError::bad_signature);
}

TEST_F(TokenTest, TokensThatAreNotTwoBase64UrlPartsAreMalformed) {
  const std::string token = signer_.issue(play_claims());
  const std::size_t dot = token.find('.');
  const std::string payload = token.substr(0, dot);
  const std::string signature = token.substr(dot + 1);
  const std::vector<std::string> malformed = {
      "",
      ".",
      payload + signature,  // no dot
      "." + signature,      // empty payload
      token + ".",          // three parts
      payload + "." + signature + ".x",
      payload + "=." + signature,  // padding
      payload + "." + signature + "=",
      payload + ".+" + signature.substr(1),  // standard base64, not base64url
      "/" + payload.substr(1) + "." + signature,
      payload + " ." + signature,
      payload + "." + signature.substr(0, 42) + "B",  // non-zero unused bits
      payload.substr(0, 5) + "." + signature,         // 5 characters cannot be whole bytes
  };
  for (const std::string& text : malformed) {
    EXPECT_EQ(verify_error(text), TokenError::malformed) << text;
  }
}

TEST_F(TokenTest, SignedPayloadsThatAreNotClaimsAreMalformed) {
  for (std::string_view payload : {
           "",
           "v1|100|play|200",               // too few fields
           "v1|100|play|200|1700000000|x",  // too many
           "v2|100|play|200|1700000000",    // unknown version
           "v1|100|watch|200|1700000000",   // unknown role
           "v1|100|PLAY|200|1700000000",
           "v1|100|play|200|",        // no expiry
           "v1|100|play|200|17000x",  // not a number
           "v1|100|play|200|-1",      // negative
           "v1|100|play|200|+1700000000", "v1|100|play|200| 1700000000",
           "v1|100|play|200|99999999999999999999",  // beyond int64
       }) {
    EXPECT_EQ(verify_error(signed_token("secret", payload)), TokenError::malformed) << payload;
  }
}

TEST(TokenSecretTest, GeneratedSecretsAre32RandomBytesInBase64Url) {
  const std::string first = TokenSigner::generate_secret();
  const std::string second = TokenSigner::generate_secret();
  EXPECT_EQ(first.size(), 43u);
  for (char c : first)
    EXPECT_NE(kAlphabet.find(c), std::string_view::npos) << c;
  EXPECT_NE(first, second);
}

TEST(TokenNamesTest, ToStringUsesTheEnumeratorNames) {
  EXPECT_EQ(to_string(TokenRole::publish), "publish");
  EXPECT_EQ(to_string(TokenRole::play), "play");
  EXPECT_EQ(to_string(TokenError::malformed), "malformed");
  EXPECT_EQ(to_string(TokenError::bad_signature), "bad_signature");
  EXPECT_EQ(to_string(TokenError::expired), "expired");
}

}  // namespace
}  // namespace callcast::core
