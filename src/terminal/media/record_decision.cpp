#include "terminal/media/record_decision.hpp"

#include <utility>

namespace callcast::terminal {

RecordDecision::RecordDecision(core::TimerFactory& timers, std::chrono::milliseconds limit,
                               std::function<void()> decide)
    : limit_(limit),
      decide_(std::move(decide)),
      timer_(timers.create_timer([this] { this->decide(); })) {}

void RecordDecision::update(const Holding& holding) {
  if (decided_) return;
  if (holding.all_exposed && holding.streams >= holding.announced &&
      holding.with_caps == holding.streams) {
    return decide();
  }
  if (holding.streams > 0 && !timer_->enabled()) timer_->enable(limit_);
}

void RecordDecision::force() {
  if (!decided_) decide();
}

void RecordDecision::decide() {
  decided_ = true;
  timer_->disable();
  decide_();
}

}  // namespace callcast::terminal
