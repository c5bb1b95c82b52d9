#pragma once
// core::TimerFactory over a sofia-sip su_root's timers: the production timers of the code that
// runs on a sofia loop (the user agent's shutdown, the network side's join timeout, audience
// pacing and registrar sweep). Create, arm and destroy the timers on the root's thread, before
// the root goes.
#include "core/time_source.hpp"

struct su_root_s;

namespace callcast::sipua {

class SuTimerFactory final : public core::TimerFactory {
 public:
  explicit SuTimerFactory(su_root_s* root) : root_(root) {}
  std::unique_ptr<core::Timer> create_timer(std::function<void()> callback) override;

 private:
  su_root_s* root_;
};

}  // namespace callcast::sipua
