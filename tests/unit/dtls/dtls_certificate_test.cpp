#include "dtls/dtls_certificate.hpp"

#include <gtest/gtest.h>
#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "dtls/dtls_fingerprint.hpp"

namespace callcast::dtls::dtls_certificate_test {
namespace {

TEST(DtlsCertificate, IsSelfSignedP256WithTheFingerprintOfItsDer) {
  const auto generated = DtlsCertificate::generate("callcast-test");
  ASSERT_TRUE(generated.ok()) << generated.error();
  const DtlsCertificate& certificate = **generated;
  ASSERT_NE(certificate.certificate(), nullptr);
  ASSERT_NE(certificate.private_key(), nullptr);

  EXPECT_EQ(EVP_PKEY_get_base_id(certificate.private_key()), EVP_PKEY_EC);
  char group[32] = {};
  std::size_t group_length = 0;
  ASSERT_EQ(EVP_PKEY_get_group_name(certificate.private_key(), group, sizeof(group), &group_length),
            1);
  EXPECT_STREQ(group, "prime256v1");

  // Self-signed: the issuer is the subject and the signature verifies with its own key.
  X509* x = certificate.certificate();
  EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)), 0);
  EXPECT_EQ(X509_verify(x, certificate.private_key()), 1);
  char common_name[64] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, common_name,
                            sizeof(common_name));
  EXPECT_STREQ(common_name, "callcast-test");

  const auto digest = certificate_sha256(x);
  ASSERT_TRUE(digest.has_value());
  EXPECT_EQ(certificate.fingerprint(), format_fingerprint(*digest));
  EXPECT_EQ(certificate.fingerprint().size(), 95u);
  EXPECT_TRUE(parse_fingerprint(certificate.fingerprint()).ok());
}

TEST(DtlsCertificate, IsValidFromADayAgoForThirtyDays) {
  const auto certificate = DtlsCertificate::generate().value();
  X509* x = certificate->certificate();
  int days = 0;
  int seconds = 0;
  // From now to notBefore: about -1 day; from now to notAfter: about +30 days.
  ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, nullptr, X509_get0_notBefore(x)), 1);
  EXPECT_EQ(days, -1);
  ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, nullptr, X509_get0_notAfter(x)), 1);
  EXPECT_TRUE(days == 29 || days == 30) << days;
}

TEST(DtlsCertificate, TwoCertificatesHaveDifferentKeysSerialsAndFingerprints) {
  const auto a = DtlsCertificate::generate().value();
  const auto b = DtlsCertificate::generate().value();
  EXPECT_NE(a->fingerprint(), b->fingerprint());
  EXPECT_NE(ASN1_INTEGER_cmp(X509_get0_serialNumber(a->certificate()),
                             X509_get0_serialNumber(b->certificate())),
            0);
  EXPECT_NE(EVP_PKEY_eq(a->private_key(), b->private_key()), 1);
}

}  // namespace
}  // namespace callcast::dtls::dtls_certificate_test
