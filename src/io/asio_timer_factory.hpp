#pragma once
// core::TimerFactory over an asio io_context: the production timers of every component that runs
// on an asio loop (the streaming server, the HTTP server).
#include <boost/asio/io_context.hpp>

#include "core/time_source.hpp"

namespace callcast::io {

class AsioTimerFactory final : public core::TimerFactory {
 public:
  explicit AsioTimerFactory(boost::asio::io_context& io) : io_(io) {}
  std::unique_ptr<core::Timer> create_timer(std::function<void()> callback) override;

 private:
  boost::asio::io_context& io_;
};

}  // namespace callcast::io
