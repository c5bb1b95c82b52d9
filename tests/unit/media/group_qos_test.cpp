// Issue 12 items 3-4: what a group sends its publisher for its viewers (PLI, REMB) and which
// viewers it thins, from the viewers' RTCP.
#include "media/group_qos.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "rtp/picture_loss_indication.hpp"
#include "rtp/receiver_estimated_max_bitrate.hpp"
#include "unit/media/receiver_reports.hpp"

namespace callcast::media::group_qos_test {
namespace {

using namespace std::chrono_literals;

constexpr std::uint32_t kRelaySsrc = 0x11111111;
constexpr std::uint32_t kPublisherVideo = 0x22222222;

struct Sent {
  std::size_t track;
  std::vector<std::uint8_t> compound;
};

class GroupQosTest : public ::testing::Test {
 protected:
  static QosSettings thinning_on() {
    QosSettings settings;
    settings.thinning = true;
    return settings;
  }

  GroupQosTest() : qos(thinning_on(), kRelaySsrc, "callcast@test") {
    qos.publisher_video(0, kPublisherVideo);
    qos.publisher_video_rate(2'000'000);
    qos.set_publisher([this](std::size_t track, rtp::Bytes compound) {
      sent.push_back({track, {compound.begin(), compound.end()}});
      return true;
    });
  }

  // A viewer's PLI as its RTCP would carry it.
  bool viewer_pli(ViewerQos& viewer, Clock::time_point at) {
    std::array<std::uint8_t, 12> pli{};
    rtp::write_picture_loss_indication(pli, 0xABCDEF01, 0x33333333);
    auto parsed = rtp::RtcpCompoundView::parse(pli);
    EXPECT_TRUE(parsed);
    return qos.on_viewer_feedback(viewer, (*parsed)[0], at);
  }

  // The last compound sent to the publisher: RR, SDES, then the request (returned).
  rtp::RtcpPacketView last_request() {
    EXPECT_FALSE(sent.empty());
    compound_ = sent.back().compound;
    auto parsed = rtp::RtcpCompoundView::parse(compound_);
    EXPECT_TRUE(parsed);
    EXPECT_EQ(parsed->size(), 3u);
    EXPECT_TRUE(rtp::parse_receiver_report((*parsed)[0]));
    EXPECT_EQ((*parsed)[1].type(), static_cast<std::uint8_t>(rtp::RtcpType::source_description));
    return (*parsed)[2];
  }

  void reports(std::vector<ViewerQos*> viewers, double loss, int times) {
    reports_.start(viewers, [this](ViewerQos& viewer, const ReceiverFigures& figures) {
      qos.on_viewer_report(viewer, figures, now);
    });
    for (int i = 0; i < times; ++i) {
      now += 1s;
      const ReceiverFigures figures = reports_.next(loss);
      for (ViewerQos* viewer : viewers)
        qos.on_viewer_report(*viewer, figures, now);
    }
  }

  GroupQos qos;
  std::vector<Sent> sent;
  Clock::time_point now = Clock::time_point{} + 100s;
  ReceiverReports reports_;
  std::vector<std::uint8_t> compound_;
};

TEST_F(GroupQosTest, AViewersPliReachesThePublisherAsACompoundNamingItsVideo) {
  ViewerQos viewer;
  EXPECT_TRUE(viewer_pli(viewer, now));
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].track, 0u);
  const auto pli = rtp::parse_picture_loss_indication(last_request());
  ASSERT_TRUE(pli);
  EXPECT_EQ(pli->sender_ssrc, kRelaySsrc);
  EXPECT_EQ(pli->media_ssrc, kPublisherVideo);
  EXPECT_EQ(viewer.plis, 1u);
}

TEST_F(GroupQosTest, ManyViewersPlisBecomeOneRequestPerInterval) {
  std::vector<ViewerQos> viewers(50);
  for (auto& viewer : viewers)
    viewer_pli(viewer, now + 10ms);
  EXPECT_EQ(sent.size(), 1u);
  std::vector<ViewerQos*> all;
  for (auto& viewer : viewers)
    all.push_back(&viewer);
  qos.tick(all, now + 500ms);
  EXPECT_EQ(sent.size(), 1u);
  qos.tick(all, now + 1010ms);  // the merged ones, once the interval is over
  EXPECT_EQ(sent.size(), 2u);
  EXPECT_EQ(qos.keyframe_requests().received(), 50u);
  EXPECT_EQ(qos.keyframe_requests().sent(), 2u);
}

TEST_F(GroupQosTest, OtherFeedbackIsNotAKeyframeRequest) {
  std::array<std::uint8_t, 24> remb{};
  const std::array<std::uint32_t, 1> ssrcs{1};
  const auto size = rtp::write_receiver_estimated_max_bitrate(remb, 1, 1000, ssrcs);
  auto parsed = rtp::RtcpCompoundView::parse(std::span(remb.data(), size));
  ASSERT_TRUE(parsed);
  ViewerQos viewer;
  EXPECT_FALSE(qos.on_viewer_feedback(viewer, (*parsed)[0], now));
  EXPECT_TRUE(sent.empty());
}

