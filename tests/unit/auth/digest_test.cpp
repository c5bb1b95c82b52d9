#include "auth/digest.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <array>
#include <cctype>
#include <chrono>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <utility>

namespace callcast::auth {
namespace {

using namespace std::chrono_literals;

// Independent of digest.cpp: the client side of RFC 7616 §3.4.1 straight from OpenSSL.
std::string hash_hex(const EVP_MD* md, const std::string& text) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  EVP_Digest(text.data(), text.size(), digest.data(), &size, md, nullptr);
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < size; ++i) {
    hex.push_back(kDigits[digest[i] >> 4]);
    hex.push_back(kDigits[digest[i] & 0x0f]);
  }
  return hex;
}

const EVP_MD* md_of(DigestAlgorithm algorithm) {
  return algorithm == DigestAlgorithm::md5 ? EVP_md5() : EVP_sha256();
}

constexpr std::string_view kRealm = "callcast";
constexpr std::string_view kSecret = "nonce-secret";
constexpr std::chrono::seconds kTtl = 300s;
const auto kStart = std::chrono::system_clock::time_point(1'700'000'000s);

class FakeUsers : public HashLookup {
 public:
  void add(const std::string& user, const std::string& realm, const std::string& password) {
    hashes_[{user, DigestAlgorithm::md5}] =
        hash_hex(EVP_md5(), user + ":" + realm + ":" + password);
    hashes_[{user, DigestAlgorithm::sha256}] =
        hash_hex(EVP_sha256(), user + ":" + realm + ":" + password);
  }
  std::optional<std::string> ha1(std::string_view user, DigestAlgorithm algorithm) override {
    ++lookups;
    const auto found = hashes_.find({std::string(user), algorithm});
    if (found == hashes_.end()) return std::nullopt;
    return found->second;
  }
  int lookups = 0;

 private:
  std::map<std::pair<std::string, DigestAlgorithm>, std::string> hashes_;
};

std::string nonce_of(const std::string& challenge) {
  std::smatch match;
  if (!std::regex_search(challenge, match, std::regex(R"re(nonce="([^"]*)")re"))) return {};
  return match[1];
}

class DigestAuthenticatorTest : public ::testing::Test {
 protected:
  DigestAuthenticatorTest() { users_.add("1001", std::string(kRealm), "secret"); }

  std::string fresh_nonce() { return nonce_of(authenticator_.challenges().front()); }

  // What a client answers to a challenge, computed by the test, not by digest.cpp.
  DigestCredentials answer(const std::string& nonce, DigestAlgorithm algorithm,
                           const std::string& password, const std::string& method = "REGISTER",
                           const std::string& user = "1001") {
    DigestCredentials c;
    c.username = user;
    c.realm = kRealm;
    c.nonce = nonce;
    c.uri = "sip:127.0.0.1";
    c.algorithm = std::string(to_string(algorithm));
    c.cnonce = "0a4f113b";
    c.nc = "00000001";
    c.qop = "auth";
    const EVP_MD* md = md_of(algorithm);
    const std::string ha1 = hash_hex(md, user + ":" + std::string(kRealm) + ":" + password);
    const std::string ha2 = hash_hex(md, method + ":" + c.uri);
    c.response =
        hash_hex(md, ha1 + ":" + nonce + ":" + c.nc + ":" + c.cnonce + ":" + c.qop + ":" + ha2);
    return c;
  }

  DigestVerdict verify(const DigestCredentials& c, std::string_view method = "REGISTER") {
    return authenticator_.verify(c, method, users_).verdict;
  }

  std::chrono::system_clock::time_point now_ = kStart;
  FakeUsers users_;
  DigestAuthenticator authenticator_{std::string(kRealm), std::string(kSecret), kTtl,
                                     [this] { return now_; }};
};

// RFC 7616 §3.9.1: Mufasa / "Circle of Life", GET /dir/index.html.
DigestCredentials rfc7616_example(std::string_view algorithm) {
  DigestCredentials c;
  c.username = "Mufasa";
  c.realm = "http-auth@example.org";
  c.uri = "/dir/index.html";
  c.algorithm = algorithm;
  c.nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
  c.nc = "00000001";
  c.cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
  c.qop = "auth";
  c.opaque = "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS";
  return c;
}

TEST(DigestResponse, MatchesRfc7616Md5Example) {
  const auto c = rfc7616_example("MD5");
  const auto ha1 = digest_ha1(DigestAlgorithm::md5, c.username, c.realm, "Circle of Life");
  EXPECT_EQ(digest_response(DigestAlgorithm::md5, ha1, c, "GET"),
            "8ca523f5e9506fed4657c9700eebdbec");
}

TEST(DigestResponse, MatchesRfc7616Sha256Example) {
  const auto c = rfc7616_example("SHA-256");
  const auto ha1 = digest_ha1(DigestAlgorithm::sha256, c.username, c.realm, "Circle of Life");
  EXPECT_EQ(digest_response(DigestAlgorithm::sha256, ha1, c, "GET"),
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
}

TEST(DigestResponse, MatchesRfc2617Example) {
  DigestCredentials c;
  c.username = "Mufasa";
  c.realm = "testrealm@host.com";
  c.nonce = "dcd98b7102dd2f0e8b11d0f600bfb0c093";
  c.uri = "/dir/index.html";
  c.qop = "auth";
  c.nc = "00000001";
  c.cnonce = "0a4f113b";
  const auto ha1 = digest_ha1(DigestAlgorithm::md5, c.username, c.realm, "Circle Of Life");
  EXPECT_EQ(digest_response(DigestAlgorithm::md5, ha1, c, "GET"),
            "6629fae49393a05397450978507c4ef1");
}

// RFC 2069's inputs (its printed response is a known erratum; this value is MD5 by hand).
TEST(DigestResponse, WithoutQopUsesRfc2069Form) {
  DigestCredentials c;
  c.username = "Mufasa";
  c.realm = "testrealm@host.com";
  c.nonce = "dcd98b7102dd2f0e8b11d0f600bfb0c093";
  c.uri = "/dir/index.html";
  const auto ha1 = digest_ha1(DigestAlgorithm::md5, c.username, c.realm, "CircleOfLife");
  EXPECT_EQ(digest_response(DigestAlgorithm::md5, ha1, c, "GET"),
            "1949323746fe6a43ef61f9606e7febea");
}

TEST(DigestHa1, IsLowerCaseHexOfUserRealmPassword) {
  EXPECT_EQ(digest_ha1(DigestAlgorithm::md5, "1001", "callcast", "secret"),
            hash_hex(EVP_md5(), "1001:callcast:secret"));
  EXPECT_EQ(digest_ha1(DigestAlgorithm::sha256, "1001", "callcast", "secret"),
            hash_hex(EVP_sha256(), "1001:callcast:secret"));
  EXPECT_EQ(digest_ha1(DigestAlgorithm::sha256, "1001", "callcast", "secret").size(), 64u);
}

TEST(DigestAlgorithmText, ParsesCaseInsensitivelyAndDefaultsToMd5) {
  EXPECT_EQ(parse_digest_algorithm(""), DigestAlgorithm::md5);
  EXPECT_EQ(parse_digest_algorithm("MD5"), DigestAlgorithm::md5);
  EXPECT_EQ(parse_digest_algorithm("md5"), DigestAlgorithm::md5);
  EXPECT_EQ(parse_digest_algorithm("SHA-256"), DigestAlgorithm::sha256);
  EXPECT_EQ(parse_digest_algorithm("sha-256"), DigestAlgorithm::sha256);
  EXPECT_EQ(parse_digest_algorithm("MD5-sess"), std::nullopt);
  EXPECT_EQ(parse_digest_algorithm("SHA-256-sess"), std::nullopt);
  EXPECT_EQ(parse_digest_algorithm("SHA-512-256"), std::nullopt);
  EXPECT_EQ(parse_digest_algorithm("SHA256"), std::nullopt);
  EXPECT_EQ(to_string(DigestAlgorithm::md5), "MD5");
  EXPECT_EQ(to_string(DigestAlgorithm::sha256), "SHA-256");
}

TEST_F(DigestAuthenticatorTest, ChallengesOfferSha256ThenMd5WithQopAuth) {
  const auto challenges = authenticator_.challenges();
  ASSERT_EQ(challenges.size(), 2u);
  const std::regex shape(
      R"re(Digest realm="callcast", nonce="[0-9a-f]{64}", algorithm=(SHA-256|MD5), qop="auth")re");
  EXPECT_TRUE(std::regex_match(challenges[0], shape)) << challenges[0];
  EXPECT_TRUE(std::regex_match(challenges[1], shape)) << challenges[1];
  EXPECT_NE(challenges[0].find("algorithm=SHA-256"), std::string::npos);
  EXPECT_NE(challenges[1].find("algorithm=MD5"), std::string::npos);
  EXPECT_EQ(challenges[0].find("stale"), std::string::npos);
}

TEST_F(DigestAuthenticatorTest, StaleChallengesSayStaleTrue) {
  for (const auto& challenge : authenticator_.challenges(true)) {
    EXPECT_TRUE(challenge.ends_with(", stale=true")) << challenge;
  }
}

TEST_F(DigestAuthenticatorTest, EveryChallengeHasItsOwnNonce) {
  const auto first = authenticator_.challenges();
  const auto second = authenticator_.challenges();
  EXPECT_NE(nonce_of(first[0]), nonce_of(first[1]));
  EXPECT_NE(nonce_of(first[0]), nonce_of(second[0]));
}

TEST_F(DigestAuthenticatorTest, RealmWithQuoteIsEscapedInChallenge) {
  const DigestAuthenticator odd(R"(a"b\c)", "s", kTtl, [this] { return now_; });
  EXPECT_TRUE(odd.challenges()[0].starts_with(R"(Digest realm="a\"b\\c", )"))
      << odd.challenges()[0];
}

TEST_F(DigestAuthenticatorTest, AcceptsRightPasswordWithSha256AndMd5) {
  const auto nonce = fresh_nonce();
  for (const auto algorithm : {DigestAlgorithm::sha256, DigestAlgorithm::md5}) {
    const auto check =
        authenticator_.verify(answer(nonce, algorithm, "secret"), "REGISTER", users_);
    EXPECT_EQ(check.verdict, DigestVerdict::ok) << to_string(algorithm);
    EXPECT_EQ(check.user, "1001");
  }
}

TEST_F(DigestAuthenticatorTest, AcceptsAbsentAlgorithmAsMd5) {
  auto c = answer(fresh_nonce(), DigestAlgorithm::md5, "secret");
  c.algorithm.clear();
  EXPECT_EQ(verify(c), DigestVerdict::ok);
}

TEST_F(DigestAuthenticatorTest, AcceptsUpperCaseHexResponse) {
  auto c = answer(fresh_nonce(), DigestAlgorithm::md5, "secret");
  for (char& ch : c.response)
    ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  EXPECT_EQ(verify(c), DigestVerdict::ok);
}

TEST_F(DigestAuthenticatorTest, AcceptsResponseWithoutQop) {
  const auto nonce = fresh_nonce();
  DigestCredentials c;
  c.username = "1001";
  c.realm = kRealm;
  c.nonce = nonce;
  c.uri = "sip:127.0.0.1";
  const std::string ha1 = hash_hex(EVP_md5(), "1001:callcast:secret");
  c.response =
      hash_hex(EVP_md5(), ha1 + ":" + nonce + ":" + hash_hex(EVP_md5(), "INVITE:" + c.uri));
  EXPECT_EQ(verify(c, "INVITE"), DigestVerdict::ok);
  EXPECT_EQ(verify(c, "REGISTER"), DigestVerdict::wrong_password);
}

TEST_F(DigestAuthenticatorTest, ResponseIsBoundToTheMethod) {
  const auto c = answer(fresh_nonce(), DigestAlgorithm::sha256, "secret", "PUT");
  EXPECT_EQ(verify(c, "PUT"), DigestVerdict::ok);
  EXPECT_EQ(verify(c, "GET"), DigestVerdict::wrong_password);
}

TEST_F(DigestAuthenticatorTest, WrongPasswordIsWrongPassword) {
  const auto check = authenticator_.verify(answer(fresh_nonce(), DigestAlgorithm::sha256, "guess"),
                                           "REGISTER", users_);
  EXPECT_EQ(check.verdict, DigestVerdict::wrong_password);
  EXPECT_EQ(check.user, "1001");
}

TEST_F(DigestAuthenticatorTest, UnknownUserIsUnknownUser) {
  const auto c = answer(fresh_nonce(), DigestAlgorithm::md5, "secret", "REGISTER", "2002");
  EXPECT_EQ(verify(c), DigestVerdict::unknown_user);
}

TEST_F(DigestAuthenticatorTest, OtherRealmIsWrongRealm) {
  auto c = answer(fresh_nonce(), DigestAlgorithm::md5, "secret");
  c.realm = "elsewhere";
  EXPECT_EQ(verify(c), DigestVerdict::wrong_realm);
}

TEST_F(DigestAuthenticatorTest, NonceOlderThanTtlIsStaleWhenResponseIsRight) {
  const auto nonce = fresh_nonce();
  now_ += kTtl - 1s;
  EXPECT_EQ(verify(answer(nonce, DigestAlgorithm::md5, "secret")), DigestVerdict::ok);
  now_ += 1s;
  EXPECT_EQ(verify(answer(nonce, DigestAlgorithm::md5, "secret")), DigestVerdict::stale_nonce);
  EXPECT_EQ(verify(answer(nonce, DigestAlgorithm::md5, "guess")), DigestVerdict::wrong_password);
}

TEST_F(DigestAuthenticatorTest, TamperedNonceIsMalformedBeforeAnyUserLookup) {
  std::string nonce = fresh_nonce();
  nonce[3] = nonce[3] == '0' ? '1' : '0';  // the issue time: would make an old nonce look young
  EXPECT_EQ(verify(answer(nonce, DigestAlgorithm::md5, "secret")), DigestVerdict::malformed);
  EXPECT_EQ(verify(answer("7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", DigestAlgorithm::md5,
                          "secret")),
            DigestVerdict::malformed);
  EXPECT_EQ(users_.lookups, 0);
}

TEST_F(DigestAuthenticatorTest, NonceOfAnotherSecretIsMalformed) {
  const DigestAuthenticator other(std::string(kRealm), "other-secret", kTtl,
                                  [this] { return now_; });
  const auto nonce = nonce_of(other.challenges()[0]);
  EXPECT_EQ(verify(answer(nonce, DigestAlgorithm::md5, "secret")), DigestVerdict::malformed);
}

TEST_F(DigestAuthenticatorTest, NonceSurvivesARestartWithTheSameSecret) {
  const auto nonce = fresh_nonce();
  const DigestAuthenticator restarted(std::string(kRealm), std::string(kSecret), kTtl,
                                      [this] { return now_; });
  EXPECT_EQ(
      restarted.verify(answer(nonce, DigestAlgorithm::md5, "secret"), "REGISTER", users_).verdict,
      DigestVerdict::ok);
}

TEST_F(DigestAuthenticatorTest, EmptySecretStillIssuesWorkingNonces) {
  const DigestAuthenticator random(std::string(kRealm), "", kTtl, [this] { return now_; });
  const auto nonce = nonce_of(random.challenges()[0]);
  EXPECT_EQ(
      random.verify(answer(nonce, DigestAlgorithm::md5, "secret"), "REGISTER", users_).verdict,
      DigestVerdict::ok);
  EXPECT_EQ(verify(answer(nonce, DigestAlgorithm::md5, "secret")), DigestVerdict::malformed);
}

TEST_F(DigestAuthenticatorTest, UnsupportedOrIncompleteParametersAreMalformed) {
  const auto nonce = fresh_nonce();
  const auto good = answer(nonce, DigestAlgorithm::md5, "secret");
  auto expect_malformed = [&](const char* what, auto change) {
    auto c = good;
    change(c);
    EXPECT_EQ(verify(c), DigestVerdict::malformed) << what;
  };
  expect_malformed("auth-int", [](DigestCredentials& c) { c.qop = "auth-int"; });
  expect_malformed("md5-sess", [](DigestCredentials& c) { c.algorithm = "MD5-sess"; });
  expect_malformed("unknown algorithm", [](DigestCredentials& c) { c.algorithm = "SHA-1"; });
  expect_malformed("no cnonce", [](DigestCredentials& c) { c.cnonce.clear(); });
  expect_malformed("short nc", [](DigestCredentials& c) { c.nc = "1"; });
  expect_malformed("no username", [](DigestCredentials& c) { c.username.clear(); });
  expect_malformed("no uri", [](DigestCredentials& c) { c.uri.clear(); });
  expect_malformed("no nonce", [](DigestCredentials& c) { c.nonce.clear(); });
  expect_malformed("short response", [](DigestCredentials& c) { c.response.pop_back(); });
  expect_malformed("md5-sized sha-256", [](DigestCredentials& c) { c.algorithm = "SHA-256"; });
  expect_malformed("non-hex response", [](DigestCredentials& c) { c.response[0] = 'g'; });
  EXPECT_EQ(verify(good), DigestVerdict::ok);
}

TEST(DigestVerdictText, NamesEveryVerdict) {
  EXPECT_EQ(to_string(DigestVerdict::ok), "ok");
  EXPECT_EQ(to_string(DigestVerdict::malformed), "malformed");
  EXPECT_EQ(to_string(DigestVerdict::wrong_realm), "wrong_realm");
  EXPECT_EQ(to_string(DigestVerdict::unknown_user), "unknown_user");
  EXPECT_EQ(to_string(DigestVerdict::wrong_password), "wrong_password");
  EXPECT_EQ(to_string(DigestVerdict::stale_nonce), "stale_nonce");
}

}  // namespace
}  // namespace callcast::auth

namespace callcast::auth {
namespace {

TEST(QuotedString, EscapesQuotesAndBackslashesOnly) {
  EXPECT_EQ(quoted_string("callcast"), "\"callcast\"");
  EXPECT_EQ(quoted_string(""), "\"\"");
  EXPECT_EQ(quoted_string("a\"b\\c, d=e"), "\"a\\\"b\\\\c, d=e\"");
}

}  // namespace
}  // namespace callcast::auth
