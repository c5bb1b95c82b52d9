#pragma once
// When the viewer knows a video packet is lost, so that its first NACK (step 714) leaves then and
// the repair costs one round trip, not more. rtpjitterbuffer asks for a missing packet only
// rtx-delay after the time its frame was due (at least half a frame interval: up to 20 ms at
// 25 fps), and learns that a frame's LAST packet is missing only when the next frame arrives,
// 40 ms later: at 5 % loss on a 50 ms round trip those waits held `callcast watch`'s frames
// (p90 glass-to-glass) 90 ms over a lossless path, where one round trip is the least a repair
// takes.
//
// This detector asks for a gap as soon as the packet after it arrives, and for a frame's lost
// tail once the stream has been silent longer than that frame's packets are spread: a video
// packet without the RTP marker bit (RFC 6184 §5.1: set on an access unit's last packet) is not
// its frame's last, so silence after it means its successor was lost. The spread is learnt from
// the stream (the largest gap between two packets of one frame over the last frames, twice), so
// that a sender or path that spaces its packets out does not make the detector ask for packets
// still on their way. The jitter buffer keeps its own timers: it retries, and gives up at its
// latency, its retries timed from this detector's round trip (retry_timeout()). Its own first
// requests follow, a frame interval at most after this detector's: the server does not resend
// a packet asked again within half the round trip (media/resend_history.hpp). Dropping them
// here saved some resends but cost the jitter buffer an attempt within its latency, and a
// packet lost twice stayed lost.
//
// Pure: time is given. Not thread-safe: the caller serialises.
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace callcast::terminal {

class LossDetector {
 public:
  using Clock = std::chrono::steady_clock;

  // Bounds of the tail wait: the floor keeps a burst's scheduling noise from looking like a
  // loss; above the ceiling the next frame (40 ms at 25 fps) reveals the loss about as soon.
  static constexpr Clock::duration kMinTailWait = std::chrono::milliseconds(8);
  static constexpr Clock::duration kMaxTailWait = std::chrono::milliseconds(25);
  // Frames whose spread is remembered (about 2.5 s at 25 fps: a keyframe's burst among them).
  static constexpr std::size_t kSpreadFrames = 64;
  // Frames seen before the learnt spread is trusted; until then the wait is kMaxTailWait.
  static constexpr std::size_t kLearningFrames = 8;
  // A larger jump is an outage or a new sender, not losses to ask for.
  static constexpr std::size_t kMaxGap = 64;
  // Before a repair measured the round trip (request to repair), this is assumed; it is never
  // taken below the floor (a LAN's scheduling noise).
  static constexpr Clock::duration kDefaultRoundTrip = std::chrono::milliseconds(50);
  static constexpr Clock::duration kMinRoundTrip = std::chrono::milliseconds(8);

  // A packet entering the jitter buffer; `repair` when it is a retransmission. Returns the
  // sequence numbers to ask for now: those of a gap it reveals.
  std::vector<std::uint16_t> on_packet(std::uint16_t sequence, std::uint32_t rtp_time, bool marker,
                                       bool repair, Clock::time_point now);

  // While the newest packet leaves its frame open and its successor was not asked for yet: when
  // the successor counts as lost.
  std::optional<Clock::time_point> tail_deadline() const;

  // At or after tail_deadline(): the packet to ask for (the newest one's successor), once.
  std::optional<std::uint16_t> on_silence(Clock::time_point now);

  // The smoothed round trip from a request to its repair (only of packets asked for once, so
  // that the repair answers that request).
  Clock::duration round_trip() const;
  // When a request without its repair is to be repeated: a round trip and a sixteenth (its
  // jitter). The jitter buffer's retries are set to it; it tries from its first request until a
  // round trip before its latency, three times on a 50 ms round trip with 200 ms of latency. A
  // longer timeout left fewer attempts, and a packet whose repairs were all lost stayed lost: a
  // damaged picture until the next keyframe.
  Clock::duration retry_timeout() const { return round_trip() + round_trip() / 16; }
  // How long a silence after an open frame's packet means its successor was lost.
  Clock::duration tail_wait() const;

  std::uint64_t gap_requests() const { return gap_requests_; }
  std::uint64_t tail_requests() const { return tail_requests_; }

 private:
  struct Asked {
    std::uint16_t sequence = 0;
    Clock::time_point at{};  // the last request
    unsigned times = 0;      // 0: slot unused
  };

  void ask(std::uint16_t sequence, Clock::time_point now);
  void repaired(std::uint16_t sequence, Clock::time_point now);
  // `sequence` is now the newest packet seen (its frame still open unless `marker`).
  void take_newest(std::uint16_t sequence, bool marker, Clock::time_point now);
  void end_frame();

  bool started_ = false;
  std::uint16_t newest_ = 0;  // highest sequence number received, in order
  std::uint32_t frame_time_ = 0;
  bool frame_open_ = false;  // the newest packet has no marker bit
  bool tail_asked_ = false;  // its successor was asked for
  Clock::time_point newest_at_{};
  Clock::duration frame_spread_{};  // largest gap between two packets of the current frame
  std::array<Clock::duration, kSpreadFrames> spreads_{};
  std::size_t frames_ = 0;
  std::array<Asked, 128> asked_{};
  std::optional<Clock::duration> round_trip_;
  std::uint64_t gap_requests_ = 0;
  std::uint64_t tail_requests_ = 0;
};

}  // namespace callcast::terminal
