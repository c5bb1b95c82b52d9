// Issue 13 item 6: the relay, as a UDP publisher's receiver, NACKs what the publisher lost.
#include "media/ingest_loss_tracker.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace callcast::media::ingest_loss_tracker_test {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

class IngestLossTrackerTest : public ::testing::Test {
 protected:
  // Packets `first`..`last` (inclusive, wrapping) arrive at `at`, except those in `skip`.
  void receive(std::uint16_t first, std::uint16_t last, Clock::time_point at,
               const std::vector<std::uint16_t>& skip = {}) {
    for (std::uint16_t s = first;; ++s) {
      if (std::find(skip.begin(), skip.end(), s) == skip.end()) tracker.on_packet(s, at);
      if (s == last) break;
    }
  }
  std::vector<std::uint16_t> nacks_at(Clock::time_point at) { return tracker.due(at).nacks; }

  IngestLossTracker tracker;
  Clock::time_point t0 = Clock::time_point{} + 100s;
};

TEST_F(IngestLossTrackerTest, AnInOrderStreamIsNeverNacked) {
  receive(0, 999, t0);
  EXPECT_THAT(nacks_at(t0 + 5s), IsEmpty());
  EXPECT_EQ(tracker.counters(), IngestLossCounters{});
}

TEST_F(IngestLossTrackerTest, AHoleIsNackedOnceTwoLaterPacketsArrived) {
  receive(10, 12, t0);
  tracker.on_packet(14, t0);  // 13 is missing: one later packet, maybe only reordered
  EXPECT_THAT(nacks_at(t0), IsEmpty());
  tracker.on_packet(15, t0);
  EXPECT_THAT(nacks_at(t0), ElementsAre(13));
  EXPECT_THAT(nacks_at(t0 + 1ms), IsEmpty()) << "not again before the retry interval";
  EXPECT_EQ(tracker.counters().holes, 1U);
  EXPECT_EQ(tracker.counters().nacks_sent, 1U);
}

TEST_F(IngestLossTrackerTest, AHoleIsNackedAfterTheReorderWaitEvenWithoutLaterPackets) {
  receive(10, 12, t0);
  tracker.on_packet(14, t0);  // the last packet of a frame: nothing follows for 33 ms
  EXPECT_THAT(nacks_at(t0 + 9ms), IsEmpty());
  EXPECT_THAT(nacks_at(t0 + 10ms), ElementsAre(13));
}

TEST_F(IngestLossTrackerTest, AReorderedPacketWithinTheAllowanceIsNotNacked) {
  receive(1, 1, t0);
  tracker.on_packet(3, t0);
  EXPECT_THAT(nacks_at(t0), IsEmpty());
  tracker.on_packet(2, t0 + 1ms);  // late by one packet: UDP reordering, not loss
  receive(4, 10, t0 + 2ms);
  EXPECT_THAT(nacks_at(t0 + 1s), IsEmpty());
  EXPECT_EQ(tracker.counters().holes, 1U);
  EXPECT_EQ(tracker.counters().reordered, 1U);
  EXPECT_EQ(tracker.counters().nacks_sent, 0U);
  EXPECT_EQ(tracker.counters().given_up, 0U);
  EXPECT_EQ(tracker.open_holes(), 0U);
}

TEST_F(IngestLossTrackerTest, SequenceNumbersWrapFrom65535ToZero) {
  receive(65530, 65533, t0);
  receive(65535, 2, t0, {0});  // 65534 and 0 are lost across the wrap
  EXPECT_THAT(nacks_at(t0), ElementsAre(65534, 0));
  EXPECT_EQ(tracker.counters().holes, 2U);
  EXPECT_EQ(tracker.counters().resyncs, 0U) << "a wrap is no jump";
}

