#pragma once
// A browser viewer without a browser (issue 14), for callcast-bench and the tests: it makes the
// offer a WHEP player makes, reads the server's answer, and then does what the browser's
// transport does on its one UDP socket (RFC 7983 demultiplexing by first byte):
//
//   offer   recvonly BUNDLE: m=video H.264 42e01f packetization-mode=1 (nack, nack pli) and,
//           unless disabled, m=audio opus/48000/2; a=ice-ufrag/pwd, a=fingerprint:sha-256 of
//           its certificate, a=setup:actpass, a=rtcp-mux
//   ICE     Binding requests as the controlling full agent (USERNAME server:client, PRIORITY,
//           ICE-CONTROLLING, USE-CANDIDATE) to the answer's host candidate until a success
//           response whose MESSAGE-INTEGRITY is under the server's ice-pwd (RFC 8445 §7.2);
//           then a consent check every 5 s (RFC 7675: the server forgets a silent browser
//           after 30 s)
//   DTLS    the client role of DTLS-SRTP (the server answered a=setup:passive), the server's
//           certificate checked against the answer's fingerprint (RFC 8827 §6.5)
//   SRTP    every RTP packet unprotected and counted per SSRC (packets, bytes, sequence gaps);
//           an SRTCP receiver report every second (what keeps the server's session alive)
//
// No thread, no timer of its own: the owner reads the socket (fd(), non-blocking) and hands each
// datagram to on_datagram() (or calls receive()), and calls on_timer() at next_timer(). One
// thread at a time uses a client after start(); many clients share one thread (the bench's
// ViewerReceiver). state() may be read from any thread.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "dtls/dtls_certificate.hpp"
#include "dtls/dtls_transport.hpp"
#include "dtls/srtp_session.hpp"
#include "ice/ice_credentials.hpp"
#include "ice/stun_message.hpp"

namespace callcast::loadgen {

struct WebRtcClientOptions {
  // Shared by many clients (its key signs nothing but the handshakes); null: a fresh one.
  std::shared_ptr<const dtls::DtlsCertificate> certificate;
  bool audio = true;  // offer an Opus line besides the video (the server transcodes AAC to it)
  std::uint8_t video_payload_type = 96;
  std::uint8_t audio_payload_type = 111;
  std::string bind_address = "127.0.0.1";
  int receive_buffer = 1 << 20;  // SO_RCVBUF(FORCE) of the socket
  bool gro = false;              // UDP_GRO: the owner then splits buffers (receive() cannot)
  std::chrono::milliseconds check_interval{100};  // Binding request resent until answered
  std::chrono::milliseconds consent_interval{5000};
  std::chrono::milliseconds report_interval{1000};
  std::chrono::milliseconds connect_timeout{10000};  // start() to keys, else failed
};

enum class WebRtcClientState : std::uint8_t {
  offered,      // created: offer() is ready
  answered,     // accept_answer() took the answer
  checking,     // start(): Binding requests until one succeeds
  handshaking,  // ICE done, DTLS client handshake running
  connected,    // SRTP keyed: media is counted
  failed,       // error() says why
  closed,
};
std::string_view to_string(WebRtcClientState state);

// One SSRC of SRTP media from the server.
struct WebRtcStreamReception {
  std::uint32_t ssrc = 0;
  std::uint8_t payload_type = 0;
  bool video = false;
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;              // plain RTP bytes
  std::uint64_t first_sequence = 0;     // extended (cycles << 16 | sequence)
  std::uint64_t highest_sequence = 0;   // extended
  std::uint64_t reported_expected = 0;  // at the last receiver report
  std::uint64_t reported_packets = 0;
  std::uint64_t expected() const { return highest_sequence - first_sequence + 1; }
  // Sequence numbers never received (SRTP's replay check already dropped duplicates).
  std::uint64_t lost() const { return expected() > packets ? expected() - packets : 0; }
};

struct WebRtcClientCounters {
  std::uint64_t datagrams = 0;         // every datagram handed in
  std::uint64_t checks_sent = 0;       // Binding requests (connectivity and consent)
  std::uint64_t stun_answers = 0;      // authenticated success responses to our requests
  std::uint64_t stun_rejected = 0;     // STUN we did not accept (error, bad integrity, unknown id)
  std::uint64_t dtls_datagrams = 0;    // first byte 20-63, handed to DTLS
  std::uint64_t srtp_packets = 0;      // RTP decrypted
  std::uint64_t srtp_bytes = 0;        // their plain bytes
  std::uint64_t srtcp_packets = 0;     // RTCP from the server decrypted
  std::uint64_t decrypt_failures = 0;  // SRTP/SRTCP libsrtp refused (auth, replay, malformed)
  std::uint64_t stray = 0;             // anything else: unknown first byte, media before keys
  std::uint64_t reports_sent = 0;      // SRTCP receiver reports
  std::uint64_t send_errors = 0;
};

class WebRtcViewerClient {
 public:
  using Clock = std::chrono::steady_clock;
  // A decrypted RTP packet (`video`: it came on the video line's payload type).
  using MediaSink = std::function<void(bool video, std::span<const std::uint8_t> rtp)>;

