#pragma once
// Reading the media side's event log from outside its event loop: what the admin API serves as
// the long-poll GET /v1/events, so that a network side in another process gets 706 master_joined
// and the others with low latency and knows when it missed some.
#include <chrono>
#include <cstdint>
#include <optional>

#include "control/event_log.hpp"
#include "control/media_control.hpp"

namespace callcast::control {

class EventSource {
 public:
  virtual ~EventSource() = default;

  // The events with seq > after (nullopt: after the current last one, i.e. only what happens
  // from now on). When there is none, waits up to `wait` for one and then completes, with an
  // empty page if none came. A page with gap=true completes at once. `done` runs on the source's
  // event loop; it fails with limit_reached when too many readers are waiting already.
  virtual void poll_events(std::optional<std::uint64_t> after, std::chrono::milliseconds wait,
                           Done<EventPage> done) = 0;
};

}  // namespace callcast::control
