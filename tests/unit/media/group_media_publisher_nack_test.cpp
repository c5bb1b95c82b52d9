// Issue 13 item 6: a publisher on UDP loses packets on its way to the relay; the relay, as its
// receiver, sends it generic NACKs for the lost video packets on its RTCP path, retries while
// media flows, and asks for a keyframe for a packet that never came. Over TCP nothing is lost.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "media/group_snapshot.hpp"
#include "media/qos_counters.hpp"
#include "rtp/picture_loss_indication.hpp"
#include "unit/media/group_media_fixture.hpp"

namespace callcast::media::group_media_publisher_nack_test {

using namespace group_media_test;
// Unity builds: other tests of this folder have a kVideo of their own in callcast::media.
using group_media_test::kAudio;
using group_media_test::kVideo;
using namespace std::chrono_literals;
using ::testing::ElementsAre;

// What the relay sent the publisher's video RTCP port: its NACKs and its PLIs, each compound
// checked to start with a receiver report (RFC 3550 §6.1) from the relay's SSRC.
struct ToPublisher {
  std::vector<rtp::GenericNack> nacks;
  std::vector<rtp::PictureLossIndication> plis;
};

class GroupMediaPublisherNackTest : public GroupMediaTest {
 protected:
  static constexpr std::uint16_t kPublisherRtcp = 9001;

  void publisher_over_udp(bool nack = true) {
    PublisherRtcpPath path;
    path.tcp = false;
    path.udp_rtcp[kVideo] = endpoint(kPublisherRtcp);
    path.udp_rtcp[kAudio] = endpoint(kPublisherRtcp + 2);
    path.nack = nack;
    media().set_publisher_rtcp(path);
  }
  void publisher_over_tcp() {
    PublisherRtcpPath path;
    path.tcp = true;
    path.writer = writer_;
    path.rtcp_channel = {1, 3, 0, 0};
    media().set_publisher_rtcp(path);
  }
  // The next video packet is lost on its way: its sequence number is skipped.
  std::uint16_t lose_video_packet() { return video_seq_++; }

  ToPublisher to_publisher(std::uint16_t port = kPublisherRtcp) const {
    ToPublisher out;
    for (const Buffer& compound : udp_.rtcp_to(endpoint(port))) {
      const auto packets = rtcp_packets(compound);
      EXPECT_GE(packets.size(), 3U) << "RR, SDES, then the feedback";
      if (packets.size() < 3) continue;
      const auto rr = rtp::parse_receiver_report(packets[0]);
      EXPECT_TRUE(rr);
      for (std::size_t i = 2; i < packets.size(); ++i) {
        if (auto nack = rtp::parse_generic_nack(packets[i])) {
          if (rr) {
            EXPECT_EQ(nack->sender_ssrc, rr->sender_ssrc);
          }
          out.nacks.push_back(*nack);
        } else if (auto pli = rtp::parse_picture_loss_indication(packets[i])) {
          out.plis.push_back(*pli);
        }
      }
    }
    return out;
  }
  static std::vector<std::uint16_t> lost_in(const std::vector<rtp::GenericNack>& nacks) {
    std::vector<std::uint16_t> out;
    for (const auto& nack : nacks)
      nack.for_each_lost([&](std::uint16_t s) { out.push_back(s); });
    return out;
  }

