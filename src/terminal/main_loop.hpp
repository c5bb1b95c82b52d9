#pragma once
// The terminal's one GLib main loop (GStreamer's bus watches, timers, signals and keys run on
// it) and the way other threads hand it work. The SIP user agent runs on its own sofia thread
// and the Ut client on a worker thread; both report back through run_on_main_loop, so that all
// of a session's state is touched by the main loop's thread only.
#include <functional>
#include <memory>

namespace callcast::terminal {

// Queues `fn` on the default GLib main context; runs inline when called from its owner thread
// (the one running the loop). Never on the calling thread otherwise, even with no loop running.
void run_on_main_loop(std::function<void()> fn);

// A guard for callbacks that may arrive after their target is gone: a callback holds a
// LifeToken and runs only while the owner's LifeGuard lives (both touched on the main loop only).
class LifeGuard {
 public:
  LifeGuard() : alive_(std::make_shared<bool>(true)) {}
  ~LifeGuard() { *alive_ = false; }
  LifeGuard(const LifeGuard&) = delete;
  LifeGuard& operator=(const LifeGuard&) = delete;
  std::weak_ptr<bool> token() const { return alive_; }

 private:
  std::shared_ptr<bool> alive_;
};

// `fn` run on the main loop, only if the guard that gave `token` still lives then.
inline std::function<void()> guarded(std::weak_ptr<bool> token, std::function<void()> fn) {
  return [token = std::move(token), fn = std::move(fn)] {
    const auto alive = token.lock();
    if (alive && *alive) fn();
  };
}

}  // namespace callcast::terminal
