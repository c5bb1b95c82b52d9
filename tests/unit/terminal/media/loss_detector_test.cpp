// When the viewer asks for a lost video packet (loss_detector.hpp): a gap at once, a frame's lost
// tail after a silence twice as long as the frames' packets are spread, on given times.
#include "terminal/media/loss_detector.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace callcast::terminal {
namespace {

using std::chrono::milliseconds;
using Seqs = std::vector<std::uint16_t>;
constexpr std::uint32_t kFrameTicks = 3600;  // 40 ms at 90 kHz

// Frames of `packets` packets 1 ms apart, 40 ms apart, marker on each frame's last packet.
class Stream {
 public:
  explicit Stream(LossDetector& detector, std::uint16_t first = 1000) : d_(detector), seq_(first) {}

  // Sends one whole frame but the packets whose index is in `lost`; returns the requests made.
  Seqs frame(int packets, const std::vector<int>& lost = {}) {
    Seqs asked;
    for (int i = 0; i < packets; ++i) {
      const bool last = i == packets - 1;
      if (std::find(lost.begin(), lost.end(), i) == lost.end()) {
        const Seqs now = d_.on_packet(seq_, rtp_time_, last, false, at_);
        asked.insert(asked.end(), now.begin(), now.end());
      }
      ++seq_;
      at_ += milliseconds(1);
    }
    rtp_time_ += kFrameTicks;
    at_ += milliseconds(40 - packets);
    return asked;
  }

  LossDetector::Clock::time_point at() const { return at_; }
  std::uint16_t next_sequence() const { return seq_; }

