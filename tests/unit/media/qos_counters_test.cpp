// Issue 12 item 5: a group's QoS as counters (the group JSON and /metrics read them), taken from
// a GroupQos driven through every path a request can take.
#include "media/qos_counters.hpp"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "media/group_qos.hpp"
#include "rtp/full_intra_request.hpp"
#include "rtp/picture_loss_indication.hpp"
#include "unit/media/receiver_reports.hpp"

namespace callcast::media::qos_counters_test {
namespace {

using namespace std::chrono_literals;

constexpr std::uint32_t kRelaySsrc = 0x11111111;
constexpr std::uint32_t kPublisherVideo = 0x22222222;
constexpr std::uint32_t kViewerSsrc = 0xABCDEF01;

class QosCountersTest : public ::testing::Test {
 protected:
  QosCountersTest() : qos(QosSettings{}, kRelaySsrc, "callcast@test") {
    qos.publisher_video(0, kPublisherVideo);
    qos.publisher_video_rate(2'000'000);
    connect_publisher();
  }

  void connect_publisher() {
    qos.set_publisher([this](std::size_t, rtp::Bytes) {
      ++sent;
      return true;
    });
  }

  bool feedback(ViewerQos& viewer, std::span<const std::uint8_t> packet) {
    auto parsed = rtp::RtcpCompoundView::parse(packet);
    EXPECT_TRUE(parsed);
    return qos.on_viewer_feedback(viewer, (*parsed)[0], now);
  }
  bool pli(ViewerQos& viewer) {
    std::array<std::uint8_t, 12> packet{};
    EXPECT_EQ(rtp::write_picture_loss_indication(packet, kViewerSsrc, kPublisherVideo), 12u);
    return feedback(viewer, packet);
  }
  bool fir(ViewerQos& viewer) {
    std::array<std::uint8_t, 20> packet{};
    EXPECT_EQ(rtp::write_full_intra_request(packet, kViewerSsrc, kPublisherVideo, 1), 20u);
    return feedback(viewer, packet);
  }

  // Every viewer reports `loss` once a second for `seconds`, the group ticking after each.
  void report_and_tick(std::vector<ViewerQos*> viewers, double loss, int seconds) {
    reports_.start(viewers, [this](ViewerQos& viewer, const ReceiverFigures& figures) {
      qos.on_viewer_report(viewer, figures, now);
    });
    for (int i = 0; i < seconds; ++i) {
      now += 1s;
      const ReceiverFigures figures = reports_.next(loss);
      for (ViewerQos* viewer : viewers)
        qos.on_viewer_report(*viewer, figures, now);
      qos.tick(viewers, now);
    }
  }

  GroupQos qos;
  std::size_t sent = 0;
  Clock::time_point now = Clock::time_point{} + 100s;
  ReceiverReports reports_;
};

TEST_F(QosCountersTest, KeyframeRequestsAreCountedByKindAndByWhereTheyWent) {
  ViewerQos a;
  ViewerQos b;
  EXPECT_TRUE(pli(a));  // leaves at once
  now += 10ms;
  EXPECT_TRUE(fir(b));  // within the interval: merged, pending
  qos.request_keyframe(KeyframeRequestSource::repair_miss, now);  // merged into the same
  qos.clear_publisher();                                          // the publisher's link is gone
  now += 1s;
  std::vector<ViewerQos*> viewers{&a, &b};
  qos.tick(viewers, now);  // the pending one falls due and finds nobody to send it to

  EXPECT_EQ(sent, 1u);
  EXPECT_EQ(qos.keyframe_requests_unsent(), 1u);
  EXPECT_EQ(qos.requests_unsent(), 1u);
  const QosCounters counters = QosCounters::of(qos);
  EXPECT_EQ(counters.plis_received, 1u);
  EXPECT_EQ(counters.firs_received, 1u);
  EXPECT_EQ(counters.repair_miss_requests, 1u);
  EXPECT_EQ(counters.keyframe_requests_merged, 1u);
  EXPECT_EQ(counters.keyframe_requests_forwarded, 1u);
  EXPECT_EQ(counters.keyframe_requests_unsent, 1u);
  EXPECT_EQ(counters.bitrate_requests_unsent, 0u);
  EXPECT_EQ(a.plis, 1u);
  EXPECT_EQ(b.firs, 1u);
}

TEST_F(QosCountersTest, BitrateRequestsAreCountedByDirectionAndUnsentApartFromKeyframes) {
  ViewerQos a;
  ViewerQos b;
  qos.clear_publisher();
  report_and_tick({&a, &b}, 0.3, 1);  // a congested audience: less, but nobody to ask
  EXPECT_EQ(qos.rate_policy().decreases(), 1u);
  connect_publisher();
  report_and_tick({&a, &b}, 0.0, 8);  // clear: back up in steps
  ASSERT_GT(qos.rate_policy().increases(), 0u);

  const QosCounters counters = QosCounters::of(qos);
  EXPECT_EQ(counters.bitrate_decreases, 1u);
  EXPECT_EQ(counters.bitrate_increases, qos.rate_policy().increases());
  EXPECT_EQ(counters.bitrate_requests_unsent, 1u);
  EXPECT_EQ(counters.keyframe_requests_unsent, 0u);
  EXPECT_EQ(sent, qos.rate_policy().increases());
  EXPECT_EQ(qos.bitrate_requests(), counters.bitrate_decreases + counters.bitrate_increases);
}

TEST(QosCounters, AddSumsEveryCounter) {
  const QosCounters one{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  QosCounters total{10, 20, 30, 40, 50, 60, 70, 80, 90, 100};
  total.add(one);
  EXPECT_EQ(total.plis_received, 11u);
  EXPECT_EQ(total.firs_received, 22u);
  EXPECT_EQ(total.repair_miss_requests, 33u);
  EXPECT_EQ(total.keyframe_requests_merged, 44u);
  EXPECT_EQ(total.keyframe_requests_forwarded, 55u);
  EXPECT_EQ(total.keyframe_requests_unsent, 66u);
  EXPECT_EQ(total.bitrate_decreases, 77u);
  EXPECT_EQ(total.bitrate_increases, 88u);
  EXPECT_EQ(total.bitrate_requests_unsent, 99u);
  EXPECT_EQ(total.publisher_loss_requests, 110u);
}

}  // namespace
}  // namespace callcast::media::qos_counters_test
