#include "sip/sip_loop.hpp"

#include <sofia-sip/su.h>
#include <sofia-sip/su_wait.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <string>
#include <utility>

namespace callcast::sip {

namespace {

int wakeup_callback(su_root_magic_t* /*magic*/, su_wait_t* /*wait*/, su_wakeup_arg_t* arg) {
  return SipLoop::on_wakeup(arg);
}

}  // namespace

SipLoop::SipLoop() = default;

SipLoop::~SipLoop() {
  if (thread_.joinable()) stop([this] { quit(); });
}

int SipLoop::on_wakeup(void* self) {
  static_cast<SipLoop*>(self)->drain();
  return 0;
}

bool SipLoop::start(const std::function<bool(su_root_s*, std::string&)>& init, std::string& error,
                    Task cleanup) {
  cleanup_ = std::move(cleanup);
  std::promise<std::string> started;
  auto ready = started.get_future();
  thread_ = std::thread([this, &init, &started] {
    su_init();
    root_ = su_root_create(nullptr);
    wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    std::string failure;
    su_wait_t wait[1] = {SU_WAIT_INIT};
    if (root_ == nullptr) {
      failure = "cannot create the SIP event loop";
    } else if (wake_fd_ < 0 || su_wait_create(wait, wake_fd_, SU_WAIT_IN) != 0 ||
               su_root_register(root_, wait, wakeup_callback, this, 0) < 0) {
      failure = "cannot register the SIP loop's wakeup";
    } else if (!init(root_, failure) && failure.empty()) {
      failure = "SIP stack start failed";
    }
    if (failure.empty()) {
      {
        std::lock_guard lock(mutex_);
        accepting_ = true;
      }
      started.set_value({});
      su_root_run(root_);
      if (cleanup_) cleanup_();
    } else {
      started.set_value(failure);
    }
    {
      std::lock_guard lock(mutex_);
      accepting_ = false;
      queue_.clear();
    }
    if (root_ != nullptr) {
      su_root_unregister(root_, wait, wakeup_callback, this);
      su_root_destroy(root_);
    }
    root_ = nullptr;
    if (wake_fd_ >= 0) ::close(wake_fd_);
    wake_fd_ = -1;
    su_deinit();
  });
  error = ready.get();
  if (!error.empty()) {
    thread_.join();
    return false;
  }
  return true;
}

void SipLoop::stop(const Task& shutdown, int timeout_ms) {
  if (!thread_.joinable()) return;
  if (on_loop_thread()) {
    shutdown();
    return;
  }
  post(shutdown);
  // Give the stack time to send its last messages; then break out regardless.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard lock(mutex_);
      if (!accepting_) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  post([this] { quit(); });
  thread_.join();
}

void SipLoop::quit() {
  {
    std::lock_guard lock(mutex_);
    accepting_ = false;
  }
  su_root_break(root_);
}

void SipLoop::post(Task task) {
  {
    std::lock_guard lock(mutex_);
    if (!accepting_) return;
    queue_.push_back(std::move(task));
  }
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto written = ::write(wake_fd_, &one, sizeof one);
}

void SipLoop::drain() {
  std::uint64_t count = 0;
  [[maybe_unused]] const auto got = ::read(wake_fd_, &count, sizeof count);
  std::deque<Task> batch;
  {
    std::lock_guard lock(mutex_);
    batch.swap(queue_);
  }
  for (auto& task : batch)
    task();
}

}  // namespace callcast::sip
