// The SDP a viewer gets: golden lines of the AVPF offer, its RTX format per video track and what
// repair off leaves out.
#include "media/viewer_offer.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace callcast::media {
namespace {

using namespace std::chrono_literals;

// ffmpeg-like: H.264 on 96 and AAC on 97; the master's own a=rtcp-fb and a=ssrc must not pass.
constexpr std::string_view kAnnounced =
    "v=0\r\n"
    "o=- 0 0 IN IP4 192.0.2.10\r\n"
    "s=Publisher\r\n"
    "t=0 0\r\n"
    "m=video 0 RTP/AVP 96\r\n"
    "a=rtpmap:96 H264/90000\r\n"
    "a=fmtp:96 packetization-mode=1\r\n"
    "a=rtcp-fb:96 goog-remb\r\n"
    "a=ssrc:1234 cname:x\r\n"
    "a=control:streamid=0\r\n"
    "m=audio 0 RTP/AVP 97\r\n"
    "a=rtpmap:97 MPEG4-GENERIC/44100/2\r\n"
    "a=control:streamid=1\r\n";

std::vector<TrackRelay> relays(std::string_view announced) {
  auto parsed = sdp::SessionDescription::parse(announced);
  EXPECT_TRUE(parsed) << parsed.error();
  auto tracks = describe_tracks(*parsed);
  EXPECT_TRUE(tracks) << tracks.error();
  std::vector<TrackRelay> out;
  for (auto& track : *tracks)
    out.emplace_back(std::move(track), 1000U + static_cast<std::uint32_t>(out.size()));
  return out;
}

std::string offer(const std::vector<TrackRelay>& tracks, const RepairLimits& limits) {
  return make_viewer_offer(
      "g1", tracks, make_track_repairs(tracks, limits), "203.0.113.5", [](int track) {
        return "rtsp://h/g1" + (track < 0 ? std::string() : "/trackID=" + std::to_string(track));
      });
}

TEST(ViewerOffer, VideoIsOfferedAsAvpfWithNackPliFirAndAnRtxFormat) {
  const auto tracks = relays(kAnnounced);
  const std::string text = offer(tracks, RepairLimits{.window = 500ms});
  EXPECT_EQ(text,
            "v=0\r\n"
            "o=- 1000 1 IN IP4 203.0.113.5\r\n"
            "s=callcast group g1\r\n"
            "c=IN IP4 0.0.0.0\r\n"
            "t=0 0\r\n"
            "a=tool:callcast\r\n"
            "a=range:npt=now-\r\n"
            "a=control:rtsp://h/g1\r\n"
            "m=video 0 RTP/AVPF 96 98\r\n"
            "a=rtpmap:96 H264/90000\r\n"
            "a=fmtp:96 packetization-mode=1\r\n"
            "a=rtcp-fb:96 nack\r\n"
            "a=rtcp-fb:96 nack pli\r\n"
            "a=rtcp-fb:96 ccm fir\r\n"
            "a=rtpmap:98 rtx/90000\r\n"
            "a=fmtp:98 apt=96;rtx-time=500\r\n"
            "a=sendonly\r\n"
            "a=control:rtsp://h/g1/trackID=0\r\n"
            "m=audio 0 RTP/AVPF 97 99\r\n"
            "a=rtpmap:97 MPEG4-GENERIC/44100/2\r\n"
            "a=rtcp-fb:97 nack\r\n"
            "a=rtpmap:99 rtx/44100\r\n"
            "a=fmtp:99 apt=97;rtx-time=500\r\n"
            "a=sendonly\r\n"
            "a=control:rtsp://h/g1/trackID=1\r\n");
}

TEST(ViewerOffer, RtxPayloadTypeIsTheLowestNoAnnouncedFormatUses) {
  const std::string announced =
      "v=0\r\no=- 0 0 IN IP4 192.0.2.10\r\ns=P\r\nt=0 0\r\n"
      "m=video 0 RTP/AVP 96 98\r\na=rtpmap:96 H264/90000\r\na=rtpmap:98 H264/90000\r\n"
      "m=audio 0 RTP/AVP 97\r\na=rtpmap:97 opus/48000/2\r\n"
      "m=video 0 RTP/AVP 99\r\na=rtpmap:99 H264/90000\r\n";
  const auto tracks = relays(announced);
  const auto repairs = make_track_repairs(tracks, RepairLimits{.window = 200ms});
  ASSERT_EQ(repairs.size(), 3U);
  EXPECT_EQ(repairs[0].rtx_payload_type(), 100);
  EXPECT_EQ(repairs[1].rtx_payload_type(), 101);  // audio too
  EXPECT_EQ(repairs[2].rtx_payload_type(), 102);
  for (std::size_t i = 0; i < repairs.size(); ++i) {
    for (const auto& track : tracks)
      EXPECT_NE(repairs[i].rtx_ssrc(), track.out_ssrc());
    for (std::size_t j = 0; j < i; ++j)
      EXPECT_NE(repairs[i].rtx_ssrc(), repairs[j].rtx_ssrc());
  }
  const std::string text = offer(tracks, RepairLimits{.window = 200ms});
  EXPECT_NE(text.find("m=video 0 RTP/AVPF 99 102\r\n"), std::string::npos) << text;
  EXPECT_NE(text.find("a=fmtp:102 apt=99;rtx-time=200\r\n"), std::string::npos) << text;
  EXPECT_NE(text.find("m=audio 0 RTP/AVPF 97 101\r\n"), std::string::npos) << text;
  EXPECT_NE(text.find("a=rtpmap:101 rtx/48000\r\n"), std::string::npos) << text;
}

TEST(ViewerOffer, RepairOffKeepsAvpfAndKeyframeRequestsButOffersNoNackNorRtx) {
  const auto tracks = relays(kAnnounced);
  const std::string text = offer(tracks, RepairLimits{.window = Clock::duration::zero()});
  EXPECT_NE(text.find("m=video 0 RTP/AVPF 96\r\n"), std::string::npos) << text;
  EXPECT_NE(text.find("a=rtcp-fb:96 nack pli\r\n"), std::string::npos) << text;
  EXPECT_NE(text.find("a=rtcp-fb:96 ccm fir\r\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("a=rtcp-fb:96 nack\r\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("rtx"), std::string::npos) << text;
}

TEST(ViewerOffer, TheOfferIsRelayableAgainAsAnnounced) {
  const auto tracks = relays(kAnnounced);
  const auto parsed = sdp::SessionDescription::parse(offer(tracks, RepairLimits{}));
  ASSERT_TRUE(parsed) << parsed.error();
  const auto again = describe_tracks(*parsed);
  ASSERT_TRUE(again) << again.error();
  EXPECT_EQ((*again)[0].payload_type, 96);
  EXPECT_EQ((*again)[0].codec, Codec::h264);
}

}  // namespace
}  // namespace callcast::media