TEST_F(IngestLossTrackerTest, RetriesAreSpacedByTheRetryIntervalAndBounded) {
  // Default round trip 50 ms: retries 75 ms apart; the first NACK and 3 retries, then given up
  // one interval after the last.
  receive(0, 9, t0, {5});
  ASSERT_EQ(tracker.retry_interval(), 75ms);
  EXPECT_THAT(nacks_at(t0), ElementsAre(5));
  EXPECT_THAT(nacks_at(t0 + 74ms), IsEmpty());
  EXPECT_THAT(nacks_at(t0 + 75ms), ElementsAre(5));
  EXPECT_THAT(nacks_at(t0 + 100ms), IsEmpty());
  EXPECT_THAT(nacks_at(t0 + 150ms), ElementsAre(5));
  EXPECT_THAT(nacks_at(t0 + 225ms), ElementsAre(5));
  const IngestLossDue last = tracker.due(t0 + 299ms);
  EXPECT_THAT(last.nacks, IsEmpty());
  EXPECT_FALSE(last.keyframe_needed);
  const IngestLossDue over = tracker.due(t0 + 300ms);
  EXPECT_THAT(over.nacks, IsEmpty()) << "3 retries, then no more";
  EXPECT_TRUE(over.keyframe_needed) << "a video packet past repair: ask for a keyframe";
  EXPECT_FALSE(tracker.due(t0 + 301ms).keyframe_needed) << "once per give-up";
  EXPECT_EQ(tracker.counters().nacks_sent, 4U);
  EXPECT_EQ(tracker.counters().given_up, 1U);
  EXPECT_EQ(tracker.open_holes(), 0U);
}

TEST_F(IngestLossTrackerTest, TheRetryIntervalHasAFloorAndFollowsTheRoundTripSetFromOutside) {
  tracker.set_round_trip(4ms);
  EXPECT_EQ(tracker.retry_interval(), 20ms);
  tracker.set_round_trip(200ms);
  EXPECT_EQ(tracker.retry_interval(), 300ms);
  receive(0, 9, t0, {5});
  EXPECT_THAT(nacks_at(t0), ElementsAre(5));
  EXPECT_THAT(nacks_at(t0 + 299ms), IsEmpty());
  EXPECT_THAT(nacks_at(t0 + 300ms), ElementsAre(5));
}

TEST_F(IngestLossTrackerTest, AHoleOlderThanTheGiveUpTimeIsGivenUpWhateverItsRetries) {
  tracker.set_round_trip(500ms);  // retries 750 ms apart: only two fit in a second
  receive(0, 9, t0, {5});
  EXPECT_THAT(nacks_at(t0), ElementsAre(5));
  EXPECT_THAT(nacks_at(t0 + 750ms), ElementsAre(5));
  const IngestLossDue due = tracker.due(t0 + 1s);
  EXPECT_THAT(due.nacks, IsEmpty());
  EXPECT_TRUE(due.keyframe_needed);
  EXPECT_EQ(tracker.counters().given_up, 1U);
}

TEST_F(IngestLossTrackerTest, AResendFillingTheHoleIsCountedRecoveredAndEndsTheRetries) {
  receive(0, 9, t0, {4, 6});
  EXPECT_THAT(nacks_at(t0), ElementsAre(4, 6));
  tracker.on_packet(6, t0 + 30ms);  // the publisher's resend
  tracker.on_packet(6, t0 + 31ms);  // and a duplicate of it
  EXPECT_THAT(nacks_at(t0 + 75ms), ElementsAre(4));
  tracker.on_packet(4, t0 + 100ms);
  EXPECT_THAT(nacks_at(t0 + 2s), IsEmpty());
  EXPECT_EQ(tracker.counters().recovered, 2U);
  EXPECT_EQ(tracker.counters().given_up, 0U);
  EXPECT_EQ(tracker.counters().nacks_sent, 3U);
}

TEST_F(IngestLossTrackerTest, TheRoundTripIsLearntFromResendsOfHolesNackedOnce) {
  for (int i = 0; i < 40; ++i) {
    // Each 10-packet run loses one; its resend comes 10 ms after the NACK.
    const auto at = t0 + 100ms * i;
    const auto base = static_cast<std::uint16_t>(i * 10);
    receive(base, static_cast<std::uint16_t>(base + 9), at, {static_cast<std::uint16_t>(base + 5)});
    ASSERT_THAT(nacks_at(at), ElementsAre(base + 5));
    tracker.on_packet(static_cast<std::uint16_t>(base + 5), at + 10ms);
  }
  EXPECT_LT(tracker.round_trip(), 12ms);
  EXPECT_GE(tracker.round_trip(), 10ms);
  EXPECT_EQ(tracker.retry_interval(), 20ms) << "1.5 x ~10 ms is below the floor";
}