  // A non-blocking UDP socket bound to bind_address:0, ICE credentials, the offer. Fails when
  // the socket or the certificate cannot be made (the bench's resources: "socket: ...").
  static Result<std::unique_ptr<WebRtcViewerClient>, std::string> create(
      WebRtcClientOptions options = {});
  ~WebRtcViewerClient();  // closes the socket (no close_notify: call close() for that)
  WebRtcViewerClient(const WebRtcViewerClient&) = delete;
  WebRtcViewerClient& operator=(const WebRtcViewerClient&) = delete;

  const std::string& offer() const { return offer_; }
  int fd() const { return fd_; }
  std::uint16_t local_port() const { return local_port_; }
  const ice::IceCredentials& credentials() const { return local_; }
  const dtls::DtlsCertificate& certificate() const { return *certificate_; }

  // The server's SDP answer (untrusted): its ICE ufrag/pwd and sha-256 fingerprint (media level,
  // else session level), the first IPv4 host candidate, the payload type and a=ssrc of each
  // accepted line. The socket is then connected to the candidate (other sources never reach
  // it). Fails, leaving the client `failed`, on anything missing or malformed.
  Result<bool, std::string> accept_answer(std::string_view answer);
  // `fingerprint` replaces the answer's (tests: a wrong one must fail the handshake). Before
  // start().
  void expect_fingerprint(std::string fingerprint) { remote_fingerprint_ = std::move(fingerprint); }

  // Sends the first Binding request. After accept_answer().
  void start(Clock::time_point now);

  // One datagram from the socket, decrypted in place when it is SRTP: media goes to `sink`.
  void on_datagram(std::span<std::uint8_t> datagram, Clock::time_point now, const MediaSink& sink);
  // Reads the socket until it would block (needs gro off), each datagram to on_datagram().
  // Returns the number read.
  std::size_t receive(Clock::time_point now, const MediaSink& sink);

  // Resends the unanswered check, runs DTLS retransmission, sends consent checks and receiver
  // reports, and fails the client when it is not connected within connect_timeout.
  void on_timer(Clock::time_point now);
  Clock::time_point next_timer() const { return next_timer_; }

  // Any datagram to the server's candidate (tests: garbage, replays). False when it failed.
  bool send_raw(std::span<const std::uint8_t> datagram);
  // close_notify when connected; state closed.
  void close();

  WebRtcClientState state() const { return state_.load(std::memory_order_acquire); }
  bool connected() const { return state() == WebRtcClientState::connected; }
  const std::string& error() const { return error_; }
  const WebRtcClientCounters& counters() const { return counters_; }
  const std::vector<WebRtcStreamReception>& streams() const { return streams_; }
  // The SSRCs the answer announced (a=ssrc), video line first.
  const std::vector<std::uint32_t>& announced_ssrcs() const { return announced_ssrcs_; }
  // start() to the first check answered / to SRTP keyed; nullopt until then.
  std::optional<std::chrono::microseconds> ice_time() const { return ice_time_; }
  std::optional<std::chrono::microseconds> connect_time() const { return connect_time_; }
  std::optional<dtls::SrtpProfile> srtp_profile() const;

 private:
  WebRtcViewerClient(WebRtcClientOptions options, int fd, std::uint16_t port,
                     std::shared_ptr<const dtls::DtlsCertificate> certificate);
  std::string build_offer() const;
  void send_check(bool nominate, Clock::time_point now);
  void on_stun(std::span<const std::uint8_t> datagram, Clock::time_point now);
  void on_dtls(std::span<const std::uint8_t> datagram, Clock::time_point now);
  void on_srtp(std::span<std::uint8_t> datagram, const MediaSink& sink);
  void send_report();
  void fail_with(std::string reason);
  void update_dtls_timer(Clock::time_point now);
  void plan_timer();

  WebRtcClientOptions options_;
  int fd_;
  std::uint16_t local_port_;
  std::shared_ptr<const dtls::DtlsCertificate> certificate_;
  ice::IceCredentials local_;
  std::uint64_t tie_breaker_;
  std::uint32_t report_ssrc_;
  std::string offer_;
  std::atomic<WebRtcClientState> state_{WebRtcClientState::offered};
  std::string error_;

  // From the answer.
  std::string remote_ufrag_, remote_password_, remote_fingerprint_;
  std::uint8_t answered_video_pt_ = 0;
  std::optional<std::uint8_t> answered_audio_pt_;
  std::vector<std::uint32_t> announced_ssrcs_;

  std::unique_ptr<dtls::DtlsTransport> dtls_;
  std::unique_ptr<dtls::SrtpSession> srtp_;
  std::optional<ice::StunTransactionId> pending_check_;
  Clock::time_point started_{};
  Clock::time_point next_check_{Clock::time_point::max()};
  Clock::time_point next_report_{Clock::time_point::max()};
  Clock::time_point dtls_due_{Clock::time_point::max()};
  Clock::time_point next_timer_{Clock::time_point::max()};
  std::optional<std::chrono::microseconds> ice_time_, connect_time_;
  WebRtcClientCounters counters_;
  std::vector<WebRtcStreamReception> streams_;
};

}  // namespace callcast::loadgen