TEST_F(GroupQosTest, WithoutAPublisherRequestsAreCountedNotSent) {
  qos.clear_publisher();
  ViewerQos viewer;
  viewer_pli(viewer, now);
  EXPECT_TRUE(sent.empty());
  EXPECT_EQ(qos.requests_unsent(), 1u);
}

TEST_F(GroupQosTest, ARequestThePublishersPathRefusedIsCountedUnsent) {
  bool takes = false;  // e.g. a browser's before its ICE check and DTLS
  qos.set_publisher([&](std::size_t, rtp::Bytes) { return takes; });
  ViewerQos a, b;
  std::vector<ViewerQos*> all{&a, &b};
  reports(all, 0.15, 1);
  qos.tick(all, now);
  EXPECT_EQ(qos.bitrate_requests(), 1u);
  EXPECT_EQ(qos.requests_unsent(), 1u);
  ASSERT_TRUE(qos.last_bitrate_request());
  EXPECT_FALSE(qos.last_bitrate_request()->sent);
  takes = true;
  reports(all, 0.15, 1);
  qos.tick(all, now);
  EXPECT_EQ(qos.bitrate_requests(), 2u);
  EXPECT_EQ(qos.requests_unsent(), 1u);
  const auto& request = qos.last_bitrate_request();
  ASSERT_TRUE(request);
  EXPECT_TRUE(request->sent);
  EXPECT_EQ(request->ssrc, kPublisherVideo);
  EXPECT_EQ(request->bps, *qos.rate_policy().target_bps());
  EXPECT_EQ(request->paths.congested, 2u);
}

TEST_F(GroupQosTest, ACongestedMajorityAsksThePublisherForLessThenMoreOnceClear) {
  ViewerQos a, b, c;
  std::vector<ViewerQos*> all{&a, &b, &c};
  reports({&a, &b}, 0.15, 1);
  reports({&c}, 0.0, 1);
  qos.tick(all, now);
  const auto remb = rtp::parse_receiver_estimated_max_bitrate(last_request());
  ASSERT_TRUE(remb);
  EXPECT_LE(remb->bitrate_bps, 1'700'000u);
  EXPECT_GT(remb->bitrate_bps, 1'690'000u);  // the largest value REMB can carry below it
  ASSERT_EQ(remb->ssrc_count, 1u);
  EXPECT_EQ(remb->ssrcs[0], kPublisherVideo);
  EXPECT_EQ(qos.bitrate_requests(), 1u);
  // Clear again: after 3 s clear, one step up per 2 s, back to where it started.
  reports(all, 0.0, 1);
  const auto before = sent.size();
  for (int i = 0; i < 10; ++i) {
    now += 1s;
    qos.tick(all, now);
  }
  EXPECT_GT(sent.size(), before);
  EXPECT_EQ(qos.rate_policy().target_bps(), 2'000'000u);
}

TEST_F(GroupQosTest, ACongestedMinorityIsThinnedAndComesBackWhenClear) {
  std::vector<ViewerQos> viewers(5);
  std::vector<ViewerQos*> all;
  for (auto& viewer : viewers)
    all.push_back(&viewer);
  reports({all.begin() + 1, all.end()}, 0.0, 1);
  reports({all[0]}, 0.3, 1);
  EXPECT_TRUE(qos.tick(all, now).empty());  // congested for 0 s
  auto changed = qos.tick(all, now + 2s);
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0], all[0]);
  EXPECT_TRUE(viewers[0].thinned);
  EXPECT_EQ(qos.thinned_viewers(), 1u);
  EXPECT_TRUE(sent.empty()) << "a minority does not lower the publisher's rate";
  now += 2s;
  reports({all[0]}, 0.0, 1);
  EXPECT_TRUE(qos.tick(all, now + 1s).empty());
  changed = qos.tick(all, now + 3s);
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_FALSE(viewers[0].thinned);
  EXPECT_EQ(viewers[0].times_thinned, 1u);
}

TEST_F(GroupQosTest, RateControlOffLeavesRateAndViewersAlone) {
  QosSettings settings;
  settings.rate_control = false;
  GroupQos off(settings, kRelaySsrc, "x");
  off.publisher_video(0, kPublisherVideo);
  off.publisher_video_rate(2'000'000);
  ViewerQos viewer;
  ReceiverReports reports;
  off.on_viewer_report(viewer, reports.next(0), now - 1s);
  off.on_viewer_report(viewer, reports.next(0.5), now);
  std::vector<ViewerQos*> all{&viewer};
  EXPECT_TRUE(off.tick(all, now + 10s).empty());
  EXPECT_FALSE(viewer.thinned);
  EXPECT_EQ(off.bitrate_requests(), 0u);
}

}  // namespace
}  // namespace callcast::media::group_qos_test
