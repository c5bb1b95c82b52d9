#include "auth/authorization_header.hpp"

#include <gtest/gtest.h>

#include <string>

namespace callcast::auth {
namespace {

using namespace std::string_literals;

// As baresip sends it on a REGISTER: no spaces, qop and nc unquoted.
TEST(DigestAuthorizationHeader, ReadsBaresipRegister) {
  const auto c = parse_digest_authorization(
      R"(Digest username="1001",realm="callcast",nonce="000000006553f100aa",uri="sip:127.0.0.1",)"
      R"(response="6629fae49393a05397450978507c4ef1",algorithm=MD5,cnonce="5ef3b2c1",qop=auth,)"
      R"(nc=00000001)");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->username, "1001");
  EXPECT_EQ(c->realm, "callcast");
  EXPECT_EQ(c->nonce, "000000006553f100aa");
  EXPECT_EQ(c->uri, "sip:127.0.0.1");
  EXPECT_EQ(c->response, "6629fae49393a05397450978507c4ef1");
  EXPECT_EQ(c->algorithm, "MD5");
  EXPECT_EQ(c->cnonce, "5ef3b2c1");
  EXPECT_EQ(c->qop, "auth");
  EXPECT_EQ(c->nc, "00000001");
  EXPECT_EQ(c->opaque, "");
}

// As linphone sends it: realm first, opaque echoed, SHA-256.
TEST(DigestAuthorizationHeader, ReadsLinphoneInviteWithSha256AndOpaque) {
  const auto c = parse_digest_authorization(
      R"(Digest realm="callcast", nonce="abc", algorithm=SHA-256, opaque="op/aque+", )"
      R"(username="1002",  uri="sip:777@127.0.0.1", response="0011", cnonce="x y", )"
      R"(nc=0000000a, qop=auth)");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->username, "1002");
  EXPECT_EQ(c->algorithm, "SHA-256");
  EXPECT_EQ(c->opaque, "op/aque+");
  EXPECT_EQ(c->uri, "sip:777@127.0.0.1");
  EXPECT_EQ(c->cnonce, "x y");
  EXPECT_EQ(c->nc, "0000000a");
}

// RFC 2069 style, as sipsak sends it: no algorithm, no qop.
TEST(DigestAuthorizationHeader, ReadsHeaderWithoutAlgorithmOrQop) {
  const auto c = parse_digest_authorization(
      R"(Digest username="alice", realm="callcast", nonce="n", uri="sip:127.0.0.1:5060", )"
      R"(response="e966c932a9242554e42c8ee200cec7f6")");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->algorithm, "");
  EXPECT_EQ(c->qop, "");
  EXPECT_EQ(c->cnonce, "");
  EXPECT_EQ(c->nc, "");
}

// As curl --digest sends it to the Ut API, with quoted qop and algorithm and an extra userhash.
TEST(DigestAuthorizationHeader, ReadsCurlHeaderWithQuotedTokensAndExtraParameters) {
  const auto c = parse_digest_authorization(
      R"(Digest username="1001", realm="callcast", nonce="n1", )"
      R"(uri="/ut/v1/users/1001/forwarding/unconditional", cnonce="ZmM2NzQ1", nc=00000001, )"
      R"(qop="auth", response="ab", algorithm="SHA-256", userhash=false, x-extra="1,2")");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->uri, "/ut/v1/users/1001/forwarding/unconditional");
  EXPECT_EQ(c->qop, "auth");
  EXPECT_EQ(c->algorithm, "SHA-256");
  EXPECT_EQ(c->response, "ab");
}

TEST(DigestAuthorizationHeader, UnescapesQuotedPairs) {
  const auto c = parse_digest_authorization(
      R"(Digest username="a\"b", realm="r\\m", nonce="n", uri="/", response="ab")");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->username, R"(a"b)");
  EXPECT_EQ(c->realm, R"(r\m)");
}

TEST(DigestAuthorizationHeader, SchemeIsCaseInsensitive) {
  EXPECT_TRUE(parse_digest_authorization(
      R"(digest username="1", realm="r", nonce="n", uri="/", response="ab")"));
  EXPECT_TRUE(parse_digest_authorization(
      R"(DIGEST username="1", realm="r", nonce="n", uri="/", response="ab")"));
}

TEST(DigestAuthorizationHeader, EmptyRealmIsKeptForTheRealmCheck) {
  const auto c = parse_digest_authorization(
      R"(Digest username="1", realm="", nonce="n", uri="/", response="ab")");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->realm, "");
}

TEST(DigestAuthorizationHeader, RejectsOtherSchemesAndBrokenValues) {
  EXPECT_EQ(parse_digest_authorization("Basic dXNlcjpwYXNz"), std::nullopt);
  EXPECT_EQ(parse_digest_authorization("Bearer abc"), std::nullopt);
  EXPECT_EQ(parse_digest_authorization(""), std::nullopt);
  EXPECT_EQ(parse_digest_authorization("Digest"), std::nullopt);
  EXPECT_EQ(parse_digest_authorization("Digest username=\"unterminated"), std::nullopt);
  EXPECT_EQ(parse_digest_authorization("\"Digest\" username=\"1\""), std::nullopt);
  EXPECT_EQ(parse_digest_authorization(
                "Digest username=\"1\0\", realm=\"r\", nonce=\"n\", uri=\"/\", response=\"ab\""s),
            std::nullopt);
}

TEST(DigestAuthorizationHeader, RejectsMissingRequiredParameters) {
  const std::string all[] = {R"(username="1")", R"(realm="r")", R"(nonce="n")", R"(uri="/")",
                             R"(response="ab")"};
  for (std::size_t skip = 0; skip < std::size(all); ++skip) {
    std::string value = "Digest ";
    for (std::size_t i = 0; i < std::size(all); ++i) {
      if (i == skip) continue;
      if (value.size() > 7) value += ", ";
      value += all[i];
    }
    EXPECT_EQ(parse_digest_authorization(value), std::nullopt) << value;
  }
}

TEST(DigestAuthorizationHeader, FirstOfRepeatedParametersWins) {
  const auto c = parse_digest_authorization(
      R"(Digest username="1", username="2", realm="r", nonce="n", uri="/", response="ab")");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->username, "1");
}

TEST(DigestCredentialsFromSofia, ReadsAlreadyParsedParameters) {
  const char* const params[] = {R"(username="1001")",
                                R"(realm="callcast")",
                                R"(nonce="n")",
                                R"(uri="sip:127.0.0.1")",
                                R"(response="ab")",
                                "qop=auth",
                                nullptr};
  const auto c = digest_credentials_from_sofia("Digest", params);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->username, "1001");
  EXPECT_EQ(c->qop, "auth");
  EXPECT_EQ(digest_credentials_from_sofia("Basic", params), std::nullopt);
  EXPECT_EQ(digest_credentials_from_sofia(nullptr, params), std::nullopt);
  EXPECT_EQ(digest_credentials_from_sofia("Digest", nullptr), std::nullopt);
}

}  // namespace
}  // namespace callcast::auth
