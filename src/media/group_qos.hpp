#pragma once
// What one group does for its viewers' quality (issue 12 items 3-5, [0091], module 608), apart
// from repairing loss: viewers' keyframe requests merged and passed to the publisher, each
// viewer's path judged from its reports and NACKs, the publisher asked for a lower or higher
// rate when enough of them are congested, and a congested minority thinned instead.
//
// It speaks RTCP to the publisher through a callback set when the publisher records (the RECORD
// connection's interleaved RTCP channel, or its UDP RTCP port): a compound of an empty receiver
// report, our CNAME and the request (RFC 4585 §3.1: feedback travels in compound packets;
// GStreamer's rtpsession drops a lone PLI). Runs on the media service's loop, like GroupMedia.
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "media/group_rate_policy.hpp"
#include "media/keyframe_request_gate.hpp"
#include "media/relay_packet.hpp"
#include "media/viewer_health.hpp"
#include "rtp/rtcp.hpp"

namespace callcast::media {

struct QosSettings {
  // media.keyframe_request_interval_ms: a damaged picture lasts at most this plus a round trip
  // and an encode (the bound is 2 s), and the publisher forces at most one IDR per
  // interval whatever the audience.
  Clock::duration keyframe_request_interval = std::chrono::seconds(1);
  bool rate_control = true;  // media.rate_control
  bool thinning = true;      // media.thinning: a congested minority gets keyframes and audio only
  // A viewer's first seconds do not judge its path: its catch-up burst (the GOP cache) leaves at
  // ten times the stream's rate, and what it loses of that says more about the burst than about
  // the path (a 5 % path read as congested after a join, and was thinned for good).
  Clock::duration join_settling = std::chrono::seconds(2);
  HealthThresholds health;
  RatePolicySettings rate;
};

// The last bitrate request (REMB) made to the publisher, and why.
struct BitrateRequest {
  std::uint64_t bps = 0;
  std::uint32_t ssrc = 0;  // the publisher's video SSRC, the one the REMB names
  bool sent = false;       // false: no publisher path could take it (counted unsent)
  GroupPaths paths;        // the viewers' verdicts it answered
};

// A viewer's side of it, kept in its Viewer.
struct ViewerQos {
  ViewerHealth health;
  bool thinned = false;
  std::uint64_t plis = 0;
  std::uint64_t firs = 0;
  std::uint64_t times_thinned = 0;
};

class GroupQos {
 public:
  // RTCP for the publisher about `track` (its channel or port for that track); false when it
  // could not leave (no connection, no address or keys yet).
  using PublisherRtcp = std::function<bool(std::size_t track, rtp::Bytes compound)>;

  // `relay_ssrc`: the SSRC our RTCP is sent as; `cname`: our SDES CNAME.
  GroupQos(QosSettings settings, std::uint32_t relay_ssrc, std::string cname);

  const QosSettings& settings() const { return settings_; }

  // From RECORD on; cleared when the publisher's connection goes.
  void set_publisher(PublisherRtcp send) { publisher_ = std::move(send); }
  void clear_publisher() { publisher_ = nullptr; }
  // The publisher's video: its track, its SSRC (what requests name) and the rate it sends at (the
  // ceiling of any rate asked; the rate it started with is where a climb back stops).
  void publisher_video(std::size_t track, std::uint32_t ssrc);
  void publisher_video_rate(std::uint64_t bps);
  // The publisher's keyframe started: it answers the requests made before it.
  void keyframe_started(Clock::time_point now) { keyframes_.keyframe_arrived(now); }

  // One packet of a viewer's RTCP: true when it was a keyframe request (PLI or FIR).
  bool on_viewer_feedback(ViewerQos& viewer, const rtp::RtcpPacketView& packet,
                          Clock::time_point now);
  void on_viewer_report(ViewerQos& viewer, const ReceiverFigures& figures, Clock::time_point now) {
    viewer.health.on_report(figures, now);
  }
  void on_viewer_nack(ViewerQos& viewer, std::uint16_t sequence, bool resent) {
    viewer.health.on_nack(sequence, resent);
  }
  // The relay's own: a viewer's loss could not be repaired (beyond the retransmission window),
  // or the publisher's could not (publisher_loss).
  void request_keyframe(KeyframeRequestSource source, Clock::time_point now);
  // RR + SDES + `feedback` (e.g. a generic NACK) to the publisher's `track`, as our requests go;
  // false when there is no publisher to send it to, it did not leave, or it does not fit. Not
  // counted unsent.
  bool send_feedback(std::size_t track, std::span<const std::uint8_t> feedback);
  // Our receiver report about the publisher's sources (`blocks`) + SDES, on `track`'s path;
  // false when it could not leave.
  bool send_receiver_report(std::size_t track, std::span<const rtp::ReportBlock> blocks);
  std::uint32_t relay_ssrc() const { return relay_ssrc_; }

  // Periodic (the media service's sweep): requests that fell due, the group's rate, and each
  // viewer's thinning. Returns the viewers whose thinning changed (the fan-out must learn it).
  std::vector<ViewerQos*> tick(std::span<ViewerQos* const> viewers, Clock::time_point now);

  const KeyframeRequestGate& keyframe_requests() const { return keyframes_; }
  const GroupRatePolicy& rate_policy() const { return rate_; }
  std::uint64_t bitrate_requests() const { return bitrate_requests_; }
  const std::optional<BitrateRequest>& last_bitrate_request() const { return last_bitrate_; }
  std::uint64_t requests_unsent() const { return unsent_; }  // no publisher to send them to
  std::uint64_t keyframe_requests_unsent() const { return keyframe_unsent_; }  // of those
  std::size_t thinned_viewers() const { return thinned_; }

 private:
  void send_keyframe_request();
  void send_bitrate_request(std::uint64_t bps, const GroupPaths& paths);
  // RR + SDES + `request` to the publisher's video track; false when it could not be sent.
  bool send_to_publisher(std::span<const std::uint8_t> request);

  QosSettings settings_;
  std::uint32_t relay_ssrc_;
  std::string cname_;
  PublisherRtcp publisher_;
  std::optional<std::size_t> video_track_;
  std::uint32_t video_ssrc_ = 0;
  KeyframeRequestGate keyframes_;
  GroupRatePolicy rate_;
  std::uint64_t bitrate_requests_ = 0;
  std::optional<BitrateRequest> last_bitrate_;
  std::uint64_t unsent_ = 0;
  std::uint64_t keyframe_unsent_ = 0;
  std::size_t thinned_ = 0;
};

}  // namespace callcast::media
