#pragma once
// Runs an io_context on a background thread for the socket tests: the server under test lives
// there, the test's blocking client on the test thread.
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <future>
#include <optional>
#include <thread>
#include <utility>

namespace callcast::http::test {

class IoThread {
 public:
  IoThread() = default;
  ~IoThread() { join(); }
  IoThread(const IoThread&) = delete;
  IoThread& operator=(const IoThread&) = delete;

  boost::asio::io_context& io() { return io_; }

  void start() {
    guard_.emplace(io_.get_executor());
    thread_ = std::thread([this] { io_.run(); });
  }

  // Runs fn on the io thread (or inline when the thread is not running) and waits for it.
  template <class Fn>
  void run_sync(Fn fn) {
    if (!thread_.joinable()) {
      fn();
      return;
    }
    std::promise<void> done;
    boost::asio::post(io_, [&] {
      fn();
      done.set_value();
    });
    done.get_future().wait();
  }

  // Lets run() return once the pending work is done, and waits for that.
  void join() {
    guard_.reset();
    if (thread_.joinable()) thread_.join();
  }

 private:
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard_;
  std::thread thread_;
};

}  // namespace callcast::http::test
