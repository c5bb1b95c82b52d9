#pragma once
// One DTLS 1.2 association (RFC 6347) over an unreliable datagram path, used only to agree SRTP
// keys (DTLS-SRTP, RFC 5764) with a browser terminal (issue 14): a browser viewer whose player
// (step 714) receives the group's stream (step 709) over SRTP, or a WHIP broadcaster. It owns no
// socket, thread or timer: the caller feeds it the datagrams whose first byte is 20-63 (RFC 7983
// demultiplexing), gives it a function that sends one datagram to the peer, and runs one timer from
// next_timeout() for the retransmission of lost flights (RFC 6347 §4.2.4).
//
// The peer is authenticated by the SHA-256 fingerprint of its certificate, learnt from its SDP
// (RFC 8827 §6.5); the certificate itself is self-signed and not checked against any CA.
//
// Not thread-safe: one thread (the media loop of its session) calls every member. `send` is
// called from inside start(), receive(), on_timeout() and close(); it must not call back into
// this transport or destroy it.
#include <openssl/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dtls/dtls_certificate.hpp"
#include "dtls/dtls_fingerprint.hpp"
#include "dtls/srtp_key_material.hpp"

namespace callcast::dtls {

enum class DtlsRole { server, client };
enum class DtlsState { handshaking, connected, failed, closed };
std::string_view to_string(DtlsState state);

using SendDatagram = std::function<void(std::span<const std::uint8_t>)>;

struct DtlsOptions {
  // use_srtp profiles offered (client) or accepted (server), most preferred first. As a server,
  // OpenSSL picks the first of this list that the client offers.
  std::vector<SrtpProfile> srtp_profiles{SrtpProfile::aead_aes_128_gcm,
                                         SrtpProfile::aes128_cm_sha1_80};
  // Retransmission of lost flights. RFC 6347 §4.2.4.1 starts at 1 s and doubles; the cap and the
  // bound make a peer that vanished mid-handshake fail after about 30 s (1+2+4+8+8+8 s), as ICE
  // consent freshness (RFC 7675) would.
  std::chrono::milliseconds initial_timeout{1000};
  std::chrono::milliseconds max_timeout{8000};
  int max_timeouts = 6;  // the handshake fails at this many expiries
};

class DtlsTransport {
 public:
  // `remote_fingerprint`: the peer's `a=fingerprint:sha-256` value (hex with colons, any case).
  // A malformed one leaves the transport failed at once, with the reason in error().
  DtlsTransport(std::shared_ptr<const DtlsCertificate> local, DtlsRole role,
                std::string_view remote_fingerprint, SendDatagram send, DtlsOptions options = {});
  ~DtlsTransport();
  DtlsTransport(const DtlsTransport&) = delete;
  DtlsTransport& operator=(const DtlsTransport&) = delete;

  // Client: sends the ClientHello. Server (a=setup:passive, what callcastd is): nothing, it waits
  // for the ClientHello. Call once.
  void start();

  // One received datagram. While handshaking it may send the next flight; on completion the peer
  // certificate's fingerprint has been checked and keys() is set. Once connected, application
  // data is dropped (WebRTC data channels are not offered) and a close_notify moves to `closed`.
  // Ignored once failed or closed. Records that are not valid DTLS are dropped by OpenSSL as
  // RFC 6347 §4.1.2.7 asks; a malformed handshake message or a fatal alert fails the transport.
  void receive(std::span<const std::uint8_t> datagram);

  // When the caller should call on_timeout(), from now; nullopt when no flight awaits an answer.
  // Read it again after each start(), receive() and on_timeout(). (OpenSSL also resends an
  // expired flight by itself inside receive(); the caller's timer is for when nothing arrives.)
  std::optional<std::chrono::milliseconds> next_timeout() const;
  // Resends the last flight if its timer has expired (OpenSSL's clock; calling early is harmless),
  // or fails the handshake after DtlsOptions::max_timeouts expiries.
  void on_timeout();

  // Sends close_notify (when connected) and moves to `closed`.
  void close();

  DtlsState state() const { return state_; }
  DtlsRole role() const { return role_; }
  // Why the transport failed; empty otherwise.
  const std::string& error() const { return error_; }
  // Non-null once connected (and afterwards, also when closed).
  const SrtpKeyMaterial* keys() const { return keys_ ? &*keys_ : nullptr; }

  struct SslFree {
    void operator()(SSL* ssl) const;
  };
  struct SslCtxFree {
    void operator()(SSL_CTX* context) const;
  };

 private:
  // OpenSSL's callbacks (the datagram BIO, certificate verification, the retransmission timer),
  // defined in dtls_transport.cpp.
  friend struct DtlsTransportGlue;

  bool setup();
  void advance_handshake();
  void complete_handshake();
  void read_after_handshake();
  bool export_keys();
  void fail_with(std::string reason);
  void fail_with_ssl_error(const char* what);
  bool check_peer_certificate(const X509* certificate);

  std::shared_ptr<const DtlsCertificate> local_;
  DtlsRole role_;
  std::optional<Sha256Digest> remote_fingerprint_;
  SendDatagram send_;
  DtlsOptions options_;
  std::unique_ptr<SSL_CTX, SslCtxFree> context_;
  std::unique_ptr<SSL, SslFree> ssl_;
  DtlsState state_ = DtlsState::handshaking;
  std::string error_;
  std::string certificate_error_;  // set by the verify callback, reported when OpenSSL fails
  std::optional<SrtpKeyMaterial> keys_;
  std::span<const std::uint8_t> incoming_;  // the datagram receive() is feeding OpenSSL
  int timeouts_ = 0;
  bool started_ = false;
};

}  // namespace callcast::dtls
