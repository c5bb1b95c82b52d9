#pragma once
// The server's DTLS identity for browser terminals (issue 14): one self-signed ECDSA P-256
// certificate per process, shared by every DTLS session. WebRTC peers do not check it against a
// CA: they compare its SHA-256 with the `a=fingerprint` of our SDP answer (RFC 8827 §6.5).
#include <openssl/types.h>

#include <memory>
#include <string>

#include "core/result.hpp"

namespace callcast::dtls {

class DtlsCertificate {
 public:
  // A fresh P-256 key and a certificate for it: random 63-bit serial, subject = issuer =
  // CN=<common_name>, valid from a day ago (peers with a slow clock) for 30 days. Fails only when
  // OpenSSL does (no randomness, out of memory); called once at start-up, never on a data path.
  static Result<std::shared_ptr<const DtlsCertificate>, std::string> generate(
      const std::string& common_name = "callcast");

  // "AB:CD:..." (upper-case hex, colons): the value of `a=fingerprint:sha-256 ...`.
  const std::string& fingerprint() const { return fingerprint_; }

  // For SSL_CTX_use_certificate / SSL_CTX_use_PrivateKey, which take their own reference.
  // Non-const pointers because OpenSSL's API wants them; neither object is ever modified.
  X509* certificate() const { return certificate_.get(); }
  EVP_PKEY* private_key() const { return key_.get(); }

  struct X509Free {
    void operator()(X509* certificate) const;
  };
  struct EvpPkeyFree {
    void operator()(EVP_PKEY* key) const;
  };

 private:
  DtlsCertificate(std::unique_ptr<EVP_PKEY, EvpPkeyFree> key,
                  std::unique_ptr<X509, X509Free> certificate, std::string fingerprint);

  std::unique_ptr<EVP_PKEY, EvpPkeyFree> key_;
  std::unique_ptr<X509, X509Free> certificate_;
  std::string fingerprint_;
};

}  // namespace callcast::dtls
