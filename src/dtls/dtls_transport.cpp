#include "dtls/dtls_transport.hpp"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace callcast::dtls {

// WebRTC's path MTU assumption for DTLS (what browsers use too): handshake messages are
// fragmented so that no datagram exceeds it, whatever the certificate size.
constexpr long kDtlsDatagramMtu = 1200;

// OpenSSL's names of the use_srtp profiles, "A:B" in preference order. GCM first by default:
// RFC 7714 AEAD is one pass with a 16-byte tag.
std::string dtls_srtp_profile_list(const std::vector<SrtpProfile>& profiles) {
  std::string list;
  for (const SrtpProfile profile : profiles) {
    if (!list.empty()) list += ':';
    list += profile == SrtpProfile::aead_aes_128_gcm ? "SRTP_AEAD_AES_128_GCM"
                                                     : "SRTP_AES128_CM_SHA1_80";
  }
  return list;
}

// ECDHE only (forward secrecy), AEAD only. Our certificate is ECDSA, so as a server only the
// ECDSA suites can be chosen; the RSA ones let us be a client to a peer with an RSA certificate.
constexpr const char* kDtlsCipherSuites =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:"
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305";

// RFC 5764 §4.2 exporter label.
constexpr char kSrtpExporterLabel[] = "EXTRACTOR-dtls_srtp";

// The glue between OpenSSL's C callbacks and the transport (a friend of DtlsTransport).
struct DtlsTransportGlue {
  static DtlsTransport* of(SSL* ssl) { return static_cast<DtlsTransport*>(SSL_get_app_data(ssl)); }
  static DtlsTransport* of(BIO* bio) { return static_cast<DtlsTransport*>(BIO_get_data(bio)); }

  // A BIO that is one datagram socket: each write OpenSSL makes is one DTLS datagram (OpenSSL
  // writes one record per BIO_write and keeps each within the MTU), each read returns the one
  // datagram receive() is feeding, and no datagram means "try again later". A memory BIO would
  // run a flight's records together into one byte stream with no datagram boundaries.
  static int write(BIO* bio, const char* data, int length) {
    BIO_clear_retry_flags(bio);
    DtlsTransport* transport = of(bio);
    if (transport == nullptr || length < 0) return -1;
    const std::span<const std::uint8_t> datagram(reinterpret_cast<const std::uint8_t*>(data),
                                                 static_cast<std::size_t>(length));
    if (transport->send_) transport->send_(datagram);
    return length;
  }

  static int read(BIO* bio, char* data, int length) {
    BIO_clear_retry_flags(bio);
    DtlsTransport* transport = of(bio);
    if (transport == nullptr || transport->incoming_.empty()) {
      BIO_set_retry_read(bio);
      return -1;
    }
    // Like recv() on a datagram socket: what does not fit is lost, and the datagram is consumed.
    const std::size_t n = std::min(transport->incoming_.size(), static_cast<std::size_t>(length));
    std::memcpy(data, transport->incoming_.data(), n);
    transport->incoming_ = {};
    return static_cast<int>(n);
  }

  static long control(BIO*, int command, long, void*) {
    switch (command) {
      case BIO_CTRL_FLUSH:
        return 1;  // nothing is buffered; 0 would read as a failed flush
      default:
        // Pending byte counts, peer addresses, MTU queries (SSL_OP_NO_QUERY_MTU) and the
        // per-datagram MTU overhead (0: the link MTU we set is already the UDP payload size).
        return 0;
    }
  }

  static int create(BIO* bio) {
    BIO_set_init(bio, 1);
    return 1;
  }

  static int destroy(BIO*) { return 1; }