 private:
  LossDetector& d_;
  std::uint16_t seq_;
  std::uint32_t rtp_time_ = 90'000;
  LossDetector::Clock::time_point at_{milliseconds(1'000'000)};
};

// Enough frames of 10 packets for the detector to know how its frames' packets are spread.
void learn(Stream& stream) {
  for (std::size_t i = 0; i < LossDetector::kLearningFrames; ++i)
    stream.frame(10);
}

TEST(LossDetector, AGapIsAskedForWhenThePacketAfterItArrives) {
  LossDetector detector;
  Stream stream(detector);
  stream.frame(10);
  EXPECT_EQ(stream.frame(10, {3, 4}), (Seqs{1013, 1014}));
  EXPECT_EQ(detector.gap_requests(), 2u);
}

TEST(LossDetector, ACompleteFrameLeavesNoTailToWatch) {
  LossDetector detector;
  Stream stream(detector);
  stream.frame(10);
  EXPECT_FALSE(detector.tail_deadline().has_value());
  EXPECT_FALSE(detector.on_silence(stream.at() + milliseconds(100)).has_value());
}

TEST(LossDetector, UntilTheSpreadIsKnownTheTailWaitIsTheLongest) {
  LossDetector detector;
  Stream stream(detector);
  stream.frame(10);
  EXPECT_EQ(detector.tail_wait(), LossDetector::kMaxTailWait);
}

TEST(LossDetector, TheTailWaitIsTwiceTheWidestSpreadWithinItsBounds) {
  LossDetector detector;
  Stream stream(detector);
  learn(stream);
  // Packets 1 ms apart: twice that is under the floor.
  EXPECT_EQ(detector.tail_wait(), LossDetector::kMinTailWait);

  // One frame whose packets come 5 ms apart widens it to 10 ms.
  std::uint16_t seq = stream.next_sequence();
  auto at = stream.at();
  for (int i = 0; i < 4; ++i, at += milliseconds(5))
    detector.on_packet(seq++, 1, i == 3, false, at);
  detector.on_packet(seq++, 2, true, false, at + milliseconds(40));
  EXPECT_EQ(detector.tail_wait(), milliseconds(10));
}

TEST(LossDetector, ALostTailIsAskedForOnceAfterTheSilence) {
  LossDetector detector;
  Stream stream(detector);
  learn(stream);
  const std::uint16_t tail = stream.next_sequence() + 9;
  const auto first = stream.at();
  EXPECT_TRUE(stream.frame(10, {9}).empty());
  const auto deadline = detector.tail_deadline();
  ASSERT_TRUE(deadline.has_value());
  EXPECT_EQ(*deadline, first + milliseconds(8) + LossDetector::kMinTailWait);

  EXPECT_FALSE(detector.on_silence(*deadline - milliseconds(1)).has_value());
  EXPECT_EQ(detector.on_silence(*deadline), tail);
  EXPECT_FALSE(detector.on_silence(*deadline + milliseconds(1)).has_value());
  EXPECT_EQ(detector.tail_requests(), 1u);
  // The next frame does not ask for it again.
  EXPECT_TRUE(stream.frame(10).empty());
}

TEST(LossDetector, ARepairedTailStillOpenIsWatchedAgain) {
  LossDetector detector;
  Stream stream(detector);
  learn(stream);
  const std::uint16_t first_lost = stream.next_sequence() + 8;
  stream.frame(10, {8, 9});
  const auto asked = detector.on_silence(*detector.tail_deadline());
  ASSERT_EQ(asked, first_lost);
  // Its repair arrives without the marker: the frame's last packet is missing too.
  const auto repaired_at = stream.at() - milliseconds(5);
  EXPECT_TRUE(detector.on_packet(first_lost, 90'000, false, true, repaired_at).empty());
  const auto deadline = detector.tail_deadline();
  ASSERT_TRUE(deadline.has_value());
  EXPECT_EQ(detector.on_silence(*deadline), static_cast<std::uint16_t>(first_lost + 1));
}

TEST(LossDetector, LateRepeatedAndRepairedPacketsAskForNothing) {
  LossDetector detector;
  Stream stream(detector);
  stream.frame(10, {5});
  const auto at = stream.at();
  EXPECT_TRUE(detector.on_packet(1005, 90'000, false, true, at).empty());   // its repair
  EXPECT_TRUE(detector.on_packet(1005, 90'000, false, false, at).empty());  // late original
  EXPECT_TRUE(detector.on_packet(1009, 90'000, true, false, at).empty());   // a repeat
  EXPECT_EQ(detector.gap_requests(), 1u);
}

TEST(LossDetector, AJumpTooLargeIsAnOutageNotLosses) {
  LossDetector detector;
  detector.on_packet(100, 0, true, false, {});
  const auto jump = static_cast<std::uint16_t>(100 + LossDetector::kMaxGap + 1);
  EXPECT_TRUE(detector.on_packet(jump, kFrameTicks, true, false, {}).empty());
  EXPECT_EQ(
      detector.on_packet(static_cast<std::uint16_t>(jump + 2), 2 * kFrameTicks, true, false, {}),
      (Seqs{static_cast<std::uint16_t>(jump + 1)}));
}

TEST(LossDetector, SequenceNumbersWrap) {
  LossDetector detector;
  detector.on_packet(65534, 0, false, false, {});
  EXPECT_EQ(detector.on_packet(1, 0, true, false, {}), (Seqs{65535, 0}));
}

TEST(LossDetector, TheRoundTripIsMeasuredFromARequestToItsRepair) {
  LossDetector detector;
  Stream stream(detector);
  stream.frame(10);
  stream.frame(10, {4});
  const auto asked_at = stream.at() - milliseconds(35);
  detector.on_packet(1014, 90'000 + kFrameTicks, false, true, asked_at + milliseconds(40));
  EXPECT_EQ(detector.round_trip(), milliseconds(40));
  // Retries: a round trip and a sixteenth.
  EXPECT_EQ(detector.retry_timeout(), milliseconds(42) + std::chrono::microseconds(500));
  // Before any repair, the default.
  EXPECT_EQ(LossDetector().round_trip(), LossDetector::kDefaultRoundTrip);
}

TEST(LossDetector, TheRoundTripHasAFloor) {
  LossDetector detector;
  Stream stream(detector);
  stream.frame(10);
  stream.frame(10, {4});
  detector.on_packet(1014, 90'000 + kFrameTicks, false, true, stream.at() - milliseconds(34));
  EXPECT_EQ(detector.round_trip(), LossDetector::kMinRoundTrip);
}

}  // namespace
}  // namespace callcast::terminal
