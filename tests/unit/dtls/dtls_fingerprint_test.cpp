#include "dtls/dtls_fingerprint.hpp"

#include <gtest/gtest.h>

#include <string>

namespace callcast::dtls::dtls_fingerprint_test {
namespace {

// A value in the form browsers write after `a=fingerprint:sha-256 ` (upper case, colons).
constexpr const char* kBrowserFingerprint =
    "9F:1B:6E:22:C3:0A:4D:85:E7:11:2C:90:F4:5B:38:AE:01:DD:7C:63:BA:48:92:05:E9:3F:70:C6:1D:84:"
    "2B:5A";

TEST(DtlsFingerprint, ParsesAndFormatsBackTheSameText) {
  const auto digest = parse_fingerprint(kBrowserFingerprint);
  ASSERT_TRUE(digest.ok()) << digest.error();
  EXPECT_EQ((*digest)[0], 0x9f);
  EXPECT_EQ((*digest)[31], 0x5a);
  EXPECT_EQ(format_fingerprint(*digest), kBrowserFingerprint);
}

TEST(DtlsFingerprint, AcceptsLowerCaseHex) {
  std::string lower = kBrowserFingerprint;
  for (char& c : lower)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto digest = parse_fingerprint(lower);
  ASSERT_TRUE(digest.ok()) << digest.error();
  EXPECT_EQ(format_fingerprint(*digest), kBrowserFingerprint);
}

TEST(DtlsFingerprint, RefusesAWrongLength) {
  const std::string full = kBrowserFingerprint;
  EXPECT_FALSE(parse_fingerprint("").ok());
  EXPECT_FALSE(parse_fingerprint(full.substr(0, full.size() - 3)).ok());  // 31 bytes (sha-1+)
  EXPECT_FALSE(parse_fingerprint(full + ":00").ok());
  EXPECT_FALSE(parse_fingerprint(full + " ").ok());
  EXPECT_NE(parse_fingerprint("AB").error().find("95 characters"), std::string::npos);
}

TEST(DtlsFingerprint, RefusesAMissingColonOrANonHexDigit) {
  std::string no_colon = kBrowserFingerprint;
  no_colon[2] = '-';
  EXPECT_NE(parse_fingerprint(no_colon).error().find("':'"), std::string::npos);
  std::string not_hex = kBrowserFingerprint;
  not_hex[94] = 'G';
  EXPECT_NE(parse_fingerprint(not_hex).error().find("offset 94"), std::string::npos);
}

TEST(DtlsFingerprint, NoCertificateHasNoDigest) {
  EXPECT_FALSE(certificate_sha256(nullptr).has_value());
}

}  // namespace
}  // namespace callcast::dtls::dtls_fingerprint_test
