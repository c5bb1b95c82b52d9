#pragma once
// The media side's recent group events (706 master_joined, 709 master_lost, 714 viewer_joined and
// viewer_left, group_closed), numbered in the order they happened and kept in a bounded ring. The
// network side, when it runs in another process, reads them by long-poll (GET /v1/events) and
// learns from the numbers whether it missed some. Pure bookkeeping: no I/O, no clock, no threads.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/group_registry.hpp"

namespace callcast::control {

struct LoggedEvent {
  std::uint64_t seq = 0;  // 1 for the first event of a log, then +1 for each
  std::int64_t unix_ms = 0;
  core::GroupEvent event;
};

// The answer to "what happened after event `after`".
struct EventPage {
  std::vector<LoggedEvent> events;  // oldest first
  std::uint64_t next = 0;           // what to ask for next time: the last seq seen
  // Some events after `after` are gone from the ring (or `after` is beyond the log's end, as when
  // the log restarted): the reader missed something and must rebuild its state another way.
  bool gap = false;
  std::string epoch;  // names the log; a new one means the media side restarted
};

class EventLog {
 public:
  static constexpr std::size_t kDefaultCapacity = 4096;

  // Precondition: capacity > 0.
  explicit EventLog(std::string epoch, std::size_t capacity = kDefaultCapacity);

  // Numbers and keeps the event, overwriting the oldest one when the ring is full.
  const LoggedEvent& append(core::GroupEvent event, std::int64_t unix_ms);

  // At most `max_events` (> 0) events with seq > after, oldest first.
  EventPage read_after(std::uint64_t after, std::size_t max_events) const;

  std::uint64_t last_seq() const { return last_seq_; }  // 0 before the first event
  // The oldest seq still held; last_seq() + 1 when the log is empty.
  std::uint64_t first_seq() const { return last_seq_ - events_.size() + 1; }
  std::size_t size() const { return events_.size(); }
  std::size_t capacity() const { return capacity_; }
  const std::string& epoch() const { return epoch_; }

 private:
  const LoggedEvent& at(std::uint64_t seq) const { return events_[(seq - 1) % capacity_]; }

  std::string epoch_;
  std::size_t capacity_;
  std::vector<LoggedEvent> events_;  // grows up to capacity_, then event seq lives at (seq-1)%cap
  std::uint64_t last_seq_ = 0;
};

}  // namespace callcast::control
