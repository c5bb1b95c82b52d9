// The Ut client's reading of digest challenges (src/auth/www_authenticate_header.hpp): the
// challenges our own server issues, those of other servers' shapes, and input that must give
// nothing.
#include "auth/www_authenticate_header.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace callcast::auth {
namespace {

using namespace std::string_literals;

DigestChallenge challenge(std::string algorithm, std::vector<std::string> qops = {"auth"},
                          std::string nonce = "n") {
  DigestChallenge c;
  c.realm = "callcast";
  c.nonce = std::move(nonce);
  c.algorithm = std::move(algorithm);
  c.qops = std::move(qops);
  return c;
}

TEST(WwwAuthenticateHeader, ReadsTheChallengesOurServerIssues) {
  const DigestAuthenticator authenticator("callcast", "secret", std::chrono::seconds(300));
  const std::vector<std::string> values = authenticator.challenges(/*stale=*/true);
  ASSERT_EQ(values.size(), 2U);
  const std::vector<DigestChallenge> sha = parse_digest_challenges(values[0]);
  ASSERT_EQ(sha.size(), 1U) << values[0];
  EXPECT_EQ(sha[0].realm, "callcast");
  EXPECT_FALSE(sha[0].nonce.empty());
  EXPECT_EQ(sha[0].algorithm, "SHA-256");
  EXPECT_EQ(sha[0].qops, std::vector<std::string>{"auth"});
  EXPECT_TRUE(sha[0].stale);
  const std::vector<DigestChallenge> md5 = parse_digest_challenges(values[1]);
  ASSERT_EQ(md5.size(), 1U) << values[1];
  EXPECT_EQ(md5[0].algorithm, "MD5");
}

// RFC 7616 §3.9.1's example, with an opaque and a qop list.
TEST(WwwAuthenticateHeader, ReadsRfc7616ExampleWithOpaqueAndQopList) {
  const auto challenges = parse_digest_challenges(
      R"(Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, )"
      R"(nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", )"
      R"(opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS")");
  ASSERT_EQ(challenges.size(), 1U);
  EXPECT_EQ(challenges[0].realm, "http-auth@example.org");
  EXPECT_EQ(challenges[0].nonce, "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v");
  EXPECT_EQ(challenges[0].opaque, "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS");
  EXPECT_EQ(challenges[0].qops, (std::vector<std::string>{"auth", "auth-int"}));
  EXPECT_FALSE(challenges[0].stale);
}

TEST(WwwAuthenticateHeader, CommasAndQuotesInsideQuotedStringsStayInTheValue) {
  const auto challenges = parse_digest_challenges(
      R"(Digest realm="a, b=c", nonce="x\"y, Digest z", algorithm=MD5, qop=auth)");
  ASSERT_EQ(challenges.size(), 1U);
  EXPECT_EQ(challenges[0].realm, "a, b=c");
  EXPECT_EQ(challenges[0].nonce, "x\"y, Digest z");
  EXPECT_EQ(challenges[0].algorithm, "MD5");
  EXPECT_EQ(challenges[0].qops, std::vector<std::string>{"auth"});
}

TEST(WwwAuthenticateHeader, SeveralChallengesInOneHeaderAreSplit) {
  const auto challenges = parse_digest_challenges(
      R"(Digest realm="r", nonce="1", algorithm=SHA-256, qop="auth", )"
      R"(Digest realm="r", nonce="2", algorithm=MD5, qop="auth", stale=true)");
  ASSERT_EQ(challenges.size(), 2U);
  EXPECT_EQ(challenges[0].nonce, "1");
  EXPECT_EQ(challenges[0].algorithm, "SHA-256");
  EXPECT_FALSE(challenges[0].stale);
  EXPECT_EQ(challenges[1].nonce, "2");
  EXPECT_EQ(challenges[1].algorithm, "MD5");
  EXPECT_TRUE(challenges[1].stale);
}

TEST(WwwAuthenticateHeader, OtherSchemesAroundDigestAreSkipped) {
  for (const std::string& value : {
           R"(Basic realm="x", Digest realm="r", nonce="n")"s,
           R"(Negotiate abc==, Digest realm="r", nonce="n")"s,
           R"(Digest realm="r", nonce="n", Basic)"s,
           R"(Digest realm="r", nonce="n", Bearer realm="x", scope="a b")"s,
       }) {
    const auto challenges = parse_digest_challenges(value);
    ASSERT_EQ(challenges.size(), 1U) << value;
    EXPECT_EQ(challenges[0].realm, "r") << value;
    EXPECT_EQ(challenges[0].nonce, "n") << value;
  }
  EXPECT_TRUE(parse_digest_challenges(R"(Basic realm="x")").empty());
}

