#pragma once
// The pauses in a viewer's decoded picture: the longest gap between two frames and every gap
// over kFreezeThreshold (what a viewer sees of a broadcaster whose path dropped or stalled).
// Times are given, so the detection is tested without a decoder.
//
// Threading: frame() is called by the decoder's streaming thread; the readers from any thread.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

namespace callcast::terminal {

// A pause in the decoded picture longer than kFreezeThreshold. Wall-clock times, so that a test
// or a benchmark can line them up with what it did to the path.
// 250 ms: six frames at 25 fps, well above a jitter buffer's normal unevenness.
inline constexpr std::chrono::milliseconds kFreezeThreshold{250};
struct Freeze {
  std::int64_t began_unix_ms = 0;  // the last frame before the pause
  std::int64_t ms = 0;             // until the next decoded frame
};

class FreezeDetector {
 public:
  static constexpr std::size_t kMaxFreezes = 1'000;

  // One decoded frame at `unix_ns` (wall clock, ns since the epoch).
  void frame(std::int64_t unix_ns);

  // The longest gap between two decoded frames so far.
  std::chrono::milliseconds max_gap() const;
  // The first kMaxFreezes pauses.
  std::vector<Freeze> freezes() const;

 private:
  std::atomic<std::int64_t> last_frame_unix_ns_{0};
  // Written by the one streaming thread only; atomic for the readers.
  std::atomic<std::int64_t> max_gap_ns_{0};
  mutable std::mutex mutex_;
  std::vector<Freeze> freezes_;  // guarded by mutex_
};

}  // namespace callcast::terminal