  static BIO_METHOD* datagram_bio_method() {
    static const std::unique_ptr<BIO_METHOD, decltype(&BIO_meth_free)> method = [] {
      BIO_METHOD* m =
          BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "callcast DTLS datagram");
      if (m != nullptr) {
        BIO_meth_set_write(m, &write);
        BIO_meth_set_read(m, &read);
        BIO_meth_set_ctrl(m, &control);
        BIO_meth_set_create(m, &create);
        BIO_meth_set_destroy(m, &destroy);
      }
      return std::unique_ptr<BIO_METHOD, decltype(&BIO_meth_free)>(m, &BIO_meth_free);
    }();
    return method.get();
  }

  // The peer's certificate is self-signed: no CA check can pass, and none is wanted. The leaf's
  // fingerprint against the SDP's is the whole check (RFC 8827 §6.5); a mismatch aborts the
  // handshake here, before our Finished, with a bad_certificate alert to the peer.
  static int verify_peer(int, X509_STORE_CTX* store) {
    if (X509_STORE_CTX_get_error_depth(store) != 0) return 1;
    auto* ssl =
        static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
    DtlsTransport* transport = ssl != nullptr ? of(ssl) : nullptr;
    if (transport == nullptr) return 0;
    if (transport->check_peer_certificate(X509_STORE_CTX_get_current_cert(store))) {
      X509_STORE_CTX_set_error(store, X509_V_OK);
      return 1;
    }
    X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
    return 0;
  }

  // OpenSSL asks for the next retransmission timeout: 0 means the first of a flight.
  static unsigned int retransmission_timeout(SSL* ssl, unsigned int previous_us) {
    const DtlsTransport* transport = of(ssl);
    const DtlsOptions defaults;
    const DtlsOptions& policy = transport != nullptr ? transport->options_ : defaults;
    const auto initial_us = static_cast<unsigned long long>(
        std::chrono::duration_cast<std::chrono::microseconds>(policy.initial_timeout).count());
    const auto max_us = static_cast<unsigned long long>(
        std::chrono::duration_cast<std::chrono::microseconds>(policy.max_timeout).count());
    const unsigned long long next = previous_us == 0 ? initial_us : 2ULL * previous_us;
    return static_cast<unsigned int>(std::min(next, std::max(max_us, initial_us)));
  }
};

std::string_view to_string(DtlsState state) {
  switch (state) {
    case DtlsState::handshaking:
      return "handshaking";
    case DtlsState::connected:
      return "connected";
    case DtlsState::failed:
      return "failed";
    case DtlsState::closed:
      return "closed";
  }
  return "unknown";
}

void DtlsTransport::SslFree::operator()(SSL* ssl) const {
  SSL_free(ssl);
}
void DtlsTransport::SslCtxFree::operator()(SSL_CTX* context) const {
  SSL_CTX_free(context);
}

DtlsTransport::DtlsTransport(std::shared_ptr<const DtlsCertificate> local, DtlsRole role,
                             std::string_view remote_fingerprint, SendDatagram send,
                             DtlsOptions options)
    : local_(std::move(local)), role_(role), send_(std::move(send)), options_(std::move(options)) {
  auto parsed = parse_fingerprint(remote_fingerprint);
  if (!parsed) {
    fail_with("remote fingerprint: " + parsed.error());
    return;
  }
  remote_fingerprint_ = *parsed;
  if (!local_) {
    fail_with("DTLS transport without a local certificate");
    return;
  }
  if (options_.srtp_profiles.empty()) {
    fail_with("DTLS transport with no SRTP profile to offer");
    return;
  }
  setup();
}

DtlsTransport::~DtlsTransport() {
  if (keys_) {
    OPENSSL_cleanse(keys_->local_master_key_salt.data(), keys_->local_master_key_salt.size());
    OPENSSL_cleanse(keys_->remote_master_key_salt.data(), keys_->remote_master_key_salt.size());
  }
}