TEST(WwwAuthenticateHeader, SchemeAndParameterNamesAreCaseInsensitive) {
  const auto challenges =
      parse_digest_challenges(R"(DIGEST REALM="r", NONCE="n", ALGORITHM=sha-256, QOP="AUTH")");
  ASSERT_EQ(challenges.size(), 1U);
  const auto choice = choose_digest_challenge(challenges);
  ASSERT_TRUE(choice);
  EXPECT_EQ(choice->algorithm, DigestAlgorithm::sha256);
  EXPECT_TRUE(choice->qop_auth);
}

TEST(WwwAuthenticateHeader, ChallengeWithoutRealmOrNonceIsLeftOut) {
  EXPECT_TRUE(parse_digest_challenges(R"(Digest nonce="n", algorithm=MD5)").empty());
  EXPECT_TRUE(parse_digest_challenges(R"(Digest realm="r", algorithm=MD5)").empty());
  EXPECT_TRUE(parse_digest_challenges(R"(Digest realm="r", nonce="")").empty());
  // An empty realm is legal syntax.
  EXPECT_EQ(parse_digest_challenges(R"(Digest realm="", nonce="n")").size(), 1U);
}

// Realm, nonce and opaque are echoed in our Authorization header.
TEST(WwwAuthenticateHeader, ControlCharactersInEchoedValuesLeaveTheChallengeOut) {
  for (const std::string& value : {
           "Digest realm=\"r\", nonce=\"a\x01z\""s,
           "Digest realm=\"r\tx\", nonce=\"n\""s,
           "Digest realm=\"r\", nonce=\"n\", opaque=\"o\x7f\""s,
       }) {
    EXPECT_TRUE(parse_digest_challenges(value).empty()) << value;
  }
}

TEST(WwwAuthenticateHeader, GarbageGivesNoChallenge) {
  for (const std::string& value : {
           ""s,
           "Digest"s,
           "garbage ,,, \""s,
           R"(Digest realm="unterminated)"s,
           "Digest realm=\"r\", nonce=\"n\0\""s,
           ",,,,"s,
           std::string(100'000, 'x'),
       }) {
    EXPECT_TRUE(parse_digest_challenges(value).empty()) << value.substr(0, 80);
  }
}

TEST(DigestChallengeChoice, Sha256IsPreferredWhereverItIsListed) {
  const std::vector<DigestChallenge> offered = {challenge("MD5", {"auth"}, "m"),
                                                challenge("SHA-256", {"auth"}, "s")};
  const auto choice = choose_digest_challenge(offered);
  ASSERT_TRUE(choice);
  EXPECT_EQ(choice->algorithm, DigestAlgorithm::sha256);
  EXPECT_EQ(choice->challenge.nonce, "s");
  EXPECT_TRUE(choice->qop_auth);
}

TEST(DigestChallengeChoice, Md5WhenOnlyMd5IsOffered) {
  for (const std::string& algorithm : {"MD5"s, "md5"s, ""s}) {
    const std::vector<DigestChallenge> offered = {challenge(algorithm)};
    const auto choice = choose_digest_challenge(offered);
    ASSERT_TRUE(choice) << algorithm;
    EXPECT_EQ(choice->algorithm, DigestAlgorithm::md5) << algorithm;
  }
}

TEST(DigestChallengeChoice, WithoutQopTheRfc2069FormIsUsed) {
  const std::vector<DigestChallenge> offered = {challenge("MD5", {})};
  const auto choice = choose_digest_challenge(offered);
  ASSERT_TRUE(choice);
  EXPECT_FALSE(choice->qop_auth);
}

TEST(DigestChallengeChoice, UnsupportedAlgorithmsAndQopsAreNotChosen) {
  const std::vector<DigestChallenge> offered = {
      challenge("SHA-512-256"), challenge("MD5-sess"), challenge("SHA-256-sess"),
      challenge("SHA-256", {"auth-int"}), challenge("MD5", {"auth-int", "other"})};
  EXPECT_FALSE(choose_digest_challenge(offered));
  EXPECT_FALSE(choose_digest_challenge({}));

  std::vector<DigestChallenge> with_md5 = offered;
  with_md5.push_back(challenge("MD5", {"auth-int", "auth"}, "usable"));
  const auto choice = choose_digest_challenge(with_md5);
  ASSERT_TRUE(choice);
  EXPECT_EQ(choice->challenge.nonce, "usable");
  EXPECT_EQ(choice->algorithm, DigestAlgorithm::md5);
}

}  // namespace
}  // namespace callcast::auth