TEST_F(IngestLossTrackerTest, ABigJumpIsASenderRestartNotHundredsOfLosses) {
  receive(100, 110, t0);
  receive(40000, 40010, t0 + 20ms);  // a new numbering
  EXPECT_THAT(nacks_at(t0 + 30ms), IsEmpty());
  EXPECT_EQ(tracker.counters().resyncs, 1U);
  EXPECT_EQ(tracker.counters().holes, 0U);
  // ...and the new numbering is tracked as usual.
  receive(40011, 40020, t0 + 40ms, {40015});
  EXPECT_THAT(nacks_at(t0 + 40ms), ElementsAre(40015));
}

TEST_F(IngestLossTrackerTest, ABackwardJumpIsARestartToo) {
  receive(30000, 30010, t0);
  receive(5, 20, t0 + 20ms);
  EXPECT_THAT(nacks_at(t0 + 30ms), IsEmpty());
  EXPECT_EQ(tracker.counters().resyncs, 1U);
}

TEST_F(IngestLossTrackerTest, AJumpWithinTheLimitIsLossAndNackedInFull) {
  receive(0, 0, t0);
  tracker.on_packet(401, t0);
  tracker.on_packet(402, t0);
  EXPECT_EQ(nacks_at(t0).size(), 400U);
  EXPECT_EQ(tracker.counters().resyncs, 0U);
}

TEST_F(IngestLossTrackerTest, HolesAreCappedTheOldestGivenUpFirst) {
  IngestLossSettings settings;
  settings.max_holes = 8;
  tracker = IngestLossTracker(settings);
  receive(0, 0, t0);
  // Every other packet lost: 10 holes, room for 8.
  for (std::uint16_t s = 2; s <= 20; s += 2)
    tracker.on_packet(s, t0);
  EXPECT_EQ(tracker.open_holes(), 8U);
  const IngestLossDue due = tracker.due(t0 + 10ms);  // 19 waited for its reorder allowance
  EXPECT_THAT(due.nacks, ElementsAre(5, 7, 9, 11, 13, 15, 17, 19));
  EXPECT_TRUE(due.keyframe_needed);
  EXPECT_EQ(tracker.counters().given_up, 2U);
  EXPECT_EQ(tracker.counters().holes, 10U);
}

TEST_F(IngestLossTrackerTest, AGapWiderThanTheCapKeepsOnlyTheNewestHoles) {
  IngestLossSettings settings;
  settings.max_holes = 8;
  tracker = IngestLossTracker(settings);
  receive(0, 0, t0);
  receive(101, 102, t0);  // 100 missing
  EXPECT_THAT(nacks_at(t0), ElementsAre(93, 94, 95, 96, 97, 98, 99, 100));
  EXPECT_EQ(tracker.counters().holes, 100U);
  EXPECT_EQ(tracker.counters().given_up, 92U);
}

TEST_F(IngestLossTrackerTest, ALatePacketOfAHoleGivenUpIsIgnored) {
  receive(0, 9, t0, {5});
  (void)tracker.due(t0 + 2s);
  ASSERT_EQ(tracker.counters().given_up, 1U);
  tracker.on_packet(5, t0 + 2s);
  EXPECT_EQ(tracker.counters().recovered, 0U);
  EXPECT_EQ(tracker.counters().reordered, 0U);
}

TEST_F(IngestLossTrackerTest, ResetForgetsTheStreamButKeepsTheCounters) {
  receive(0, 9, t0, {5});
  EXPECT_THAT(nacks_at(t0), ElementsAre(5));
  tracker.reset();  // a new publisher: its own numbering
  receive(20000, 20010, t0 + 10ms);
  EXPECT_THAT(nacks_at(t0 + 1s), IsEmpty());
  EXPECT_EQ(tracker.counters().nacks_sent, 1U);
  EXPECT_EQ(tracker.counters().given_up, 0U) << "a hole of the old publisher is not its loss";
  EXPECT_EQ(tracker.counters().resyncs, 0U);
}

}  // namespace callcast::media::ingest_loss_tracker_test
