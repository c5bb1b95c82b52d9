#include "media/track_thinning.hpp"

#include <algorithm>

namespace callcast::media {

std::optional<std::uint16_t> TrackThinning::admit(const RelayPacket& packet, bool keyframe_start) {
  if (keyframe_start) {
    passing_ = true;
    access_unit_ = packet.timestamp;
    if (mode_ != Mode::every_frame) ++keyframes_passed_;
    // Back to every frame only where the decoder needs nothing it was not sent.
    if (mode_ == Mode::resuming) mode_ = Mode::every_frame;
  } else if (passing_ && packet.timestamp != access_unit_) {
    passing_ = false;  // the keyframe's access unit is over: its packets share one timestamp
  }
  if (mode_ != Mode::every_frame && !passing_) {
    ++shift_;
    ++skipped_;
    new_run_ = true;
    return std::nullopt;
  }
  const auto sequence = static_cast<std::uint16_t>(packet.sequence - shift_);
  sent(sequence);
  return sequence;
}

void TrackThinning::sent(std::uint16_t viewer_sequence) {
  if (new_run_) {
    newest_run_ = runs_used_ == 0 ? 0 : (newest_run_ + 1) % kRuns;
    runs_[newest_run_] = {viewer_sequence, shift_};
    ++runs_used_;
    new_run_ = false;
  }
  last_sent_ = viewer_sequence;
}

std::optional<std::uint16_t> TrackThinning::original(std::uint16_t viewer_sequence) const {
  if (!last_sent_) return std::nullopt;
  // Distances back from the newest packet sent (serial arithmetic: the numbering wraps).
  const auto back = static_cast<std::uint16_t>(*last_sent_ - viewer_sequence);
  if (back >= 0x8000) return std::nullopt;  // never sent: ahead of what it was sent
  const std::size_t kept = std::min(runs_used_, kRuns);
  for (std::size_t i = 0; i < kept; ++i) {
    const Run& run = runs_[(newest_run_ + kRuns - i) % kRuns];
    if (static_cast<std::uint16_t>(*last_sent_ - run.first) >= back) {
      return static_cast<std::uint16_t>(viewer_sequence + run.shift);
    }
  }
  // Before every run kept: unshifted if the first run ever is still kept (the packets before it
  // went under the relay's numbering), else too old to tell.
  if (runs_used_ <= kRuns) return viewer_sequence;
  return std::nullopt;
}

}  // namespace callcast::media
