#pragma once
// The master's publishing session (step 705): ANNOUNCE's tracks, which of them are set up and
// over what, and the group's media its packets go into once it records.
#include <array>
#include <optional>
#include <string_view>
#include <vector>

#include "media/delivery.hpp"
#include "media/session.hpp"
#include "media/track_relay.hpp"
#include "sdp/session_description.hpp"

namespace callcast::media {

class GroupMedia;

class PublisherSession final : public Session {
 public:
  PublisherSession(std::string id, std::string group, std::string terminal, Clock::time_point now,
                   std::vector<TrackDescription> tracks, sdp::SessionDescription announced);

  const std::vector<TrackDescription>& tracks() const { return tracks_; }
  const sdp::SessionDescription& announced() const { return announced_; }
  // The announced track a SETUP URL's control suffix names (a lone track needs none).
  std::optional<std::size_t> track_for(std::string_view control) const;
  bool any_track_set_up() const;

  // Its media, from RECORD on (the group's media outlives the sessions that feed it).
  GroupMedia* media() const { return media_; }
  void start_recording(GroupMedia& media) {
    media_ = &media;
    recording_ = true;
  }
  bool recording() const { return recording_; }

  // One packet of `track` (RTP, or RTCP when `rtcp`); false when the RTP was malformed.
  bool receive(std::size_t track, bool rtcp, rtp::Bytes data, Clock::time_point now);

  std::array<bool, kMaxTracks> track_set_up{};
  // UDP: where each track's RTP and RTCP come from (SETUP's client_port).
  std::array<UdpEndpoint, kMaxTracks> udp_rtp_from{};
  std::array<UdpEndpoint, kMaxTracks> udp_rtcp_from{};
  // TCP: each track's interleaved RTCP channel (SETUP's interleaved=).
  std::array<std::uint8_t, kMaxTracks> rtcp_channel{};
  std::uint64_t wrong_channel_packets = 0;

  // A phone publishing over plain RTP (issue 13): set up by SIP offer/answer, not RTSP. Behind a
  // NAT its packets come from other ports than its SDP said: each track's RTP is latched by
  // payload type, its RTCP by the SSRC that RTP showed (UdpRouter::latch_publisher).
  bool phone = false;
  // A browser publishing over WebRTC (issue 14, WHIP): its SRTP comes from the address ICE chose.
  bool webrtc = false;
  std::array<bool, kMaxTracks> rtp_latched{};
  std::array<bool, kMaxTracks> rtcp_latched{};
  std::array<std::optional<std::uint32_t>, kMaxTracks> source_ssrc{};

 private:
  std::vector<TrackDescription> tracks_;
  sdp::SessionDescription announced_;
  GroupMedia* media_ = nullptr;
  bool recording_ = false;
};

}  // namespace callcast::media
