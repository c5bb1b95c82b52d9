#pragma once
// A viewer made of raw parts: RtspTestClient for DESCRIBE/SETUP/PLAY of the video track over
// UDP, UdpMediaReceiver for the RTP and RTCP the server sends. It looks at the packets
// themselves, which a player would hide: what the first video packets carry, RTCP BYE.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "support/rtsp_test_client.hpp"
#include "support/udp_media_receiver.hpp"

namespace callcast::test {

// seq and rtptime of the RTP-Info entry (RFC 2326 §12.33) whose url is `track_url`.
struct RtpInfoEntry {
  std::optional<std::uint16_t> seq;
  std::optional<std::uint32_t> rtptime;
};
std::optional<RtpInfoEntry> rtp_info_for(std::string_view rtp_info, std::string_view track_url);

// What a viewer received from PLAY up to the end of its first keyframe.
struct FirstKeyframe {
  // NAL unit types of the packets before and including the first IDR's last packet, e.g.
  // "STAP-A[7,8] FU-A(5,start) FU-A(5) ... FU-A(5,end,M)".
  std::string packets;
  bool sps_before_first_slice = false;
  bool pps_before_first_slice = false;
  bool first_slice_is_idr = false;
  std::size_t packet_count = 0;
  // The first video packet's sequence number and timestamp, and what PLAY's RTP-Info promised.
  std::uint16_t first_sequence = 0;
  std::uint32_t first_timestamp = 0;
  std::optional<std::uint16_t> rtp_info_sequence;
  std::optional<std::uint32_t> rtp_info_timestamp;
  // From the PLAY response (resp. the PLAY request being sent) to the IDR's last packet.
  std::chrono::duration<double, std::milli> play_to_complete_idr{};
  std::chrono::duration<double, std::milli> play_sent_to_complete_idr{};
};

class RawViewer {
 public:
  using Duration = std::chrono::milliseconds;

  RawViewer() = default;

  // DESCRIBE, SETUP of the video track (RTP/AVP;unicast;client_port=...) and, with
  // `with_audio`, of the audio track on a second port pair, PLAY.
  ::testing::AssertionResult start(const std::string& play_url, bool with_audio = false);
  // Reads video RTP until the first IDR access unit is complete (marker bit on its last packet).
  ::testing::AssertionResult receive_first_keyframe(FirstKeyframe& out, Duration timeout);
  // The first audio packet (start(..., true) only): its sequence number and timestamp against
  // PLAY's RTP-Info for the audio track.
  struct FirstAudio {
    std::uint16_t sequence = 0;
    std::uint32_t timestamp = 0;
    std::optional<std::uint16_t> rtp_info_sequence;
    std::optional<std::uint32_t> rtp_info_timestamp;
  };
  std::optional<FirstAudio> receive_first_audio(Duration timeout);
  // Counts RTP packets arriving within `window`.
  std::size_t count_rtp(Duration window);
  // True once an RTCP compound holding a BYE (packet type 203) arrives within `timeout`.
  bool wait_for_bye(Duration timeout);
  // Sends an RTCP receiver report about the video stream to the server, as players do.
  bool send_receiver_report();
  ::testing::AssertionResult teardown();

  RtspTestClient& rtsp() { return rtsp_; }
  UdpMediaReceiver& udp() { return udp_; }
  const std::string& play_url() const { return play_url_; }
  const SdpTrack& video() const { return video_; }
  std::chrono::steady_clock::time_point play_answered_at() const { return play_answered_at_; }

 private:
  RtspTestClient rtsp_;
  UdpMediaReceiver udp_;
  UdpMediaReceiver audio_udp_;
  std::string play_url_;
  SdpTrack video_;
  SdpTrack audio_;
  RtpInfoEntry audio_rtp_info_;
  std::string server_host_;
  std::uint16_t server_rtcp_port_ = 0;
  std::uint32_t video_ssrc_ = 0;
  std::uint16_t highest_seq_ = 0;
  std::optional<std::uint16_t> rtp_info_seq_;
  std::optional<std::uint32_t> rtp_info_rtptime_;
  std::chrono::steady_clock::time_point play_sent_at_;
  std::chrono::steady_clock::time_point play_answered_at_;
};

// "STAP-A[7,8]", "FU-A(5,start)", "5": what an H.264 RTP payload carries, for messages.
std::string describe_h264_payload(const std::vector<std::uint8_t>& rtp_packet);
// True when the RTCP compound holds a BYE packet.
bool rtcp_has_bye(const std::vector<std::uint8_t>& compound);

}  // namespace callcast::test
