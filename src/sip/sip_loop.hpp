#pragma once
// The SIP stack's event loop (a sofia-sip su_root) on a thread of its own. Other threads hand it
// work with post(): a queue and an eventfd that wakes the loop, so the media side never waits on
// the SIP side and no lock is shared with the packet path. Timers: SuTimerFactory.
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

struct su_root_s;

namespace callcast::sip {

class SipLoop {
 public:
  using Task = std::function<void()>;

  SipLoop();
  ~SipLoop();  // stop() if still running
  SipLoop(const SipLoop&) = delete;
  SipLoop& operator=(const SipLoop&) = delete;

  // Starts the thread and runs `init` on it once the root exists; false (with the reason in
  // `error`) when the root or the wakeup could not be created, or `init` returned false.
  // `cleanup` runs on the loop thread after it quit, before the root is destroyed (the stack's
  // own destroy call belongs there).
  bool start(const std::function<bool(su_root_s* root, std::string& error)>& init,
             std::string& error, Task cleanup = {});
  // Runs `shutdown` on the loop; it must eventually call quit() from the loop thread (after the
  // stack shut down). Joins the thread; a loop that has not quit after `timeout_ms` is broken
  // out of anyway, so stopping never hangs.
  void stop(const Task& shutdown, int timeout_ms = 3000);
  void quit();  // loop thread only

  // Thread-safe; tasks run in order on the loop thread. Dropped once the loop has stopped.
  void post(Task task);
  bool on_loop_thread() const { return std::this_thread::get_id() == thread_.get_id(); }

  su_root_s* root() const { return root_; }

  // The C callbacks' way in; not for other callers.
  static int on_wakeup(void* self);

 private:
  void drain();

  std::thread thread_;
  Task cleanup_;
  su_root_s* root_ = nullptr;
  int wake_fd_ = -1;
  std::mutex mutex_;
  std::deque<Task> queue_;
  bool accepting_ = false;
};

}  // namespace callcast::sip
