#include "dtls/dtls_certificate.hpp"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "dtls/dtls_fingerprint.hpp"

namespace callcast::dtls {
namespace {

constexpr long kSecondsPerDay = 24L * 60 * 60;

std::string certificate_error(const char* what) {
  std::string text = std::string("DTLS certificate: ") + what;
  if (const unsigned long code = ERR_get_error(); code != 0) {
    char reason[256];
    ERR_error_string_n(code, reason, sizeof(reason));
    text += ": ";
    text += reason;
  }
  ERR_clear_error();
  return text;
}

// A random positive serial below 2^63 (RFC 5280 §4.1.2.2: positive, at most 20 octets). Peers
// cache certificates by issuer and serial; two processes' certificates must not collide.
bool set_random_serial(X509* certificate) {
  std::unique_ptr<BIGNUM, decltype(&BN_free)> serial(BN_new(), &BN_free);
  if (!serial || BN_rand(serial.get(), 63, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1) return false;
  return BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(certificate)) != nullptr;
}

}  // namespace

void DtlsCertificate::X509Free::operator()(X509* certificate) const {
  X509_free(certificate);
}
void DtlsCertificate::EvpPkeyFree::operator()(EVP_PKEY* key) const {
  EVP_PKEY_free(key);
}

DtlsCertificate::DtlsCertificate(std::unique_ptr<EVP_PKEY, EvpPkeyFree> key,
                                 std::unique_ptr<X509, X509Free> certificate,
                                 std::string fingerprint)
    : key_(std::move(key)),
      certificate_(std::move(certificate)),
      fingerprint_(std::move(fingerprint)) {}

Result<std::shared_ptr<const DtlsCertificate>, std::string> DtlsCertificate::generate(
    const std::string& common_name) {
  ERR_clear_error();
  // P-256: what browsers generate for themselves and accept everywhere (RSA keys make the
  // handshake slower and the flights larger).
  std::unique_ptr<EVP_PKEY, EvpPkeyFree> key(EVP_EC_gen("P-256"));
  if (!key) return fail(certificate_error("cannot generate a P-256 key"));

  std::unique_ptr<X509, X509Free> certificate(X509_new());
  if (!certificate) return fail(certificate_error("X509_new failed"));
  X509* x = certificate.get();
  X509_NAME* name = X509_get_subject_name(x);
  if (X509_set_version(x, X509_VERSION_3) != 1 || !set_random_serial(x) ||
      X509_gmtime_adj(X509_getm_notBefore(x), -kSecondsPerDay) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(x), 30 * kSecondsPerDay) == nullptr ||
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                                 -1, 0) != 1 ||
      X509_set_issuer_name(x, name) != 1 || X509_set_pubkey(x, key.get()) != 1) {
    return fail(certificate_error("cannot fill in the certificate"));
  }
  if (X509_sign(x, key.get(), EVP_sha256()) <= 0) {
    return fail(certificate_error("cannot sign the certificate"));
  }
  const auto digest = certificate_sha256(x);
  if (!digest) return fail(certificate_error("cannot hash the certificate"));
  return std::shared_ptr<const DtlsCertificate>(
      new DtlsCertificate(std::move(key), std::move(certificate), format_fingerprint(*digest)));
}

}  // namespace callcast::dtls
