// The media side's event ring: numbering, reading after a position, pages, and what a reader
// learns when it fell behind the ring or talks to a restarted log.
#include "control/event_log.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace callcast::control {
namespace {

using core::GroupEventKind;

constexpr std::int64_t kT0 = 1'700'000'000'000;

core::GroupEvent closed(std::string group) {
  return {GroupEventKind::group_closed, group, group, "deleted"};
}

// Appends events for groups "g1".."gN" at kT0 + i ms.
void append_closed(EventLog& log, int count) {
  const auto first = static_cast<int>(log.last_seq()) + 1;
  for (int i = first; i < first + count; ++i)
    log.append(closed("g" + std::to_string(i)), kT0 + i);
}

std::vector<std::uint64_t> seqs(const EventPage& page) {
  std::vector<std::uint64_t> out;
  for (const auto& e : page.events)
    out.push_back(e.seq);
  return out;
}

TEST(EventLogTest, EmptyLogHasNothingAfterZero) {
  const EventLog log("e1", 8);
  EXPECT_EQ(log.last_seq(), 0U);
  EXPECT_EQ(log.first_seq(), 1U);
  const EventPage page = log.read_after(0, 100);
  EXPECT_TRUE(page.events.empty());
  EXPECT_EQ(page.next, 0U);
  EXPECT_FALSE(page.gap);
  EXPECT_EQ(page.epoch, "e1");
}

TEST(EventLogTest, AppendNumbersFromOneAndKeepsTheEvent) {
  EventLog log("e1", 8);
  const LoggedEvent& first = log.append({GroupEventKind::master_joined, "138", "138", ""}, kT0 + 5);
  EXPECT_EQ(first.seq, 1U);
  EXPECT_EQ(first.unix_ms, kT0 + 5);
  EXPECT_EQ(first.event.kind, GroupEventKind::master_joined);
  EXPECT_EQ(log.append(closed("138"), kT0 + 6).seq, 2U);
  EXPECT_EQ(log.last_seq(), 2U);
  EXPECT_EQ(log.size(), 2U);
}

TEST(EventLogTest, ReadAfterReturnsOnlyLaterEventsInOrder) {
  EventLog log("e1", 8);
  append_closed(log, 5);
  const EventPage page = log.read_after(2, 100);
  EXPECT_EQ(seqs(page), (std::vector<std::uint64_t>{3, 4, 5}));
  EXPECT_EQ(page.events.front().event.group, "g3");
  EXPECT_EQ(page.events.front().unix_ms, kT0 + 3);
  EXPECT_EQ(page.next, 5U);
  EXPECT_FALSE(page.gap);
}

TEST(EventLogTest, ReadAtTheEndIsEmptyAndKeepsThePosition) {
  EventLog log("e1", 8);
  append_closed(log, 3);
  const EventPage page = log.read_after(3, 100);
  EXPECT_TRUE(page.events.empty());
  EXPECT_EQ(page.next, 3U);
  EXPECT_FALSE(page.gap);
}

TEST(EventLogTest, PageStopsAtMaxEventsAndNextContinues) {
  EventLog log("e1", 16);
  append_closed(log, 7);
  const EventPage first = log.read_after(0, 3);
  EXPECT_EQ(seqs(first), (std::vector<std::uint64_t>{1, 2, 3}));
  EXPECT_EQ(first.next, 3U);
  const EventPage second = log.read_after(first.next, 3);
  EXPECT_EQ(seqs(second), (std::vector<std::uint64_t>{4, 5, 6}));
  const EventPage third = log.read_after(second.next, 3);
  EXPECT_EQ(seqs(third), (std::vector<std::uint64_t>{7}));
  EXPECT_FALSE(first.gap || second.gap || third.gap);
}

TEST(EventLogTest, FullRingOverwritesTheOldest) {
  EventLog log("e1", 4);
  append_closed(log, 6);
  EXPECT_EQ(log.size(), 4U);
  EXPECT_EQ(log.first_seq(), 3U);
  EXPECT_EQ(log.last_seq(), 6U);
  const EventPage page = log.read_after(2, 100);  // exactly the oldest kept onwards: no gap
  EXPECT_EQ(seqs(page), (std::vector<std::uint64_t>{3, 4, 5, 6}));
  EXPECT_EQ(page.events.front().event.group, "g3");
  EXPECT_EQ(page.events.back().event.group, "g6");
  EXPECT_FALSE(page.gap);
}

TEST(EventLogTest, ReaderBehindTheRingGetsGapAndTheOldestKept) {
  EventLog log("e1", 4);
  append_closed(log, 10);  // 7..10 kept
  const EventPage page = log.read_after(3, 100);
  EXPECT_TRUE(page.gap);
  EXPECT_EQ(seqs(page), (std::vector<std::uint64_t>{7, 8, 9, 10}));
  EXPECT_EQ(page.next, 10U);
}

TEST(EventLogTest, RingWrapsManyTimesKeepingOrder) {
  EventLog log("e1", 3);
  append_closed(log, 1000);
  const EventPage page = log.read_after(997, 100);
  EXPECT_EQ(seqs(page), (std::vector<std::uint64_t>{998, 999, 1000}));
  EXPECT_EQ(page.events[0].event.group, "g998");
  EXPECT_EQ(page.events[2].event.group, "g1000");
  EXPECT_FALSE(page.gap);
}

TEST(EventLogTest, PositionBeyondTheEndIsAGapFromARestartedLog) {
  EventLog log("e2", 8);
  append_closed(log, 2);
  const EventPage page = log.read_after(50, 100);  // the reader saw 50 events of an earlier log
  EXPECT_TRUE(page.gap);
  EXPECT_TRUE(page.events.empty());
  EXPECT_EQ(page.next, 2U);  // so that it continues with this log's next event
  EXPECT_EQ(page.epoch, "e2");
}

TEST(EventLogTest, CapacityOfOneKeepsOnlyTheLast) {
  EventLog log("e1", 1);
  append_closed(log, 3);
  EXPECT_EQ(seqs(log.read_after(2, 10)), (std::vector<std::uint64_t>{3}));
  const EventPage behind = log.read_after(1, 10);
  EXPECT_TRUE(behind.gap);
  EXPECT_EQ(seqs(behind), (std::vector<std::uint64_t>{3}));
}

}  // namespace
}  // namespace callcast::control
