#include "terminal/media/loss_detector.hpp"

#include <algorithm>

#include "rtp/rtp_packet_view.hpp"

namespace callcast::terminal {

std::vector<std::uint16_t> LossDetector::on_packet(std::uint16_t sequence, std::uint32_t rtp_time,
                                                   bool marker, bool repair,
                                                   Clock::time_point now) {
  std::vector<std::uint16_t> lost;
  if (!started_) {
    if (repair) return lost;
    started_ = true;
    frame_time_ = rtp_time;
    take_newest(sequence, marker, now);
    return lost;
  }
  if (repair) repaired(sequence, now);
  const int ahead = rtp::sequence_delta(sequence, newest_);
  if (ahead <= 0) return lost;  // late, repaired or repeated: the jitter buffer sorts it
  if (repair) {
    // The repair of a lost tail (asked for on silence): the frame may still be open after it.
    if (ahead != 1) return lost;
    take_newest(sequence, marker, now);
    return lost;
  }
  if (static_cast<std::size_t>(ahead) > kMaxGap) {
    end_frame();
  } else {
    for (int i = 1; i < ahead; ++i) {
      const auto missing = static_cast<std::uint16_t>(newest_ + i);
      if (tail_asked_ && i == 1) continue;  // asked for on silence already
      ask(missing, now);
      lost.push_back(missing);
      ++gap_requests_;
    }
    // Only two packets of one frame back to back tell how its packets are spread.
    if (ahead == 1 && rtp_time == frame_time_) {
      frame_spread_ = std::max(frame_spread_, now - newest_at_);
    }
    // A frame ends at its marker, or at the next frame's first packet when its tail was lost.
    if (frame_open_ && rtp_time != frame_time_) end_frame();
    if (marker) end_frame();
  }
  frame_time_ = rtp_time;
  take_newest(sequence, marker, now);
  return lost;
}

void LossDetector::take_newest(std::uint16_t sequence, bool marker, Clock::time_point now) {
  newest_ = sequence;
  frame_open_ = !marker;
  tail_asked_ = false;
  newest_at_ = now;
}

void LossDetector::end_frame() {
  spreads_[frames_ % spreads_.size()] = frame_spread_;
  ++frames_;
  frame_spread_ = Clock::duration::zero();
}

LossDetector::Clock::duration LossDetector::tail_wait() const {
  if (frames_ < kLearningFrames) return kMaxTailWait;
  const std::size_t known = std::min(frames_, spreads_.size());
  const Clock::duration widest = *std::max_element(spreads_.begin(), spreads_.begin() + known);
  return std::clamp<Clock::duration>(2 * widest, kMinTailWait, kMaxTailWait);
}

std::optional<LossDetector::Clock::time_point> LossDetector::tail_deadline() const {
  if (!started_ || !frame_open_ || tail_asked_) return std::nullopt;
  return newest_at_ + tail_wait();
}

std::optional<std::uint16_t> LossDetector::on_silence(Clock::time_point now) {
  const auto deadline = tail_deadline();
  if (!deadline || now < *deadline) return std::nullopt;
  tail_asked_ = true;
  const auto successor = static_cast<std::uint16_t>(newest_ + 1);
  ask(successor, now);
  ++tail_requests_;
  return successor;
}

void LossDetector::ask(std::uint16_t sequence, Clock::time_point now) {
  Asked& asked = asked_[sequence % asked_.size()];
  if (asked.times == 0 || asked.sequence != sequence) asked = {sequence, now, 0};
  asked.at = now;
  ++asked.times;
}

void LossDetector::repaired(std::uint16_t sequence, Clock::time_point now) {
  Asked& asked = asked_[sequence % asked_.size()];
  if (asked.times != 1 || asked.sequence != sequence) return;
  const Clock::duration sample = now - asked.at;
  round_trip_ = round_trip_ ? (7 * *round_trip_ + sample) / 8 : sample;
  asked.times = 0;
}

LossDetector::Clock::duration LossDetector::round_trip() const {
  return std::max(kMinRoundTrip, round_trip_.value_or(kDefaultRoundTrip));
}

}  // namespace callcast::terminal
