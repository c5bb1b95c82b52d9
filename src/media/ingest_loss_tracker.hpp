#pragma once
// The server as a receiver (issue 13 item 6, step 709): a publisher that sends over UDP (RTSP
// RECORD with UDP ports, a SIP phone's plain RTP) loses packets on its way to us, and every
// viewer then sees the damage. One IngestLossTracker per publisher track is told each RTP
// sequence number that arrives and answers which ones to ask for again (RFC 4585 generic NACK),
// like a player's jitter buffer does for itself: the relay is the publisher's only receiver.
//
// A hole (a sequence number skipped) is asked for once a short reorder allowance has passed
// (a few later packets or a few ms: UDP reorders a little, and a NACK for a packet on its way
// costs the publisher a useless resend), then again at most `max_retries` times, one retry
// interval (max(1.5 x round trip, min_retry_interval)) apart. A hole still open one interval
// after its last NACK, older than `give_up_after`, or pushed out by newer holes past
// `max_holes`, is given up: counted lost, and for video a keyframe is the only repair left.
// A jump of more than `max_jump` sequence numbers is a sender that restarted (or a new one on
// the same track): the tracker starts over at it instead of asking for hundreds of packets.
//
// Pure logic, as KeyframeRequestGate: the caller passes the time, so tests drive it without
// sleeping. Memory is bounded by `max_holes`.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "media/relay_packet.hpp"

namespace callcast::media {

struct IngestLossSettings {
  // A hole is first NACKed once this many packets arrived after it was seen, or after
  // `reorder_wait`, whichever comes first.
  std::size_t reorder_packets = 2;
  Clock::duration reorder_wait = std::chrono::milliseconds(10);
  int max_retries = 3;  // NACKs after the first
  Clock::duration min_retry_interval = std::chrono::milliseconds(20);
  // Past a live player's jitter buffer and then some: a packet this late repairs nothing.
  Clock::duration give_up_after = std::chrono::seconds(1);
  Clock::duration initial_round_trip = std::chrono::milliseconds(50);
  std::size_t max_holes = 512;
  std::uint32_t max_jump = 500;  // sequence numbers, either way
};

// Counters that only grow (also summed over a group's publishers and over groups gone).
struct IngestLossCounters {
  std::uint64_t nacks_sent = 0;  // sequence numbers asked for, each retry counted again
  std::uint64_t holes = 0;       // sequence numbers found missing
  std::uint64_t reordered = 0;   // holes filled before any NACK: late, not lost
  std::uint64_t recovered = 0;   // holes filled after a NACK
  std::uint64_t given_up = 0;    // holes never filled: lost for good
  std::uint64_t resyncs = 0;     // jumps past max_jump (sender restarts)

  void add(const IngestLossCounters& other);
  bool operator==(const IngestLossCounters&) const = default;
};

// What due() found: the sequence numbers to NACK now (oldest first), and whether a hole was
// given up since the last call (video: ask the publisher for a keyframe).
struct IngestLossDue {
  std::vector<std::uint16_t> nacks;
  bool keyframe_needed = false;
};

class IngestLossTracker {
 public:
  explicit IngestLossTracker(IngestLossSettings settings = {});

  // One RTP packet arrived with `sequence` (any order, duplicates and resends included).
  void on_packet(std::uint16_t sequence, Clock::time_point now);
  // What to NACK now. Each hole returned counts as NACKed at `now`: send them, or lose them.
  IngestLossDue due(Clock::time_point now);

  // From outside (e.g. the publisher's RTCP); otherwise estimated from NACK -> resend times.
  void set_round_trip(Clock::duration round_trip) { round_trip_ = round_trip; }
  Clock::duration round_trip() const { return round_trip_; }
  Clock::duration retry_interval() const;
  // Forgets the stream (a new publisher): holes are dropped without being counted lost.
  void reset();

  std::size_t open_holes() const { return holes_.size(); }
  const IngestLossCounters& counters() const { return counters_; }

 private:
  struct Hole {
    std::int64_t sequence = 0;  // extended: no wrap
    Clock::time_point seen{};
    std::uint64_t arrivals_before = 0;  // packets that had arrived when it was seen
    Clock::time_point last_nack{};
    int nacks = 0;
  };

  std::int64_t extend(std::uint16_t sequence) const;
  void start_at(std::int64_t sequence);
  void give_up_front();

  IngestLossSettings settings_;
  Clock::duration round_trip_;
  bool started_ = false;
  std::int64_t highest_ = 0;  // extended
  std::uint64_t arrivals_ = 0;
  std::deque<Hole> holes_;  // ascending sequence
  bool gave_up_ = false;    // since the last due()
  IngestLossCounters counters_;
};

}  // namespace callcast::media