  std::shared_ptr<FakeInterleavedWriter> writer_ = std::make_shared<FakeInterleavedWriter>();
};

TEST_F(GroupMediaPublisherNackTest, ALostVideoPacketIsNackedOnThePublishersRtcpPortNamingIt) {
  publisher_over_udp();
  publish_keyframe();
  publish_delta();
  const std::uint16_t lost = lose_video_packet();
  publish_delta();
  EXPECT_TRUE(to_publisher().nacks.empty()) << "one later packet: maybe only reordered";
  publish_delta();

  const ToPublisher sent = to_publisher();
  ASSERT_EQ(sent.nacks.size(), 1U);
  EXPECT_EQ(sent.nacks[0].media_ssrc, video_ssrc_in_) << "the publisher's own SSRC";
  EXPECT_THAT(lost_in(sent.nacks), ElementsAre(lost));
  EXPECT_EQ(media().publisher_loss().nacks_sent, 1U);
  EXPECT_EQ(media().publisher_loss().holes, 1U);
}

TEST_F(GroupMediaPublisherNackTest, TheAudioBetweenFramesSendsANackWhoseReorderWaitIsOver) {
  publisher_over_udp();
  publish_keyframe();
  const std::uint16_t lost = lose_video_packet();
  publish_delta();  // the frame's last packet: no later video for a frame interval
  EXPECT_TRUE(to_publisher().nacks.empty());
  now_ += 15ms;
  publish_audio();
  EXPECT_THAT(lost_in(to_publisher().nacks), ElementsAre(lost));
  EXPECT_TRUE(udp_.rtcp_to(endpoint(kPublisherRtcp + 2)).empty()) << "on the video's port";
}

TEST_F(GroupMediaPublisherNackTest, TheNackComesFromTheSsrcThePublishersPlisComeFrom) {
  publisher_over_udp();
  publish_keyframe();
  lose_video_packet();
  publish_delta();
  publish_delta();
  now_ += 2s;
  media().update_qos(now_);  // retries over, given up: a keyframe is asked for
  const ToPublisher sent = to_publisher();
  ASSERT_FALSE(sent.nacks.empty());
  ASSERT_EQ(sent.plis.size(), 1U);
  EXPECT_EQ(sent.plis[0].sender_ssrc, sent.nacks[0].sender_ssrc);
  EXPECT_EQ(sent.plis[0].media_ssrc, video_ssrc_in_);
}

TEST_F(GroupMediaPublisherNackTest, RetriesRideOnLaterPacketsAndAResendCountsRecovered) {
  publisher_over_udp();
  publish_keyframe();
  const std::uint16_t lost = lose_video_packet();
  const std::uint32_t lost_ts = video_ts_ + 3000;
  publish_delta();
  publish_delta();
  ASSERT_EQ(to_publisher().nacks.size(), 1U);
  now_ += 80ms;  // more than 1.5 x the 50 ms assumed round trip
  publish_delta();
  EXPECT_THAT(lost_in(to_publisher().nacks), ElementsAre(lost, lost));
  // The publisher resends it.
  publish(kVideo, rtp_packet(lost, lost_ts, kSlice, kVideoPt, true, video_ssrc_in_));
  now_ += 1s;
  publish_delta();
  media().update_qos(now_);
  EXPECT_EQ(to_publisher().nacks.size(), 2U) << "no NACK once the packet came";
  EXPECT_TRUE(to_publisher().plis.empty());

  core::Group group;
  group.id = "g1";
  group.state = core::GroupState::live;
  const control::GroupSnapshot snapshot = make_group_snapshot(group, &media(), nullptr, now_);
  EXPECT_EQ(snapshot.qos.publisher_nacks_sent, 2U);
  EXPECT_EQ(snapshot.qos.publisher_packets_recovered, 1U);
  EXPECT_EQ(snapshot.qos.publisher_packets_lost, 0U);
  EXPECT_EQ(snapshot.qos.publisher_loss_requests, 0U);
}

TEST_F(GroupMediaPublisherNackTest, APacketNeverResentIsCountedLostAndAsksForOneKeyframe) {
  media().set_metrics(&metrics_);
  publisher_over_udp();
  publish_keyframe();
  lose_video_packet();
  lose_video_packet();
  publish_delta();
  publish_delta();
  now_ += 2s;
  media().update_qos(now_);
  const ToPublisher sent = to_publisher();
  EXPECT_EQ(sent.plis.size(), 1U) << "two packets lost, one keyframe request";
  EXPECT_EQ(media().publisher_loss().given_up, 2U);
  EXPECT_EQ(QosCounters::of(media().qos()).publisher_loss_requests, 1U);
  media_.reset();
  EXPECT_EQ(metrics_.retired_publisher_loss().given_up, 2U) << "kept once the group is gone";
  EXPECT_EQ(metrics_.retired_qos().publisher_loss_requests, 1U);
}

TEST_F(GroupMediaPublisherNackTest, ATcpPublisherIsNeverNacked) {
  publisher_over_tcp();
  publish_keyframe();
  lose_video_packet();
  for (int i = 0; i < 5; ++i)
    publish_delta();
  now_ += 2s;
  media().update_qos(now_);
  EXPECT_TRUE(writer_->frames.empty()) << "TCP does not lose: nothing to ask for";
  EXPECT_TRUE(udp_.rtcp.empty());
  EXPECT_EQ(media().publisher_loss(), IngestLossCounters{});
}

TEST_F(GroupMediaPublisherNackTest, APublisherThatTakesNoNacksGetsNone) {
  publisher_over_udp(/*nack=*/false);
  publish_keyframe();
  lose_video_packet();
  for (int i = 0; i < 5; ++i)
    publish_delta();
  EXPECT_TRUE(udp_.rtcp.empty());
  EXPECT_EQ(media().publisher_loss().nacks_sent, 0U);
}

TEST_F(GroupMediaPublisherNackTest, LostAudioIsNotNacked) {
  publisher_over_udp();
  publish_keyframe();
  publish_audio();
  ++audio_seq_;  // lost
  for (int i = 0; i < 5; ++i)
    publish_audio();
  EXPECT_TRUE(udp_.rtcp_to(endpoint(kPublisherRtcp + 2)).empty());
  EXPECT_TRUE(udp_.rtcp.empty());
}

TEST_F(GroupMediaPublisherNackTest, ANewPublisherStartsAFreshCount) {
  publisher_over_udp();
  publish_keyframe();
  publish_delta();
  // It reconnects with numbers of its own (a restart): nothing between is asked for.
  media().publisher_left();
  media().publisher_changed(now_);
  publisher_over_udp();
  video_seq_ = static_cast<std::uint16_t>(video_seq_ + 200);
  publish_keyframe();
  publish_delta();
  publish_delta();
  EXPECT_TRUE(to_publisher().nacks.empty());
}

}  // namespace callcast::media::group_media_publisher_nack_test
