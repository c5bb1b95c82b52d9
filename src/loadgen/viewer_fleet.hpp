#pragma once
// The N viewers of a run: ramped at a set rate with a bounded number of set-ups in flight, each
// with its own UDP sockets (RTSP viewers: one RTP socket per track; the limit target's viewers:
// one socket that sends "JOIN"), received by ViewerReceiver threads (viewer i on receiver
// i mod R). RTSP set-ups run on the fleet's own io_context thread; the RTSP connections stay open
// until close().
//
// Descriptors: an RTSP viewer costs three (its TCP connection and two RTP sockets). RTSP 1.0's
// client_port names an RTP/RTCP port pair, but nothing requires the RTCP port to be a socket of
// the viewer's own: every viewer names the fleet's one RTCP sink (bound above the ephemeral port
// range, so that each pair still reads low-high), which nobody reads (the bench measures RTP).
// A phone-style viewer costs four (RTP and RTCP per track), a WebRTC viewer one (its BUNDLEd
// socket, whose STUN, DTLS and SRTP its WebRtcViewerClient handles on the receive thread).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/result.hpp"
#include "dtls/dtls_certificate.hpp"
#include "http/beast.hpp"
#include "loadgen/publish_ledger.hpp"
#include "loadgen/rtsp_player.hpp"
#include "loadgen/viewer_receiver.hpp"
#include "loadgen/viewer_tally.hpp"

namespace callcast::loadgen {

class WebRtcViewerClient;

struct FleetOptions {
  std::size_t viewers = 0;
  double ramp_rate = 500;          // set-ups started per second
  std::size_t max_in_flight = 64;  // RTSP set-ups waiting for their answers at most
  std::vector<int> receive_cpus;   // one receive thread per CPU; empty: one unpinned thread
  std::chrono::milliseconds setup_timeout{10000};
  std::size_t window_capacity = 0;  // indices each viewer's bitset holds
  std::uint8_t video_payload_type = 96;
  // UDP_GRO on the viewers' RTP sockets: a GSO send arrives as one buffer of equal segments
  // (split back into datagrams here) instead of one socket wake-up per datagram, whose cost
  // loopback charges to the SENDER's core. A player on another machine never costs the server
  // that, so it is on by default; --no-viewer-gro shows the per-datagram receive cost.
  bool viewer_gro = true;
  // WebRTC viewers offer an Opus line besides the video, as a browser does (the server then
  // transcodes the published AAC, one encoder for the group).
  bool webrtc_audio = true;
  // Viewers from this index on play from an edge node (origin+edge runs): the receivers count
  // their window traffic and latency apart (ViewerReceiver::edge_traffic).
  std::size_t edge_viewers_from = SIZE_MAX;
};

struct RampOutcome {
  std::size_t playing = 0;
  std::size_t failed = 0;
  std::string first_error;  // of the first failed viewer, with its number
  // The first viewer that failed for want of the BENCH's resources (descriptors, buffers, local
  // ports): the run then measured the bench, not the server. Empty when none did.
  std::string bench_error;
  std::vector<double> setup_ms;  // of the viewers that play (RTSP: connect to PLAY's 200)
  bool timed_out = false;
};

// Where a phone-style viewer receives (issue 13): its own RTP and RTCP socket per track, as a SIP
// phone's SDP offer names them (the server latches RTCP per phone, so no shared sink).
struct PhonePorts {
  std::uint16_t video_rtp = 0;
  std::uint16_t video_rtcp = 0;
  std::uint16_t audio_rtp = 0;
  std::uint16_t audio_rtcp = 0;
};
// Starts viewer i's plain RTP to `ports` (the control API's admission and phone-viewers calls);
// "" when started, else why not.
using PhoneStarter = std::function<std::string(std::size_t viewer, const PhonePorts& ports)>;

// Starts viewer i as a browser (issue 14): the control API's admission, then its WebRTC offer
// (POST webrtc-viewers); the server's SDP answer, else why not.
using WebRtcStarter =
    std::function<Result<std::string, std::string>(std::size_t viewer, const std::string& offer)>;

// What the fleet's WebRTC clients saw over the whole run (their own counts, beside the tallies'
// window figures): sequence gaps per SSRC, decryption failures, set-up times.
struct WebRtcFleetFigures {
  struct Kind {
    std::uint64_t packets = 0;
    std::uint64_t expected = 0;  // by sequence numbers
    std::uint64_t lost = 0;
  };
  std::size_t clients = 0;
  std::size_t connected = 0;  // SRTP keyed at some point
  std::size_t failed = 0;
  std::uint64_t srtp_packets = 0;
  std::uint64_t srtp_bytes = 0;
  std::uint64_t srtcp_packets = 0;
  std::uint64_t decrypt_failures = 0;
  std::uint64_t stray = 0;
  std::uint64_t reports_sent = 0;
  std::uint64_t checks_sent = 0;
  Kind video, audio;
  std::vector<double> connect_ms;  // start (first check) to SRTP keyed
  std::string profile;             // the SRTP profile DTLS chose
};

class ViewerFleet {
 public:
  ViewerFleet(FleetOptions options, const MeasureWindow& window, const PublishLedger& ledger);
  ~ViewerFleet();  // closes everything
  ViewerFleet(const ViewerFleet&) = delete;
  ViewerFleet& operator=(const ViewerFleet&) = delete;

