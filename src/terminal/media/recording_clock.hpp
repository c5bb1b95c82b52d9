#pragma once
// The PTS each buffer of one recorded stream goes into the muxer with (step 714). Under load the
// viewer's jitter buffer hands on a stretch of the GOP replayed at a join without timestamps
// (its arrival clock was being reset), and the depayloader's pictures then have no PTS: seen as
// 11 pictures in a row, an IDR among them. matroskamux drops such buffers ("Invalid buffer
// timestamp") and mp4mux stops the stream on one, so the recording lost the pictures and every
// later picture of that GOP. Such a buffer is given the time of the one before it plus its own
// duration (a picture's or an audio frame's; 1 ms when it has none). The stamped run may end
// ahead of the first stamped buffer after it: that one and those after it are placed 1 ms after
// the last written until their own time passes it, so the file's time never goes back. Buffers
// that come with their stamps otherwise pass untouched (B-frames may go back in PTS).
// Pure: one per stream, on that stream's streaming thread.
#include <cstdint>
#include <optional>

namespace callcast::terminal {

class RecordingClock {
 public:
  static constexpr std::uint64_t kStepNs = 1'000'000;  // Matroska's default 1 ms resolution

  // `pts`/`duration` in nanoseconds, nullopt when the buffer has none. nullopt back: nothing to
  // stamp it from yet (no earlier buffer had a time); the caller leaves it out.
  std::optional<std::uint64_t> stamp(std::optional<std::uint64_t> pts,
                                     std::optional<std::uint64_t> duration);

  std::uint64_t stamped() const { return stamped_; }  // buffers that came without a PTS
  std::uint64_t moved() const { return moved_; }      // stamped buffers moved after a run

 private:
  std::optional<std::uint64_t> last_;
  bool catching_up_ = false;
  std::uint64_t stamped_ = 0;
  std::uint64_t moved_ = 0;
};

}  // namespace callcast::terminal
