// The client's answer to a digest challenge (auth/digest_client): RFC 7616 §3.9.1's example,
// read back by the server's own parser, and the choice among several WWW-Authenticate values.
#include "auth/digest_client.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "auth/authorization_header.hpp"

namespace callcast::auth {
namespace {

// RFC 7616 §3.9.1: the challenge of the example, as a server sends it.
const std::string kMd5Challenge =
    R"(Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=MD5, )"
    R"(nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", )"
    R"(opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS")";
const std::string kSha256Challenge =
    R"(Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, )"
    R"(nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", )"
    R"(opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS")";
constexpr const char* kCnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";

DigestCredentials answer(const std::vector<std::string>& challenges) {
  const auto choice = choose_digest_challenge_of(challenges);
  EXPECT_TRUE(choice);
  if (!choice) return {};
  const std::string value =
      digest_authorization(*choice, "Mufasa", "Circle of Life", "GET", "/dir/index.html", kCnonce);
  const auto parsed = parse_digest_authorization(value);
  EXPECT_TRUE(parsed) << value;
  return parsed.value_or(DigestCredentials{});
}

TEST(DigestClient, AnswersRfc7616Md5Example) {
  const DigestCredentials c = answer({kMd5Challenge});
  EXPECT_EQ(c.username, "Mufasa");
  EXPECT_EQ(c.realm, "http-auth@example.org");
  EXPECT_EQ(c.uri, "/dir/index.html");
  EXPECT_EQ(c.algorithm, "MD5");
  EXPECT_EQ(c.qop, "auth");
  EXPECT_EQ(c.nc, "00000001");
  EXPECT_EQ(c.cnonce, kCnonce);
  EXPECT_EQ(c.opaque, "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS");
  EXPECT_EQ(c.response, "8ca523f5e9506fed4657c9700eebdbec");
}

TEST(DigestClient, PrefersSha256WhenOfferedAfterMd5) {
  // callcastd offers MD5 first (for clients that read only the first challenge): a client that
  // reads them all still answers the strongest.
  const DigestCredentials c = answer({kMd5Challenge, kSha256Challenge});
  EXPECT_EQ(c.algorithm, "SHA-256");
  EXPECT_EQ(c.response, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
}

TEST(DigestClient, ReadsSeveralChallengesInOneHeader) {
  const DigestCredentials c = answer({kMd5Challenge + ", " + kSha256Challenge});
  EXPECT_EQ(c.algorithm, "SHA-256");
}

TEST(DigestClient, AnswersWithoutQopWhenNoneIsOffered) {
  // RFC 2069 form: no qop, nc or cnonce in the answer.
  const std::vector<std::string> challenges = {R"(Digest realm="r", nonce="n1", algorithm=MD5)"};
  const auto choice = choose_digest_challenge_of(challenges);
  ASSERT_TRUE(choice);
  const std::string value = digest_authorization(*choice, "u", "p", "PUT", "/x", "c");
  EXPECT_EQ(value.find("qop="), std::string::npos) << value;
  EXPECT_EQ(value.find("cnonce="), std::string::npos) << value;
  EXPECT_EQ(value.find("opaque="), std::string::npos) << value;
}

TEST(DigestClient, FindsNoChallengeToAnswer) {
  EXPECT_FALSE(choose_digest_challenge_of(std::vector<std::string>{}));
  EXPECT_FALSE(choose_digest_challenge_of(std::vector<std::string>{R"(Basic realm="r")"}));
  EXPECT_FALSE(choose_digest_challenge_of(
      std::vector<std::string>{R"(Digest realm="r", nonce="n", algorithm=SHA-512-256)"}));
}

}  // namespace
}  // namespace callcast::auth
