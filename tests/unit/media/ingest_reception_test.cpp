// The server's receiver reports about a publisher's track (RFC 3550 §6.4.2, A.1, A.3, A.8): what
// a browser publisher's send-side estimate is fed.
#include "media/ingest_reception.hpp"

#include <gtest/gtest.h>

namespace callcast::media::ingest_reception_test {
namespace {

using namespace std::chrono_literals;

constexpr std::uint32_t kSsrc = 0x1234ABCD;
const Clock::time_point kStart = Clock::time_point{} + 1000s;

// 25 frames a second at 90 kHz, one packet each, `seq` from `first`.
struct Sender {
  std::uint16_t next = 65530;  // wraps within the tests
  std::uint32_t timestamp = 4'000'000'000U;
  Clock::time_point at = kStart;

  void send(IngestReception& reception, bool lost = false) {
    if (!lost) reception.on_packet(kSsrc, next, timestamp, at);
    ++next;
    timestamp += 3600;
    at += 40ms;
  }
};

TEST(IngestReception, NothingToReportBeforeAPacket) {
  IngestReception reception;
  EXPECT_FALSE(reception.report(kStart));
}

TEST(IngestReception, CountsLossOverTheIntervalAndSinceTheStartAcrossTheWrap) {
  IngestReception reception;
  Sender sender;
  for (int i = 0; i < 100; ++i)
    sender.send(reception, i % 10 == 9);  // every tenth lost
  auto block = reception.report(sender.at);
  ASSERT_TRUE(block);
  EXPECT_EQ(block->ssrc, kSsrc);
  // 99 expected (the last one sent was lost: not seen yet), 90 received.
  EXPECT_EQ(block->cumulative_lost, 9);
  EXPECT_EQ(block->fraction_lost, 9 * 256 / 99);
  // 65530 + 98, one cycle up: 65536 + 92.
  EXPECT_EQ(block->highest_sequence, 65536U + 92U);

  for (int i = 0; i < 50; ++i)
    sender.send(reception);  // none lost: the missing last one of before counts from here
  block = reception.report(sender.at);
  ASSERT_TRUE(block);
  EXPECT_EQ(block->cumulative_lost, 10);
  EXPECT_EQ(block->fraction_lost, 256 / 51);
  block = reception.report(sender.at);
  EXPECT_EQ(block->fraction_lost, 0) << "nothing expected in an empty interval";
}

TEST(IngestReception, AReorderedOrResentPacketIsReceivedNotLost) {
  IngestReception reception;
  reception.on_packet(kSsrc, 100, 0, kStart);
  reception.on_packet(kSsrc, 102, 7200, kStart + 80ms);
  reception.on_packet(kSsrc, 101, 3600, kStart + 90ms);  // late (or our NACK's resend)
  reception.on_packet(kSsrc, 99, 0, kStart + 95ms);      // from before the first one
  const auto block = reception.report(kStart + 100ms);
  ASSERT_TRUE(block);
  EXPECT_EQ(block->cumulative_lost, 0);
  EXPECT_EQ(block->fraction_lost, 0);
  EXPECT_EQ(block->highest_sequence, 102U);
  EXPECT_EQ(reception.expected(), 4U);
}

TEST(IngestReception, AJumpOrANewSsrcStartsOver) {
  IngestReception reception;
  reception.on_packet(kSsrc, 100, 0, kStart);
  reception.on_packet(kSsrc, 103, 0, kStart);    // two lost
  reception.on_packet(kSsrc, 20000, 0, kStart);  // a restarted sender, not 19897 lost
  auto block = reception.report(kStart);
  ASSERT_TRUE(block);
  EXPECT_EQ(block->cumulative_lost, 0);
  EXPECT_EQ(block->highest_sequence, 20000U);
  reception.on_packet(kSsrc + 1, 7, 0, kStart);
  block = reception.report(kStart);
  ASSERT_TRUE(block);
  EXPECT_EQ(block->ssrc, kSsrc + 1);
  EXPECT_EQ(block->highest_sequence, 7U);
  EXPECT_EQ(reception.received(), 1U);
}

TEST(IngestReception, JitterIsTheSmoothedChangeOfTransitInTimestampUnits) {
  IngestReception reception;
  Sender steady;
  for (int i = 0; i < 50; ++i)
    steady.send(reception);
  EXPECT_EQ(reception.report(steady.at)->jitter, 0U) << "packets as regular as their timestamps";

  // Every other packet 10 ms late (900 units): |D| is 900 for each, the estimate goes to 900.
  IngestReception jittery;
  Sender sender;
  for (int i = 0; i < 400; ++i) {
    const auto at = sender.at;
    if (i % 2 == 1) sender.at += 10ms;
    sender.send(jittery);
    sender.at = at + 40ms;
  }
  EXPECT_NEAR(jittery.report(sender.at)->jitter, 900.0, 10.0);
}

TEST(IngestReception, NamesThePublishersLastSenderReportAndHowLongAgo) {
  IngestReception reception;
  reception.on_packet(kSsrc, 1, 0, kStart);
  EXPECT_EQ(reception.report(kStart)->last_sr, 0U) << "no sender report yet";
  reception.on_sender_report(kSsrc + 1, 0xAAAA'BBBB'CCCC'DDDDULL, kStart);  // another source
  reception.on_sender_report(kSsrc, 0xE8F1'A2B3'C4D5'0000ULL, kStart);
  const auto block = reception.report(kStart + 250ms);
  ASSERT_TRUE(block);
  EXPECT_EQ(block->last_sr, 0xA2B3C4D5U);
  EXPECT_EQ(block->delay_since_last_sr, 16384U);  // 250 ms in 1/65536 s
}

}  // namespace
}  // namespace callcast::media::ingest_reception_test