bool DtlsTransport::setup() {
  ERR_clear_error();
  // One SSL_CTX per association: it is cheap next to the handshake, and it keeps each session's
  // configuration (and OpenSSL's session cache, which we turn off) out of the others' way.
  context_.reset(SSL_CTX_new(DTLS_method()));
  if (!context_) {
    fail_with_ssl_error("SSL_CTX_new(DTLS_method())");
    return false;
  }
  SSL_CTX* ctx = context_.get();
  // Our suite order decides (AES-128-GCM first); no tickets or renegotiation: one handshake per
  // association is all DTLS-SRTP needs, and a renegotiation would only be attack surface.
  SSL_CTX_set_options(ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION |
                               SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                     &DtlsTransportGlue::verify_peer);
  // Note: SSL_CTX_set_tlsext_use_srtp returns 0 on success, unlike the rest of OpenSSL.
  if (SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION) != 1 ||
      SSL_CTX_use_certificate(ctx, local_->certificate()) != 1 ||
      SSL_CTX_use_PrivateKey(ctx, local_->private_key()) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1 || SSL_CTX_set_cipher_list(ctx, kDtlsCipherSuites) != 1 ||
      SSL_CTX_set1_groups_list(ctx, "X25519:P-256") != 1 ||
      SSL_CTX_set_tlsext_use_srtp(ctx, dtls_srtp_profile_list(options_.srtp_profiles).c_str()) !=
          0) {
    fail_with_ssl_error("DTLS context setup");
    return false;
  }

  ssl_.reset(SSL_new(ctx));
  BIO* bio = ssl_ ? BIO_new(DtlsTransportGlue::datagram_bio_method()) : nullptr;
  if (!ssl_ || bio == nullptr) {
    fail_with_ssl_error("SSL_new/BIO_new");
    return false;
  }
  SSL* ssl = ssl_.get();
  SSL_set_app_data(ssl, this);
  BIO_set_data(bio, this);
  SSL_set_bio(ssl, bio, bio);  // one reference, owned by the SSL from here on
  DTLS_set_link_mtu(ssl, kDtlsDatagramMtu);
  DTLS_set_timer_cb(ssl, &DtlsTransportGlue::retransmission_timeout);
  if (role_ == DtlsRole::server) {
    SSL_set_accept_state(ssl);
  } else {
    SSL_set_connect_state(ssl);
  }
  return true;
}

void DtlsTransport::start() {
  if (started_ || state_ != DtlsState::handshaking) return;
  started_ = true;
  if (role_ == DtlsRole::client) advance_handshake();
}

void DtlsTransport::receive(std::span<const std::uint8_t> datagram) {
  if (!ssl_ || datagram.empty()) return;
  if (state_ != DtlsState::handshaking && state_ != DtlsState::connected) return;
  started_ = true;
  incoming_ = datagram;
  if (state_ == DtlsState::handshaking) {
    advance_handshake();
  } else {
    read_after_handshake();
  }
  incoming_ = {};
}

void DtlsTransport::advance_handshake() {
  ERR_clear_error();
  const int result = SSL_do_handshake(ssl_.get());
  if (result == 1) {
    complete_handshake();
    return;
  }
  switch (SSL_get_error(ssl_.get(), result)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      return;
    case SSL_ERROR_ZERO_RETURN:
      fail_with("peer closed the DTLS association (close_notify) during the handshake");
      return;
    default:
      fail_with_ssl_error("DTLS handshake failed");
      return;
  }
}

void DtlsTransport::complete_handshake() {
  // The verify callback has checked the leaf already; checking again here costs one hash and
  // does not depend on OpenSSL calling the callback for every handshake path.
  if (!check_peer_certificate(SSL_get0_peer_certificate(ssl_.get()))) {
    fail_with(certificate_error_);
    return;
  }
  if (!export_keys()) return;
  state_ = DtlsState::connected;
  read_after_handshake();  // records that came behind the Finished in the same datagram
}

bool DtlsTransport::export_keys() {
  const SRTP_PROTECTION_PROFILE* selected = SSL_get_selected_srtp_profile(ssl_.get());
  if (selected == nullptr) {
    fail_with("peer did not negotiate DTLS-SRTP (no common use_srtp profile)");
    return false;
  }
  SrtpProfile profile;
  if (selected->id == SRTP_AEAD_AES_128_GCM) {
    profile = SrtpProfile::aead_aes_128_gcm;
  } else if (selected->id == SRTP_AES128_CM_SHA1_80) {
    profile = SrtpProfile::aes128_cm_sha1_80;
  } else {
    fail_with(std::string("unexpected SRTP profile ") + selected->name);
    return false;
  }
  // RFC 5764 §4.2: client key | server key | client salt | server salt.
  std::vector<std::uint8_t> material(srtp_exporter_length(profile));
  if (SSL_export_keying_material(ssl_.get(), material.data(), material.size(), kSrtpExporterLabel,
                                 sizeof(kSrtpExporterLabel) - 1, nullptr, 0, 0) != 1) {
    fail_with_ssl_error("SSL_export_keying_material(EXTRACTOR-dtls_srtp)");
    return false;
  }
  SrtpKeyMaterial keys =
      srtp_key_material_from_exporter(profile, role_ == DtlsRole::client, material);
  OPENSSL_cleanse(material.data(), material.size());
  keys_ = std::move(keys);
  return true;
}

