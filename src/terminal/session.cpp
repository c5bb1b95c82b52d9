#include "terminal/session.hpp"

#include <glib.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <utility>

namespace callcast::terminal {

Session::Session(PhoneOptions phone, StatusLine& status, std::chrono::milliseconds ending_bound)
    : phone_options_(std::move(phone)), status_(status), ending_bound_(ending_bound) {}

Session::~Session() {
  for (const unsigned int timer : timers_)
    g_source_remove(timer);
  if (status_timer_ != 0) g_source_remove(status_timer_);
  for (std::thread& worker : workers_)
    worker.join();
  phone_.reset();
}

void Session::start(Done done) {
  done_ = std::move(done);
  started_at_ = std::chrono::steady_clock::now();
  auto phone = Phone::start(phone_options_);
  if (!phone) return finish(1, phone.error());
  phone_ = std::move(phone).value();
  status_timer_ = g_timeout_add_seconds_full(
      G_PRIORITY_DEFAULT, 1,
      [](gpointer data) -> gboolean {
        static_cast<Session*>(data)->refresh_status();
        return G_SOURCE_CONTINUE;
      },
      this, nullptr);
  status_.update("registering " + phone_options_.number + " at " + phone_options_.server);
  phone_->register_account([this](Result<bool, std::string> registered) {
    if (finished_ || ending_) return;
    if (!registered) return finish(1, registered.error());
    spdlog::info("terminal: terminal={} registered at {}", phone_options_.number,
                 phone_options_.server);
    begin();
  });
}

void Session::stop(const std::string& why) {
  if (finished_) return;
  if (ending_) {
    spdlog::warn("terminal: terminal={} asked again to stop: ending now", phone_options_.number);
    return finish(1, "stopped before a clean end");
  }
  ending_ = true;
  spdlog::info("terminal: terminal={} ending: {}", phone_options_.number, why);
  run_after(ending_bound_, [this] {
    if (finished_) return;
    char bound[32];
    std::snprintf(bound, sizeof bound, "%g", static_cast<double>(ending_bound_.count()) / 1000);
    finish(1, std::string("the clean end took longer than ") + bound + " s; stopped");
  });
  end_cleanly(why);
}

void Session::finish(int exit_code, const std::string& line) {
  if (finished_) return;
  finished_ = true;
  ending_ = true;
  if (status_timer_ != 0) g_source_remove(status_timer_);
  status_timer_ = 0;
  refresh_status();
  on_finish(exit_code, line);
  status_.finish();
  if (!line.empty()) {
    if (exit_code == 0) {
      status_.event(line);
    } else {
      // The one line on stderr a failed run prints (README, "The terminal": its error table).
      status_.error("error: " + line, stderr);
    }
  }
  if (done_) std::exchange(done_, nullptr)(exit_code);
}

void Session::run_after(std::chrono::milliseconds delay, std::function<void()> fn) {
  // The destructor removes the timers still pending, so a firing one finds its session alive.
  struct Task {
    Session* session;
    std::function<void()> fn;
    unsigned int id = 0;
  };
  auto* task = new Task{this, std::move(fn)};
  task->id = g_timeout_add_full(
      G_PRIORITY_DEFAULT, static_cast<guint>(delay.count()),
      [](gpointer data) -> gboolean {
        auto* t = static_cast<Task*>(data);
        std::erase(t->session->timers_, t->id);
        t->fn();
        return G_SOURCE_REMOVE;
      },
      task, [](gpointer data) { delete static_cast<Task*>(data); });
  timers_.push_back(task->id);
}

void Session::run_in_worker(std::function<void()> work, std::function<void()> then) {
  workers_.emplace_back([work = std::move(work), then = guarded(life_.token(), std::move(then))] {
    work();
    run_on_main_loop(then);
  });
}

std::string format_elapsed(std::chrono::steady_clock::duration elapsed) {
  const auto total = std::chrono::duration_cast<std::chrono::seconds>(elapsed).count();
  char text[32];
  if (total >= 3600) {
    std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", static_cast<long long>(total / 3600),
                  static_cast<long long>(total / 60 % 60), static_cast<long long>(total % 60));
  } else {
    std::snprintf(text, sizeof text, "%02lld:%02lld", static_cast<long long>(total / 60),
                  static_cast<long long>(total % 60));
  }
  return text;
}

}  // namespace callcast::terminal
