#pragma once
// One viewer's video thinned to keyframes (issue 12 item 4, module 608): a viewer whose path
// cannot carry the group's rate, while most of the group's can, gets only the access units that
// start a GOP (each decodes alone) until its reports recover, instead of dragging the publisher's
// rate down for everyone.
//
// The skipped packets must not read as loss: a player would NACK them, report them lost and
// stall its jitter buffer waiting for them. So the thinned track is numbered anew for this viewer
// (each skipped packet shifts its numbering by one), which makes its packets per-viewer copies
// sent by the media loop, never the fan-out's shared buffers. The shift stays after the viewer
// is back to every frame: its numbering must go on without a jump. A NACK names packets by the
// viewer's numbering; original() maps it back to the relay's, for the retransmission ring.
// Pure logic, on the media loop.
#include <array>
#include <cstdint>
#include <optional>

#include "media/relay_packet.hpp"

namespace callcast::media {

class TrackThinning {
 public:
  enum class Mode {
    every_frame,     // all packets (renumbered if it was ever thinned)
    keyframes_only,  // thinned
    resuming,        // thinning ended: keyframes only until the next one, then every frame
  };

  Mode mode() const { return mode_; }
  bool thinned() const { return mode_ != Mode::every_frame; }
  // Whether this viewer's packets of the track need its own numbering (a copy each).
  bool renumbering() const { return thinned() || shift_ != 0; }

  void thin() { mode_ = Mode::keyframes_only; }
  void unthin() {
    if (mode_ == Mode::keyframes_only) mode_ = Mode::resuming;
  }
  // A new PLAY: its numbering restarts from the RTP-Info it is given.
  void reset() { *this = TrackThinning(); }

  // One packet of the track, in relay order (`keyframe_start`: the packet where a GOP's first
  // access unit became known). The sequence number to send it with, or nothing: skipped.
  std::optional<std::uint16_t> admit(const RelayPacket& packet, bool keyframe_start);
  // The relay's sequence number of the packet this viewer knows as `viewer_sequence`; nothing
  // when it was never sent to it under that number (or too long ago to tell).
  std::optional<std::uint16_t> original(std::uint16_t viewer_sequence) const;

  std::uint64_t packets_skipped() const { return skipped_; }
  std::uint64_t keyframes_passed() const { return keyframes_passed_; }

 private:
  // A run of packets sent under one shift: viewer numbers from `first` on are relay numbers
  // minus `shift`. A NACK arrives within the retransmission window (500 ms by default), and while
  // thinned a run is one keyframe (one per GOP, seconds apart): a few runs suffice.
  struct Run {
    std::uint16_t first = 0;
    std::uint16_t shift = 0;
  };
  static constexpr std::size_t kRuns = 8;

  void sent(std::uint16_t viewer_sequence);

  Mode mode_ = Mode::every_frame;
  std::uint16_t shift_ = 0;
  bool passing_ = false;  // inside a keyframe's access unit
  std::uint32_t access_unit_ = 0;
  std::array<Run, kRuns> runs_{};
  std::size_t runs_used_ = 0;
  std::size_t newest_run_ = 0;
  bool new_run_ = true;  // the next packet sent starts a run (the shift changed)
  std::optional<std::uint16_t> last_sent_;
  std::uint64_t skipped_ = 0;
  std::uint64_t keyframes_passed_ = 0;
};

}  // namespace callcast::media
