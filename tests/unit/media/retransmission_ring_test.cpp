#include "media/retransmission_ring.hpp"

#include <gtest/gtest.h>

#include <memory>

namespace callcast::media::retransmission_ring_test {
namespace {

using namespace std::chrono_literals;

SharedPacket packet(std::uint16_t sequence) {
  auto p = std::make_shared<RelayPacket>();
  p->sequence = sequence;
  p->bytes.assign(100, 0);
  return p;
}

class RetransmissionRingTest : public ::testing::Test {
 protected:
  // One packet every 5 ms (a 2 Mbit/s stream of 1250-byte packets).
  void relay(std::uint16_t first, int count) {
    for (int i = 0; i < count; ++i) {
      now_ += 5ms;
      ring_.push(packet(static_cast<std::uint16_t>(first + i)), now_);
    }
  }
  RingLookup find(std::uint16_t sequence) {
    SharedPacket found;
    const RingLookup result = ring_.find(sequence, now_, found);
    if (result == RingLookup::found) {
      EXPECT_TRUE(found);
      if (found) {
        EXPECT_EQ(found->sequence, sequence);
      }
    }
    return result;
  }

  RetransmissionRing ring_{500ms, 8192};
  Clock::time_point now_ = Clock::time_point{} + 100s;
};

TEST_F(RetransmissionRingTest, FindsEveryPacketOfTheWindowAndTheSameSharedBuffer) {
  const SharedPacket first = packet(10);
  ring_.push(first, now_);
  relay(11, 50);
  SharedPacket found;
  ASSERT_EQ(ring_.find(10, now_, found), RingLookup::found);
  EXPECT_EQ(found.get(), first.get());  // no copy: the fan-out's buffer itself
  for (std::uint16_t seq = 11; seq <= 60; ++seq)
    EXPECT_EQ(find(seq), RingLookup::found) << seq;
}

TEST_F(RetransmissionRingTest, PacketOlderThanTheWindowIsExpired) {
  relay(1000, 1);
  now_ += 500ms;
  EXPECT_EQ(find(1000), RingLookup::found);  // exactly the window: still in
  now_ += 1ms;
  EXPECT_EQ(find(1000), RingLookup::expired);
}

TEST_F(RetransmissionRingTest, NeverRelayedOrFutureSequenceIsNotFound) {
  relay(1000, 10);
  EXPECT_EQ(find(999), RingLookup::not_found);
  EXPECT_EQ(find(1010), RingLookup::not_found);
  EXPECT_EQ(find(40000), RingLookup::not_found);
}

TEST_F(RetransmissionRingTest, SequenceWrapAroundKeepsBothSides) {
  relay(65530, 12);  // 65530 .. 65535, 0 .. 5
  for (const std::uint16_t seq :
       {std::uint16_t{65530}, std::uint16_t{65535}, std::uint16_t{0}, std::uint16_t{5}})
    EXPECT_EQ(find(seq), RingLookup::found) << seq;
  EXPECT_EQ(find(6), RingLookup::not_found);
}

TEST_F(RetransmissionRingTest, GrowsToHoldTheWholeWindowThenStops) {
  // 500 ms at one packet per 5 ms: 100 packets, more than the first 64 slots.
  relay(0, 300);
  EXPECT_EQ(ring_.capacity(), 128U);
  for (std::uint16_t seq = 200; seq < 300; ++seq)
    EXPECT_EQ(find(seq), RingLookup::found) << seq;
  // What the ring went round over is gone (or out of the window): a miss either way.
  EXPECT_NE(find(100), RingLookup::found);
  relay(300, 1000);
  EXPECT_EQ(ring_.capacity(), 128U);  // steady state: no growth, no allocation
}

TEST(RetransmissionRing, AtMaxPacketsOverwritesTheOldestInsteadOfGrowing) {
  RetransmissionRing ring(10s, 64);
  Clock::time_point now{};
  for (std::uint16_t seq = 0; seq < 100; ++seq)
    ring.push(packet(seq), now);
  EXPECT_EQ(ring.capacity(), 64U);
  SharedPacket found;
  EXPECT_EQ(ring.find(35, now, found), RingLookup::not_found);  // overwritten by 99
  EXPECT_EQ(ring.find(36, now, found), RingLookup::found);
}

TEST(RetransmissionRing, ZeroWindowKeepsNothing) {
  RetransmissionRing ring(Clock::duration::zero(), 8192);
  Clock::time_point now{};
  ring.push(packet(1), now);
  SharedPacket found;
  EXPECT_EQ(ring.find(1, now, found), RingLookup::not_found);
  EXPECT_EQ(ring.capacity(), 0U);
}

TEST_F(RetransmissionRingTest, ClearForgetsEveryPacket) {
  relay(7, 5);
  ring_.clear();
  EXPECT_EQ(find(8), RingLookup::not_found);
}

}  // namespace
}  // namespace callcast::media::retransmission_ring_test
