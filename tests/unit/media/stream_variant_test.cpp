// Issue 13: phones that chose their own payload type numbers get the group's stream under them,
// rewritten once per distinct set of numbers (a variant), never once per phone; RTSP viewers keep
// the relayed packets.
#include "unit/media/group_media_fixture.hpp"

namespace callcast::media::group_media_test {
namespace {

constexpr std::uint8_t kPhoneVideoPt = 102;
constexpr std::uint8_t kOtherPhoneVideoPt = 109;

int payload_type_of(const Buffer& packet) {
  return packet.size() >= 2 ? packet[1] & 0x7F : -1;
}
bool marker_of(const Buffer& packet) {
  return packet.size() >= 2 && (packet[1] & 0x80) != 0;
}

PayloadTypes video_as(std::uint8_t pt) {
  PayloadTypes types{};
  types[kVideo] = pt;
  return types;
}

class StreamVariantTest : public GroupMediaTest {};

TEST_F(StreamVariantTest, PhoneGetsTheVideoUnderItsPayloadTypeAndTheRtspViewerTheRelayedOne) {
  Viewer& rtsp = add_udp_viewer("r", 5000);
  Viewer& phone = add_udp_viewer("p", 6000);
  media().use_payload_types(phone, video_as(kPhoneVideoPt));
  play(rtsp);
  play(phone);
  publish_keyframe();
  publish_audio();
  publish_delta();
  pace_until_done();

  const auto rtsp_video = udp_.rtp_to(endpoint(5000));
  const auto phone_video = udp_.rtp_to(endpoint(6000));
  ASSERT_EQ(rtsp_video.size(), 4U);
  ASSERT_EQ(phone_video.size(), rtsp_video.size());
  for (std::size_t i = 0; i < rtsp_video.size(); ++i) {
    EXPECT_EQ(payload_type_of(rtsp_video[i]), kVideoPt);
    EXPECT_EQ(payload_type_of(phone_video[i]), kPhoneVideoPt);
    EXPECT_EQ(marker_of(phone_video[i]), marker_of(rtsp_video[i])) << i;
    // Apart from the payload type, the very same packet: numbers, timestamps, SSRC, payload.
    Buffer same = phone_video[i];
    same[1] = rtsp_video[i][1];
    EXPECT_EQ(same, rtsp_video[i]) << i;
  }
  // Audio was not renumbered for it: the relayed packet.
  const auto phone_audio = udp_.rtp_to(endpoint(6002));
  ASSERT_EQ(phone_audio.size(), 1U);
  EXPECT_EQ(payload_type_of(phone_audio[0]), kAudioPt);
  EXPECT_EQ(media().variants_in_use(), 2U);
}

TEST_F(StreamVariantTest, LateJoiningPhoneStartsFromTheGopCacheUnderItsPayloadType) {
  publish_keyframe();
  publish_delta();
  Viewer& phone = add_udp_viewer("p", 6000);
  media().use_payload_types(phone, video_as(kPhoneVideoPt));
  play(phone);
  pace_until_done();
  const auto video = udp_.rtp_to(endpoint(6000));
  ASSERT_EQ(video.size(), 4U);  // STAP-A, two FU-A, the delta: the picture at once
  for (const auto& packet : video)
    EXPECT_EQ(payload_type_of(packet), kPhoneVideoPt);
  EXPECT_TRUE(contiguous(decode(video)));
}

TEST_F(StreamVariantTest, PhonesWithTheSameNumbersShareOneVariantAndItGoesWithTheLastOfThem) {
  Viewer& a = add_udp_viewer("a", 6000);
  Viewer& b = add_udp_viewer("b", 6100);
  Viewer& c = add_udp_viewer("c", 6200);
  Viewer& d = add_udp_viewer("d", 6300);
  media().use_payload_types(a, video_as(kPhoneVideoPt));
  media().use_payload_types(b, video_as(kPhoneVideoPt));
  media().use_payload_types(c, video_as(kOtherPhoneVideoPt));
  // The relayed number itself is no variant of its own.
  media().use_payload_types(d, video_as(kVideoPt));
  EXPECT_EQ(media().variants_in_use(), 3U);
  for (Viewer* v : {&a, &b, &c, &d})
    play(*v);
  publish_keyframe();
  pace_until_done();
  EXPECT_EQ(payload_type_of(udp_.rtp_to(endpoint(6100)).at(0)), kPhoneVideoPt);
  EXPECT_EQ(payload_type_of(udp_.rtp_to(endpoint(6200)).at(0)), kOtherPhoneVideoPt);
  EXPECT_EQ(payload_type_of(udp_.rtp_to(endpoint(6300)).at(0)), kVideoPt);

  media().remove_viewer("a", false, "bye");
  EXPECT_EQ(media().variants_in_use(), 3U);
  media().remove_viewer("b", false, "bye");
  EXPECT_EQ(media().variants_in_use(), 2U);
  // A freed slot is taken again, and the stream goes on to those still there.
  Viewer& e = add_udp_viewer("e", 6400);
  media().use_payload_types(e, video_as(kPhoneVideoPt));
  EXPECT_EQ(media().variants_in_use(), 3U);
  play(e);
  publish_delta();
  pace_until_done();
  EXPECT_EQ(payload_type_of(udp_.rtp_to(endpoint(6400)).back()), kPhoneVideoPt);
  EXPECT_EQ(payload_type_of(udp_.rtp_to(endpoint(6200)).back()), kOtherPhoneVideoPt);
}

TEST_F(StreamVariantTest, CaughtUpPhonesAreServedByTheFanOutUnderTheirNumbers) {
  Viewer& phone = add_udp_viewer("p", 6000);
  media().use_payload_types(phone, video_as(kPhoneVideoPt));
  play(phone);
  publish_keyframe();
  pace_until_done();
  // Now served by the fan-out (caught up): the live packets come through the variant's batches.
  for (int i = 0; i < 5; ++i)
    publish_delta();
  const auto video = udp_.rtp_to(endpoint(6000));
  ASSERT_EQ(video.size(), 8U);
  for (const auto& packet : video)
    EXPECT_EQ(payload_type_of(packet), kPhoneVideoPt);
  EXPECT_TRUE(contiguous(decode(video)));
  EXPECT_TRUE(phone.fanout_shard.has_value());
}

class StreamVariantRepairTest : public GroupMediaTest {
 protected:
  StreamVariantRepairTest() { limits_.repair.window = std::chrono::milliseconds(500); }
};

TEST_F(StreamVariantRepairTest, PhonesNackIsAnsweredWithTheOriginalPacketUnderItsPayloadType) {
  Viewer& phone = add_udp_viewer("p", 6000);
  media().use_payload_types(phone, video_as(kPhoneVideoPt));
  play(phone);
  publish_keyframe();
  publish_delta();
  pace_until_done();
  const auto before = udp_.rtp_to(endpoint(6000));
  ASSERT_EQ(before.size(), 4U);
  const std::uint16_t lost = decode(before)[1].sequence;
  EXPECT_TRUE(
      media().on_viewer_rtcp(phone, kVideo, bytes_of(generic_nack(video_ssrc(), {lost})), now_));
  media().flush();
  const auto after = udp_.rtp_to(endpoint(6000));
  ASSERT_EQ(after.size(), 5U);
  EXPECT_EQ(after.back(), before[1]);  // the same bytes, its payload type included
  EXPECT_EQ(payload_type_of(after.back()), kPhoneVideoPt);
}

}  // namespace
}  // namespace callcast::media::group_media_test
