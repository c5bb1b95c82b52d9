// Issue 12 item 3: viewers' keyframe requests reach the publisher merged, one per interval.
#include "media/keyframe_request_gate.hpp"

#include <gtest/gtest.h>

namespace callcast::media {
namespace {

using namespace std::chrono_literals;
using Source = KeyframeRequestSource;

class KeyframeRequestGateTest : public ::testing::Test {
 protected:
  KeyframeRequestGate gate{1s};
  Clock::time_point t0 = Clock::time_point{} + 100s;
};

TEST_F(KeyframeRequestGateTest, TheFirstRequestLeavesAtOnce) {
  EXPECT_TRUE(gate.request(Source::pli, t0));
  EXPECT_EQ(gate.sent(), 1u);
  EXPECT_FALSE(gate.pending());
}

TEST_F(KeyframeRequestGateTest, RequestsWithinTheIntervalAreMergedIntoOneAtItsEnd) {
  ASSERT_TRUE(gate.request(Source::pli, t0));
  // A hundred viewers behind lossy links ask within the interval: one more request, later.
  for (int i = 0; i < 100; ++i) {
    EXPECT_FALSE(gate.request(i % 2 == 0 ? Source::pli : Source::fir, t0 + 10ms * (i % 50)));
  }
  EXPECT_TRUE(gate.pending());
  EXPECT_FALSE(gate.due(t0 + 999ms));
  EXPECT_TRUE(gate.due(t0 + 1s));
  EXPECT_FALSE(gate.due(t0 + 1s));  // once
  EXPECT_EQ(gate.sent(), 2u);
  EXPECT_EQ(gate.received(), 101u);
  EXPECT_EQ(gate.received_pli(), 51u);
  EXPECT_EQ(gate.received_fir(), 50u);
  EXPECT_EQ(gate.merged(), 99u);
}

TEST_F(KeyframeRequestGateTest, AKeyframeAfterTheRequestAnswersIt) {
  ASSERT_TRUE(gate.request(Source::pli, t0));
  EXPECT_FALSE(gate.request(Source::repair_miss, t0 + 200ms));
  gate.keyframe_arrived(t0 + 300ms);  // the publisher's own, or the one asked at t0
  EXPECT_FALSE(gate.pending());
  EXPECT_FALSE(gate.due(t0 + 2s));
  EXPECT_EQ(gate.sent(), 1u);
  EXPECT_EQ(gate.repair_misses(), 1u);
}

TEST_F(KeyframeRequestGateTest, AKeyframeBeforeTheRequestDoesNotAnswerIt) {
  ASSERT_TRUE(gate.request(Source::pli, t0));
  EXPECT_FALSE(gate.request(Source::pli, t0 + 500ms));
  gate.keyframe_arrived(t0 + 400ms);  // older than the request pending
  EXPECT_TRUE(gate.pending());
  EXPECT_TRUE(gate.due(t0 + 1s));
}

TEST_F(KeyframeRequestGateTest, AfterTheIntervalARequestLeavesAtOnceAgain) {
  ASSERT_TRUE(gate.request(Source::pli, t0));
  EXPECT_TRUE(gate.request(Source::fir, t0 + 1500ms));
  EXPECT_FALSE(gate.request(Source::fir, t0 + 1600ms));
  EXPECT_EQ(gate.sent(), 2u);
}

}  // namespace
}  // namespace callcast::media
