// Which packets of a track lag so far behind real time that relaying them would burst stale
// media at the viewers (issue 10: a stalled publisher's backlog). Time is driven by the test.
#include "media/stale_media_filter.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>

namespace callcast::media {
namespace {

using namespace std::chrono_literals;

constexpr std::uint32_t kVideoRate = 90000;
constexpr std::uint32_t kFrameTicks = 3000;  // 30 frames/s
constexpr auto kFrame = std::chrono::microseconds(33333);

class StaleMediaFilterTest : public ::testing::Test {
 protected:
  // Frames `from`..`to` (exclusive) of a 30 fps stream, frame n due at t0 + n * 33.3 ms, each
  // arriving at `arrival(n)`; returns how many were fresh.
  template <class Arrival>
  int feed(int from, int to, Arrival arrival) {
    int fresh = 0;
    for (int n = from; n < to; ++n) {
      if (filter_.fresh(ts(n), arrival(n))) ++fresh;
    }
    return fresh;
  }
  std::uint32_t ts(int frame) const {
    return base_ts_ + static_cast<std::uint32_t>(frame) * kFrameTicks;
  }
  Clock::time_point due(int frame) const { return t0_ + frame * kFrame; }

  StaleMediaFilter filter_{kVideoRate, 1s};
  Clock::time_point t0_ = Clock::time_point{} + 1000s;
  std::uint32_t base_ts_ = 123456;
};

TEST_F(StaleMediaFilterTest, LiveStreamWithJitterAndSlowKeyframesIsAllFresh) {
  std::mt19937 random(7);
  std::uniform_int_distribution<int> jitter_ms(0, 250);
  // Every 60th frame an I-frame that takes 400 ms to cross a slow uplink.
  const int fresh = feed(0, 3000, [&](int n) {
    return due(n) + std::chrono::milliseconds(n % 60 == 0 ? 400 : jitter_ms(random));
  });
  EXPECT_EQ(fresh, 3000);
  EXPECT_EQ(filter_.stale_packets(), 0U);
  EXPECT_EQ(filter_.timeline_resets(), 0U);
}

TEST_F(StaleMediaFilterTest, BacklogAfterAStallIsStaleUntilItsLagIsWithinTheBound) {
  // One second live, then the publisher is stopped for 3 s; then it delivers the 3 s it held
  // back, 90 frames, in 300 ms (a frame every 3.3 ms), then goes on live.
  ASSERT_EQ(feed(0, 30, [&](int n) { return due(n); }), 30);
  const Clock::time_point resumed = due(30) + 3s;
  const int backlog_fresh =
      feed(30, 120, [&](int n) { return resumed + (n - 30) * std::chrono::microseconds(3333); });
  // Frame n arrives 3 s - (n - 30) * 30 ms late: beyond 1 s for n - 30 <= 66.
  EXPECT_EQ(filter_.stale_packets(), 67U);
  EXPECT_EQ(backlog_fresh, 90 - 67);
  EXPECT_LE(filter_.last_lag(), 1s);
  // Live again: fresh.
  EXPECT_EQ(feed(120, 150, [&](int n) { return due(n) + 3s - 2700ms; }), 30);
  EXPECT_EQ(filter_.timeline_resets(), 0U);
}

TEST_F(StaleMediaFilterTest, FirstPacketAfterALinkOutageCarriesTheWholeOutageAsLag) {
  ASSERT_EQ(feed(0, 30, [&](int n) { return due(n); }), 30);
  // TCP delivers what it queued during 1.5 s without a link.
  EXPECT_FALSE(filter_.fresh(ts(30), due(30) + 1500ms));
  EXPECT_GE(filter_.last_lag(), 1499ms);
  EXPECT_LE(filter_.last_lag(), 1501ms);
}

TEST_F(StaleMediaFilterTest, PublisherClockRunningSlowNeverMakesTheStreamStale) {
  // 500 ppm slow (five times a poor crystal): an hour of media arrives 1.8 s "late" by the end.
  const int frames = 30 * 3600;
  const int fresh = feed(0, frames, [&](int n) {
    return t0_ + std::chrono::duration_cast<Clock::duration>(n * kFrame * 1.0005);
  });
  EXPECT_EQ(fresh, frames);
  EXPECT_EQ(filter_.stale_packets(), 0U);
}

TEST_F(StaleMediaFilterTest, PublisherClockRunningFastIsFollowed) {
  const int frames = 30 * 600;
  const int fresh = feed(0, frames, [&](int n) {
    return t0_ + std::chrono::duration_cast<Clock::duration>(n * kFrame * 0.999);
  });
  EXPECT_EQ(fresh, frames);
}

TEST_F(StaleMediaFilterTest, TimestampJumpingBackIsANewTimelineNotAnEndlessBacklog) {
  ASSERT_EQ(feed(0, 30, [&](int n) { return due(n); }), 30);
  // The encoder restarted its clock 20 s back; its frames come on in real time.
  base_ts_ -= 20 * kVideoRate;
  EXPECT_EQ(feed(30, 60, [&](int n) { return due(n); }), 30);
  EXPECT_EQ(filter_.timeline_resets(), 1U);
  EXPECT_EQ(filter_.stale_packets(), 0U);
}

TEST_F(StaleMediaFilterTest, LagThatStopsShrinkingBecomesTheNewReferenceAfterTheSettleTime) {
  // After a 3 s stall the publisher goes on where its media clock stopped (no backlog, no
  // catching up): every frame lags by 3 s. Dropping them for good would black out the group.
  ASSERT_EQ(feed(0, 30, [&](int n) { return due(n); }), 30);
  const int fresh = feed(30, 120, [&](int n) { return due(n) + 3s; });
  // Stale for the settle time (one second: 30 frames), then the reference moves.
  EXPECT_EQ(filter_.timeline_resets(), 1U);
  EXPECT_GE(filter_.stale_packets(), 30U);
  EXPECT_LE(filter_.stale_packets(), 31U);
  EXPECT_EQ(fresh, 90 - static_cast<int>(filter_.stale_packets()));
  // And the stream is fresh from then on, jitter included.
  EXPECT_EQ(feed(120, 180, [&](int n) { return due(n) + 3s + (n % 2 ? 100ms : 0ms); }), 60);
}

TEST_F(StaleMediaFilterTest, SlowlyDrainingBacklogStaysStaleWhileItsLagShrinks) {
  ASSERT_EQ(feed(0, 30, [&](int n) { return due(n); }), 30);
  // 5 s held back, drained at 1.25x real time: the lag shrinks by 6.7 ms a frame, 200 ms a
  // second, and reaches 1 s only after 20 s; no frame before that is fresh.
  const Clock::time_point resumed = due(30) + 5s;
  int fresh = 0;
  int first_fresh = -1;
  for (int n = 30; n < 30 + 700; ++n) {
    const auto at = resumed + std::chrono::duration_cast<Clock::duration>((n - 30) * kFrame * 0.8);
    if (filter_.fresh(ts(n), at)) {
      ++fresh;
      if (first_fresh < 0) first_fresh = n - 30;
    }
  }
  EXPECT_EQ(filter_.timeline_resets(), 0U);
  // Lag 5 s - k * 6.67 ms is within 1 s from k = 600 on.
  EXPECT_GE(first_fresh, 599);
  EXPECT_LE(first_fresh, 601);
}

TEST_F(StaleMediaFilterTest, ResetMeasuresANewPublisherFromItsFirstPacket) {
  ASSERT_EQ(feed(0, 30, [&](int n) { return due(n); }), 30);
  filter_.reset();
  // A new publisher 4 s later with its own timestamps far behind: fresh.
  base_ts_ = 5;
  EXPECT_EQ(feed(0, 30, [&](int n) { return due(n) + 4s; }), 30);
  EXPECT_EQ(filter_.stale_packets(), 0U);
}

TEST_F(StaleMediaFilterTest, TimestampWrapAroundIsNoJump) {
  base_ts_ = 0xFFFFFFFFU - 10 * kFrameTicks;
  EXPECT_EQ(feed(0, 60, [&](int n) { return due(n); }), 60);
  EXPECT_EQ(filter_.timeline_resets(), 0U);
  EXPECT_FALSE(filter_.fresh(ts(60), due(60) + 2s));
}

TEST(StaleMediaFilter, AudioClockRateIsHonoured) {
  // Opus at 48 kHz, 20 ms packets; after a 2 s stall the backlog arrives at once.
  StaleMediaFilter filter(48000, 1s);
  const Clock::time_point t0 = Clock::time_point{} + 50s;
  for (int n = 0; n < 50; ++n)
    ASSERT_TRUE(filter.fresh(static_cast<std::uint32_t>(n * 960), t0 + n * 20ms));
  const Clock::time_point resumed = t0 + 50 * 20ms + 2s;
  int stale = 0;
  for (int n = 50; n < 150; ++n) {
    if (!filter.fresh(static_cast<std::uint32_t>(n * 960), resumed + (n - 50) * 1ms)) ++stale;
  }
  // Packet n lags 2 s - (n - 50) * 19 ms: beyond 1 s for n - 50 <= 52.
  EXPECT_EQ(stale, 53);
}

}  // namespace
}  // namespace callcast::media
