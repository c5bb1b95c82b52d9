// A NACK repeated before the retransmission could have arrived is not served again; how long
// that is follows the viewer's round trip (module 608).
#include "media/resend_history.hpp"

#include <gtest/gtest.h>

namespace callcast::media {
namespace {

using namespace std::chrono_literals;

TEST(ResendHistory, HoldOffIsHalfTheRoundTripWithinBounds) {
  EXPECT_EQ(ResendHistory::hold_off(std::nullopt), 20ms);
  EXPECT_EQ(ResendHistory::hold_off(50ms), 25ms);
  EXPECT_EQ(ResendHistory::hold_off(2ms), 5ms);     // a LAN: not every few milliseconds
  EXPECT_EQ(ResendHistory::hold_off(300ms), 40ms);  // a long path: its third try still served
}

TEST(ResendHistory, ARepeatWithinTheHoldOffIsRefusedAndOneAfterItServed) {
  ResendHistory history;
  const Clock::time_point t0{};
  EXPECT_TRUE(history.may_resend(100, t0, 25ms));
  EXPECT_FALSE(history.may_resend(100, t0 + 24ms, 25ms));
  EXPECT_TRUE(history.may_resend(101, t0 + 24ms, 25ms)) << "another packet";
  EXPECT_TRUE(history.may_resend(100, t0 + 39ms, 25ms)) << "a 50 ms path's retry, 39 ms later";
  EXPECT_FALSE(history.may_resend(100, t0 + 40ms, 25ms)) << "counted from the last resend";
}

TEST(ResendHistory, APacketWhoseSlotWasReusedIsServedAgain) {
  ResendHistory history;
  const Clock::time_point t0{};
  EXPECT_TRUE(history.may_resend(100, t0));
  EXPECT_TRUE(history.may_resend(132, t0));  // same slot of 32
  EXPECT_TRUE(history.may_resend(100, t0 + 1ms));
}

TEST(ResendHistory, KnowsWhatItResentWithinAWindow) {
  ResendHistory history;
  const Clock::time_point t0 = Clock::time_point{} + 100s;
  EXPECT_FALSE(history.resent_within(7, t0, 500ms));
  ASSERT_TRUE(history.may_resend(7, t0));
  EXPECT_TRUE(history.resent_within(7, t0 + 500ms, 500ms));
  EXPECT_FALSE(history.resent_within(7, t0 + 501ms, 500ms));
  EXPECT_FALSE(history.resent_within(8, t0, 500ms));
  EXPECT_FALSE(history.resent_within(static_cast<std::uint16_t>(7 + 65536 / 2), t0, 500ms))
      << "another number in the same slot";
}

}  // namespace
}  // namespace callcast::media
