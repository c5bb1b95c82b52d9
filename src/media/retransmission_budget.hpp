#pragma once
// How much one viewer may be resent (module 608's QoS): a token bucket of bytes that fills at a
// share of the track's bitrate. A viewer on a path that loses more than that share cannot be
// repaired anyway; capping it keeps one bad path (or a player NACKing everything) from doubling
// the server's output and from crowding its own live packets out of its link.
#include <algorithm>
#include <cstddef>

#include "media/relay_packet.hpp"

namespace callcast::media {

class RetransmissionBudget {
 public:
  // Takes `bytes` if the bucket, refilled at `rate` bytes per second since the last call and
  // holding at most `depth` bytes (plus what grant() added and is not used yet), has them.
  // Starts full: the first loss is repaired at once.
  bool take(std::size_t bytes, double rate, double depth, Clock::time_point now) {
    if (!started_) {
      tokens_ += depth;
      started_ = true;
    } else if (now > refilled_) {
      const double refilled =
          tokens_ + rate * std::chrono::duration<double>(now - refilled_).count();
      tokens_ = std::max(tokens_, std::min(depth, refilled));
    }
    refilled_ = now;
    const auto needed = static_cast<double>(bytes);
    if (tokens_ < needed) return false;
    tokens_ -= needed;
    return true;
  }

  // Room for `bytes` more, beyond the depth, until used: the viewer was sent that many extra
  // bytes at once (the GOP cache at its PLAY) and may lose the same share of them.
  void grant(double bytes) { tokens_ += bytes; }

 private:
  double tokens_ = 0;
  Clock::time_point refilled_{};
  bool started_ = false;
};

}  // namespace callcast::media
