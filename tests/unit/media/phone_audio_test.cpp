// Issue 13: a phone that cannot take the group's AAC gets the audio transcoded (G.711 here),
// once per group and target however many phones share it, while RTSP viewers keep the relayed
// AAC. The group's audio is real: RTP captured from GStreamer's rtpmp4gpay.
#include "unit/media/group_media_fixture.hpp"
#include "unit/transcode/captured_stream.hpp"

namespace callcast::media::group_media_test::phone_audio_test {
namespace {

constexpr std::uint8_t kPcmu = 0;
constexpr std::uint8_t kPhoneVideoPt = 102;

class PhoneAudioTest : public GroupMediaTest {
 protected:
  void SetUp() override {
    capture_ = transcode::test::load_capture("aac_hbr_48k_stereo");
    ASSERT_FALSE(capture_.packets.empty());
    capture_pt_ = static_cast<std::uint8_t>(capture_.packets.front()[1] & 0x7F);
    const std::string sdp =
        "v=0\r\no=- 0 0 IN IP4 192.0.2.10\r\ns=Publisher\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
        "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
        "a=fmtp:96 packetization-mode=1; sprop-parameter-sets=" +
        std::string(test::kSpropParameterSets) +
        "\r\na=control:streamid=0\r\n"
        "m=audio 0 RTP/AVP " +
        std::to_string(capture_pt_) + "\r\na=rtpmap:" + std::to_string(capture_pt_) + " " +
        capture_.encoding + "/" + std::to_string(capture_.clock_rate) +
        "/2\r\na=fmtp:" + std::to_string(capture_pt_) + " " + capture_.fmtp +
        "\r\na=control:streamid=1\r\n";
    auto announced = sdp::SessionDescription::parse(sdp);
    ASSERT_TRUE(announced) << announced.error();
    auto tracks = describe_tracks(*announced);
    ASSERT_TRUE(tracks) << tracks.error();
    media_ = std::make_unique<GroupMedia>("g1", *tracks, *announced, udp_.rtcp_port(), fanout_,
                                          limits_, 7);
  }

  void publish_captured_audio(std::size_t count) {
    for (std::size_t i = 0; i < count && next_ < capture_.packets.size(); ++i, ++next_) {
      now_ += 21ms;
      EXPECT_TRUE(media().on_publisher_rtp(kAudio, bytes_of(capture_.packets[next_]), now_));
      media().flush();
    }
  }

  Viewer& phone(std::string id, std::uint16_t base) {
    Viewer& viewer = add_udp_viewer(std::move(id), base);
    PayloadTypes types{};
    types[kVideo] = kPhoneVideoPt;
    types[kAudio] = kPcmu;
    const auto formed = media().use_stream_form(
        viewer, types,
        transcode::TargetAudioFormat{transcode::TargetAudioCodec::pcmu, kPcmu, 1, 0});
    EXPECT_TRUE(formed.ok()) << formed.error();
    return viewer;
  }

  transcode::test::CapturedStream capture_;
  std::uint8_t capture_pt_ = 0;
  std::size_t next_ = 0;
};

TEST_F(PhoneAudioTest, PhonesGetG711FromOneTranscoderAndRtspViewersTheRelayedAac) {
  Viewer& rtsp = add_udp_viewer("r", 5000);
  Viewer& a = phone("a", 6000);
  Viewer& b = phone("b", 6100);
  ASSERT_NE(media().audio_transcoders(), nullptr);
  EXPECT_EQ(media().audio_transcoders()->transcoder_count(), 1U) << "one per target, not per phone";
  EXPECT_EQ(media().variants_in_use(), 2U);
  for (Viewer* v : {&rtsp, &a, &b})
    play(*v);
  publish_keyframe();
  publish_captured_audio(40);  // ~0.85 s of AAC
  pace_until_done();

  const auto relayed = udp_.rtp_to(endpoint(5002));
  EXPECT_EQ(relayed.size(), 40U);
  for (const auto& packet : relayed)
    EXPECT_EQ(packet[1] & 0x7F, media().tracks()[kAudio].description().payload_type);

  for (const std::uint16_t base : {std::uint16_t{6000}, std::uint16_t{6100}}) {
    const auto audio = udp_.rtp_to(endpoint(static_cast<std::uint16_t>(base + 2)));
    // 40 AAC frames of 1024 samples at 48 kHz: 853 ms, about 42 frames of 20 ms (less what the
    // encoder still holds).
    EXPECT_GE(audio.size(), 38U) << base;
    EXPECT_LE(audio.size(), 43U) << base;
    const auto received = decode(audio);
    EXPECT_TRUE(contiguous(received)) << base;
    for (std::size_t i = 0; i < audio.size(); ++i) {
      EXPECT_EQ(audio[i][1] & 0x7F, kPcmu);
      EXPECT_EQ(received[i].payload.size(), 160U) << "20 ms of G.711 at 8 kHz";
      if (i > 0) {
        EXPECT_EQ(received[i].timestamp - received[i - 1].timestamp, 160U);
      }
    }
    // The video, as for any phone: under its payload type.
    const auto video = udp_.rtp_to(endpoint(base));
    ASSERT_FALSE(video.empty());
    EXPECT_EQ(video.front()[1] & 0x7F, kPhoneVideoPt);
  }
  // Both phones got the same transcoded packets: one encode, shared.
  EXPECT_EQ(udp_.rtp_to(endpoint(6002)), udp_.rtp_to(endpoint(6102)));

  media().remove_viewer("a", false, "bye");
  EXPECT_EQ(media().audio_transcoders()->transcoder_count(), 1U);
  media().remove_viewer("b", false, "bye");
  EXPECT_EQ(media().audio_transcoders()->transcoder_count(), 0U) << "the last phone out ends it";
  EXPECT_EQ(media().variants_in_use(), 1U);
}

TEST_F(PhoneAudioTest, ATargetThatIsNoAudioCodecOfOursIsRefusedAndTheViewerKeepsTheRelayedForm) {
  Viewer& viewer = add_udp_viewer("x", 7000);
  PayloadTypes types{};
  const auto formed = media().use_stream_form(
      viewer, types,
      transcode::TargetAudioFormat{transcode::TargetAudioCodec::opus, 111, 7 /* channels */, 0});
  EXPECT_FALSE(formed.ok());
  EXPECT_EQ(viewer.variant, 0U);
  EXPECT_EQ(media().variants_in_use(), 1U);
}

}  // namespace
}  // namespace callcast::media::group_media_test::phone_audio_test