void DtlsTransport::read_after_handshake() {
  // Application data is not used (no data channel is offered); a record is at most one datagram.
  std::array<std::uint8_t, 2048> discard;
  for (;;) {
    ERR_clear_error();
    const int result = SSL_read(ssl_.get(), discard.data(), static_cast<int>(discard.size()));
    if (result > 0) continue;
    switch (SSL_get_error(ssl_.get(), result)) {
      case SSL_ERROR_WANT_READ:
      case SSL_ERROR_WANT_WRITE:
        return;
      case SSL_ERROR_ZERO_RETURN:
        // The browser closed its peer connection. Answer with our close_notify (RFC 5246
        // §7.2.1), then nothing more is read or sent.
        ERR_clear_error();
        SSL_shutdown(ssl_.get());
        state_ = DtlsState::closed;
        return;
      default:
        fail_with_ssl_error("DTLS association failed");
        return;
    }
  }
}

std::optional<std::chrono::milliseconds> DtlsTransport::next_timeout() const {
  if (!ssl_ || state_ != DtlsState::handshaking) return std::nullopt;
  timeval left{};
  if (DTLSv1_get_timeout(ssl_.get(), &left) != 1) return std::nullopt;
  const auto us = std::chrono::seconds(left.tv_sec) + std::chrono::microseconds(left.tv_usec);
  // Rounded up: waking early would only find the timer not yet expired.
  return std::chrono::ceil<std::chrono::milliseconds>(us);
}

void DtlsTransport::on_timeout() {
  if (!ssl_ || state_ != DtlsState::handshaking) return;
  // OpenSSL keeps its own clock and counts anything under 15 ms as expired.
  timeval left{};
  if (DTLSv1_get_timeout(ssl_.get(), &left) != 1 || left.tv_sec != 0 || left.tv_usec != 0) return;
  if (++timeouts_ >= options_.max_timeouts) {
    fail_with("DTLS handshake timed out: no answer from the peer after " +
              std::to_string(timeouts_ - 1) + " retransmissions");
    return;
  }
  ERR_clear_error();
  if (DTLSv1_handle_timeout(ssl_.get()) < 0) fail_with_ssl_error("DTLS retransmission failed");
}

void DtlsTransport::close() {
  if (state_ == DtlsState::connected) {
    ERR_clear_error();
    SSL_shutdown(ssl_.get());
    ERR_clear_error();
  }
  if (state_ == DtlsState::handshaking || state_ == DtlsState::connected) {
    state_ = DtlsState::closed;
  }
}

bool DtlsTransport::check_peer_certificate(const X509* certificate) {
  if (!remote_fingerprint_) {
    certificate_error_ = "no valid remote fingerprint to check the peer certificate against";
    return false;
  }
  if (certificate == nullptr) {
    certificate_error_ = "peer sent no certificate";
    return false;
  }
  const auto digest = certificate_sha256(certificate);
  if (!digest) {
    certificate_error_ = "cannot hash the peer certificate";
    return false;
  }
  if (*digest != *remote_fingerprint_) {
    certificate_error_ = "peer certificate fingerprint sha-256 " + format_fingerprint(*digest) +
                         " does not match the expected " + format_fingerprint(*remote_fingerprint_);
    return false;
  }
  return true;
}

void DtlsTransport::fail_with(std::string reason) {
  state_ = DtlsState::failed;
  error_ = std::move(reason);
}

void DtlsTransport::fail_with_ssl_error(const char* what) {
  std::string reason = what;
  if (!certificate_error_.empty()) {
    reason += ": " + certificate_error_;
  } else if (const unsigned long code = ERR_peek_last_error(); code != 0) {
    char text[256];
    ERR_error_string_n(code, text, sizeof(text));
    reason += ": ";
    reason += text;
  }
  ERR_clear_error();
  fail_with(std::move(reason));
}

}  // namespace callcast::dtls
