#pragma once
// What the broadcast and watch sessions share: the phone, the status output, timers on the main
// loop, blocking work moved to worker threads, and one way to end with an exit code and a line.
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "terminal/main_loop.hpp"
#include "terminal/phone.hpp"
#include "terminal/status_line.hpp"

namespace callcast::terminal {

class Session {
 public:
  using Done = std::function<void(int exit_code)>;
  // The bound on a clean ending: a server or pipeline that does not answer must not hang the exit.
  static constexpr std::chrono::milliseconds kEndingBound{6'000};

  Session(PhoneOptions phone, StatusLine& status,
          std::chrono::milliseconds ending_bound = kEndingBound);
  virtual ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Starts the session; `done` runs once on the main loop when it is over.
  void start(Done done);
  // Ctrl-C, SIGTERM or --duration: end cleanly. A second call while ending ends at once.
  void stop(const std::string& why);
  virtual void on_key(char key) { (void)key; }
  virtual void on_user_signal() {}

 protected:
  // After the phone has registered: place the call.
  virtual void begin() = 0;
  // Wind down cleanly (flush media, hang up...) and call finish() when done.
  virtual void end_cleanly(const std::string& why) = 0;
  // Refreshes the status line (every second).
  virtual void refresh_status() = 0;
  // Once, in finish(), before the line and done(): on every ending, the bound's included, so
  // that what a session leaves behind (the --stats-json file) does not depend on how it ended.
  virtual void on_finish(int exit_code, const std::string& line) {
    (void)exit_code;
    (void)line;
  }

  // Ends the session: prints `line` (when not empty), runs done(exit_code) once.
  void finish(int exit_code, const std::string& line);
  bool finished() const { return finished_; }
  bool ending() const { return ending_; }

  // Runs `fn` after `delay` on the main loop unless the session is gone by then.
  void run_after(std::chrono::milliseconds delay, std::function<void()> fn);
  // Runs blocking `work` (e.g. an HTTP request) on a worker thread, then `then` on the main loop.
  void run_in_worker(std::function<void()> work, std::function<void()> then);

  Phone& phone() { return *phone_; }
  StatusLine& status() { return status_; }
  std::chrono::steady_clock::time_point started_at() const { return started_at_; }

 private:
  PhoneOptions phone_options_;
  StatusLine& status_;
  std::chrono::milliseconds ending_bound_;
  std::unique_ptr<Phone> phone_;
  Done done_;
  bool finished_ = false;
  bool ending_ = false;
  unsigned int status_timer_ = 0;
  std::vector<unsigned int> timers_;
  std::vector<std::thread> workers_;
  std::chrono::steady_clock::time_point started_at_;
  LifeGuard life_;
};

// "00:12" or "1:02:03".
std::string format_elapsed(std::chrono::steady_clock::duration elapsed);

}  // namespace callcast::terminal
