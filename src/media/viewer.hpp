#pragma once
// A viewer's media session inside a group (modules 607-608): where its packets go and what it
// has received and reported.
#include <array>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "media/delivery.hpp"
#include "media/delivery_counters.hpp"
#include "media/fifo_queue.hpp"
#include "media/group_qos.hpp"
#include "media/repair_counters.hpp"
#include "media/resend_history.hpp"
#include "media/retransmission_budget.hpp"
#include "media/sender_report_log.hpp"
#include "media/track_relay.hpp"
#include "media/track_thinning.hpp"

namespace callcast::dtls {
class SrtpSession;
}

namespace callcast::media {

enum class ViewerState { set_up, playing, paused };
// How it came: RTSP SETUP/PLAY, a SIP phone's offer/answer (issue 13), a browser's WHEP (14).
enum class ViewerKind { rtsp, phone, browser };
std::string_view to_string(ViewerState state);

struct ViewerReception {  // from its last RTCP receiver report for one track
  double fraction_lost = 0;
  std::int64_t cumulative_lost = 0;
  double jitter_ms = 0;
  Clock::time_point at{};
};

struct ViewerTrack {
  bool set_up = false;
  // UDP: where RTP and RTCP go. First (RTSP peer address, SETUP's client_port); then, once the
  // player's own datagrams arrived (RFC 4961 symmetric RTP), where they came from: behind a NAT
  // that is the mapped public port, not the private client_port.
  UdpEndpoint rtp;
  UdpEndpoint rtcp;
  bool rtp_latched = false;  // confirmed or learnt from the viewer's datagrams
  bool rtcp_latched = false;
  std::optional<std::uint32_t> client_ssrc;  // UDP: SETUP's Transport ssrc=, if the player said
  // SETUP said RTP/AVPF (RFC 4585): with the track's RTX format, repairs go as RTX (RFC 4588).
  bool feedback = false;
  // A phone's own payload type for the track's format (SIP offer/answer, RFC 3264 §6.1): what it
  // is sent under, repairs included. None: the relayed one (RTSP viewers).
  std::optional<std::uint8_t> payload_type;
  std::uint16_t rtx_sequence = 0;  // its own RTX stream's numbering (RFC 4588 §4)
  RetransmissionBudget repair_budget;
  ResendHistory resent;
  std::uint8_t rtp_channel = 0;  // TCP: interleaved channels
  std::uint8_t rtcp_channel = 1;
  std::optional<ViewerReception> reception;
  SenderReportLog sender_reports;  // the SRs it was sent: its round trip from its reports
  // The video only: keyframes while its path is congested, and its own numbering ever after.
  TrackThinning thinning;
};

struct Viewer {
  std::string number;
  ViewerKind kind = ViewerKind::rtsp;
  std::string session_id;
  bool tcp = false;
  std::weak_ptr<InterleavedWriter> writer;  // TCP only
  // A WebRTC viewer (issue 14), once its DTLS handshake gave the keys: everything it is sent is
  // SRTP/SRTCP-protected, its RTCP goes with its RTP (rtcp-mux, one 5-tuple).
  std::shared_ptr<dtls::SrtpSession> srtp;
  std::array<ViewerTrack, kMaxTracks> tracks{};
  std::size_t variant = 0;  // which form of the stream it gets (GroupMedia::use_payload_types)
  ViewerState state = ViewerState::set_up;
  FifoQueue<SharedPacket> backlog;  // GOP cache then live packets, drained at a paced rate
  bool awaiting_keyframe = false;   // no GOP cache to start from: wait for the next keyframe
  // Its last PLAY, until the first keyframe leaves for it (MediaMetrics: join time).
  std::optional<Clock::time_point> play_requested;
  // Its last PLAY: the GOP cache it got then is as fresh to it as live packets (NACK repair).
  Clock::time_point playing_since{};

  // Shared with the fan-out worker that sends to it once it has caught up.
  std::shared_ptr<DeliveryCounters> delivery = std::make_shared<DeliveryCounters>();
  std::uint64_t fanout_id = 0;
  std::optional<std::size_t> fanout_shard;  // set while a fan-out worker sends its UDP packets
  std::uint64_t rtcp_reports = 0;
  RepairCounters repair;
  ViewerQos qos;  // its path's health, its keyframe requests, whether it is thinned
  Clock::time_point last_heard{};
};

// How its media travels, as the JSON snapshot and /metrics both name it: "webrtc" (a browser,
// SRTP), "rtp" (a SIP phone), else its RTSP transport, "tcp" (interleaved) or "udp".
inline constexpr std::array<std::string_view, 4> kViewerTransports{"webrtc", "rtp", "udp", "tcp"};
std::string_view transport_of(const Viewer& viewer);

}  // namespace callcast::media