  // RTSP viewers: viewer i plays url_of(i). Returns when every viewer plays or failed, or at
  // `deadline`.
  // With `count`, only viewers 0..count-1 (the others are phones, ramp_phones).
  RampOutcome ramp_rtsp(const std::function<std::string(std::size_t)>& url_of,
                        std::chrono::steady_clock::time_point deadline,
                        std::optional<std::size_t> count = std::nullopt);
  // Phone-style viewers first..viewers-1 (issue 13): no RTSP; `start` asks the server to send
  // plain RTP to the viewer's sockets. A viewer plays from its first packet (waited for until
  // `deadline`); its set-up is the start call to that packet.
  RampOutcome ramp_phones(std::size_t first, const PhoneStarter& start,
                          std::chrono::steady_clock::time_point deadline,
                          std::optional<std::size_t> count = std::nullopt);
  // WebRTC viewers first..first+count-1 (issue 14): a WebRtcViewerClient each (one socket),
  // `start` posts its offer, the answer starts it on its receive thread (ICE, DTLS, SRTP). A
  // viewer plays from its first decrypted video packet (waited for until `deadline`); its
  // set-up is the start call to that packet.
  RampOutcome ramp_webrtc(std::size_t first, std::size_t count, const WebRtcStarter& start,
                          std::chrono::steady_clock::time_point deadline);
  // After stop_receiving().
  WebRtcFleetFigures webrtc_figures() const;
  // The limit's viewers: one "JOIN" each to 127.0.0.1:port; a viewer plays from its first packet
  // (waited for until `deadline`).
  RampOutcome ramp_join(std::uint16_t port, std::chrono::steady_clock::time_point deadline);

  // Stops the receive threads (the tallies are final afterwards).
  void stop_receiving();
  // Closes the RTSP connections ("LEAVE" for JOIN viewers) and every socket.
  void close();

  // Descriptors one viewer costs (RTSP or JOIN), for the bench's check of its limit.
  static constexpr std::size_t kRtspViewerDescriptors = 3;
  static constexpr std::size_t kJoinViewerDescriptors = 1;
  static constexpr std::size_t kPhoneViewerDescriptors = 4;
  static constexpr std::size_t kWebRtcViewerDescriptors = 1;  // one BUNDLEd socket

  const std::vector<ViewerTally>& tallies() const { return tallies_; }
  const std::vector<std::unique_ptr<ViewerReceiver>>& receivers() const { return receivers_; }

 private:
  struct ViewerSockets {
    int video_rtp = -1;
    int audio_rtp = -1;
    int video_rtcp = -1;  // phones only
    int audio_rtcp = -1;
  };
  struct Ramp;
  // False (and `error` says why) when the bench could not make the viewer's sockets.
  bool launch_rtsp(std::size_t i, const std::string& url, std::string& error);
  void tick(const std::shared_ptr<Ramp>& ramp);  // on io's thread

  FleetOptions options_;
  std::vector<ViewerTally> tallies_;
  std::vector<ViewerSockets> sockets_;
  std::vector<std::unique_ptr<ViewerReceiver>> receivers_;
  std::vector<std::shared_ptr<RtspPlayer>> players_;
  std::vector<double> setup_ms_;  // -1: not playing
  std::vector<std::int64_t> join_ns_;
  std::vector<std::unique_ptr<WebRtcViewerClient>> webrtc_clients_;  // by viewer
  std::shared_ptr<const dtls::DtlsCertificate> webrtc_certificate_;
  std::uint16_t join_port_ = 0;
  int rtcp_sink_ = -1;  // every RTSP viewer's RTCP port (see above)
  std::uint16_t rtcp_sink_port_ = 0;
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread io_thread_;
  bool closed_ = false;
};

}  // namespace callcast::loadgen
