#pragma once
// One viewer's account of what it received, kept by the receive thread that owns its sockets
// (no locks, no allocation per packet). Packets are matched to the publisher's indices through
// the PublishLedger; inside the measurement window [first_index, ...] a bitset records which
// indices arrived, so loss is counted against what was published, and duplicates and
// reorderings (an index lower than one already received on the same track) are counted too.
// Real time comes from the video RTP timestamps: media seconds advanced between the window's
// start and end.
#include <atomic>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "loadgen/media_packetizer.hpp"
#include "loadgen/publish_ledger.hpp"

namespace callcast::loadgen {

// The measurement window, set by the run while the receivers work.
struct MeasureWindow {
  static constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();
  std::atomic<std::int64_t> start_ns{kNever};
  std::atomic<std::int64_t> end_ns{kNever};
  std::atomic<std::int64_t> first_index{kNever};  // the first index published in the window
  std::size_t capacity = 0;                       // indices the bitsets can hold from first_index
};

// Latency samples in 10 µs buckets up to 2 s (beyond: the last bucket), and the exact maximum.
class LatencyHistogram {
 public:
  LatencyHistogram() : buckets_(kBuckets, 0) {}
  void add(std::int64_t latency_ns);
  void merge(const LatencyHistogram& other);
  std::uint64_t count() const { return count_; }
  // Nearest rank, in ms (bucket upper edge); 0 without samples.
  double percentile_ms(double p) const;
  double max_ms() const { return static_cast<double>(max_ns_) / 1e6; }

 private:
  static constexpr std::size_t kBuckets = 200'001;
  static constexpr std::int64_t kBucketNs = 10'000;
  std::vector<std::uint32_t> buckets_;
  std::uint64_t count_ = 0;
  std::int64_t max_ns_ = 0;
};

// Packets and bytes that arrived inside the window, per receive thread.
struct WindowTraffic {
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
  LatencyHistogram latency;
};

struct ViewerFigures {
  std::uint64_t expected = 0;  // indices published in the window
  std::uint64_t received = 0;  // of those, received at least once
  std::uint64_t lost = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t reordered = 0;
  std::uint64_t unmatched = 0;  // packets that match nothing published (e.g. inserted by a relay)
  std::uint64_t packets = 0;    // every packet received, whole run
  double realtime = 0;          // media seconds per wall second over the window
  double loss_pct() const {
    return expected == 0 ? 0 : 100.0 * static_cast<double>(lost) / static_cast<double>(expected);
  }
};

class ViewerTally {
 public:
  ViewerTally() = default;
  // Sized before the viewer starts; `capacity` indices from the window's first.
  void reserve_window(std::size_t capacity) { window_bits_.assign((capacity + 63) / 64, 0); }

  // One received RTP packet at `now_ns`. `kind` says the track.
  void on_packet(MediaKind kind, std::span<const std::uint8_t> rtp, std::int64_t now_ns,
                 const MeasureWindow& window, const PublishLedger& ledger, WindowTraffic& traffic);

  // After the window and the stragglers' grace: indices [first, last] were published in it.
  // With `video_only`, only the clip's video indices are expected (a WebRTC viewer's audio is
  // the server's Opus, which the ledger cannot match: its client counts it by sequence numbers).
  ViewerFigures figures(std::int64_t first, std::int64_t last, double window_s,
                        const PacketizedClip* video_only = nullptr) const;
  // Read by other threads (the JOIN ramp waits for it): atomic.
  std::int64_t first_packet_ns() const { return first_packet_ns_.load(std::memory_order_relaxed); }

 private:
  std::vector<std::uint64_t> window_bits_;
  std::int64_t last_index_[2] = {-1, -1};
  std::uint64_t duplicates_ = 0;
  std::uint64_t reordered_ = 0;
  std::uint64_t unmatched_ = 0;
  std::uint64_t packets_ = 0;
  std::atomic<std::int64_t> first_packet_ns_{0};
  bool have_video_ts_ = false;
  std::uint32_t last_video_ts_ = 0;
  std::int64_t video_ts_ = 0;  // unwrapped
  bool have_ts_at_start_ = false;
  std::int64_t ts_at_start_ = 0;  // unwrapped timestamp of the last video packet before the window
  bool have_ts_at_end_ = false;
  std::int64_t ts_at_end_ = 0;  // ... before the window's end
  std::int64_t first_ts_in_window_ = 0;
  bool have_first_ts_in_window_ = false;
};

}  // namespace callcast::loadgen
