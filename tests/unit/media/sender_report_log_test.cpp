// RFC 3550 §6.4.1: a viewer's round trip from the LSR/DLSR of its receiver report.
#include "media/sender_report_log.hpp"

#include <gtest/gtest.h>

namespace callcast::media {
namespace {

using namespace std::chrono_literals;

constexpr std::uint64_t kNtp = 0xE8A1B2C3'D4E5F607ull;  // an SR's NTP timestamp
constexpr std::uint32_t kCompact = 0xB2C3D4E5u;         // its middle 32 bits (LSR)

class SenderReportLogTest : public ::testing::Test {
 protected:
  SenderReportLog log;
  Clock::time_point t0 = Clock::time_point{} + 100s;
};

TEST_F(SenderReportLogTest, RoundTripIsArrivalMinusSendMinusTheViewersHold) {
  log.sent(kNtp, t0);
  // The viewer held the SR for 0.5 s (32768/65536) and its report arrived 580 ms after the SR
  // left: 80 ms of path both ways.
  const auto rtt = log.round_trip(kCompact, 32768, t0 + 580ms);
  ASSERT_TRUE(rtt);
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(*rtt), 80ms);
}

TEST_F(SenderReportLogTest, NoSrYetOrAnUnknownOneGivesNothing) {
  log.sent(kNtp, t0);
  EXPECT_FALSE(log.round_trip(0, 0, t0 + 1s));  // LSR 0: the viewer had no SR yet
  EXPECT_FALSE(log.round_trip(kCompact + 1, 0, t0 + 1s));
}

TEST_F(SenderReportLogTest, ALyingDelayGivesNothing) {
  log.sent(kNtp, t0);
  EXPECT_FALSE(log.round_trip(kCompact, 65536 * 10, t0 + 1s));  // held 10 s of a 1 s trip
}

TEST_F(SenderReportLogTest, OnlyTheLastFewReportsAreKept) {
  for (std::uint64_t i = 0; i <= SenderReportLog::kKept; ++i)
    log.sent(kNtp + (i << 16), t0 + std::chrono::seconds(i));
  EXPECT_FALSE(log.round_trip(kCompact, 0, t0 + 20s));  // the first, pushed out
  EXPECT_TRUE(log.round_trip(kCompact + 1, 0, t0 + 20s));
}

TEST_F(SenderReportLogTest, TheSameSrSentAgainCountsFromItsLastSend) {
  log.sent(kNtp, t0);
  log.sent(kNtp, t0 + 2s);  // relayed again to a viewer that just pressed PLAY
  const auto rtt = log.round_trip(kCompact, 0, t0 + 2s + 30ms);
  ASSERT_TRUE(rtt);
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(*rtt), 30ms);
}

}  // namespace
}  // namespace callcast::media
