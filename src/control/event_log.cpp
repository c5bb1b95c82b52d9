#include "control/event_log.hpp"

#include <algorithm>
#include <cassert>
#include <utility>

namespace callcast::control {

EventLog::EventLog(std::string epoch, std::size_t capacity)
    : epoch_(std::move(epoch)), capacity_(capacity) {
  assert(capacity_ > 0);
  if (capacity_ == 0) capacity_ = 1;
}

const LoggedEvent& EventLog::append(core::GroupEvent event, std::int64_t unix_ms) {
  LoggedEvent logged{++last_seq_, unix_ms, std::move(event)};
  if (events_.size() < capacity_) {
    events_.push_back(std::move(logged));
    return events_.back();
  }
  LoggedEvent& slot = events_[(logged.seq - 1) % capacity_];
  slot = std::move(logged);
  return slot;
}

EventPage EventLog::read_after(std::uint64_t after, std::size_t max_events) const {
  assert(max_events > 0);
  EventPage page;
  page.epoch = epoch_;
  if (after > last_seq_) {
    // The reader has seen events this log never had: it talked to an earlier log.
    page.gap = true;
    page.next = last_seq_;
    return page;
  }
  std::uint64_t from = after + 1;
  if (from < first_seq()) {
    page.gap = true;
    from = first_seq();
  }
  const std::uint64_t available = last_seq_ + 1 - from;
  const std::uint64_t count = std::min<std::uint64_t>(available, max_events);
  page.events.reserve(count);
  for (std::uint64_t seq = from; seq < from + count; ++seq)
    page.events.push_back(at(seq));
  page.next = page.events.empty() ? (page.gap ? last_seq_ : after) : page.events.back().seq;
  return page;
}

}  // namespace callcast::control
