#pragma once
// A real media side in this process, as `callcastd --role media` wires it: StreamingServer,
// MediaService and the admin API on an HttpServer, on 127.0.0.1 with OS-chosen ports, all on one
// io thread. The tests drive it over HTTP and reach into it on its loop with run_sync().
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "http/admin_api.hpp"
#include "http/http_server.hpp"
#include "io/asio_timer_factory.hpp"
#include "io_thread.hpp"
#include "media/media_service.hpp"
#include "media/streaming_server.hpp"
#include "support/simulated_time.hpp"

namespace callcast::http::test {

class MediaStack {
 public:
  struct Options {
    std::string api_key;  // empty: loopback clients only
    media::EventFeedOptions feed;
    std::uint16_t http_port = 0;  // 0: the OS chooses
    // The media side's clock and timers are a SimulatedTime moved by advance() (the HTTP
    // server keeps real time: its deadlines are not what these tests look at).
    bool simulated_time = false;
  };

  MediaStack() : MediaStack(Options{}) {}
  explicit MediaStack(const Options& options) {
    core::MediaConfig config;
    config.rtsp = {"127.0.0.1", 0};
    config.rtp_ports = {0, 0};
    const core::TimeSource& time = options.simulated_time
                                       ? static_cast<const core::TimeSource&>(simulated_)
                                       : core::RealTimeSource::instance();
    core::TimerFactory& timers = options.simulated_time
                                     ? static_cast<core::TimerFactory&>(simulated_)
                                     : static_cast<core::TimerFactory&>(timers_);
    server_ =
        std::make_unique<media::StreamingServer>(io_.io(), config, "test-secret", time, timers);
    const auto bound = server_->start();
    EXPECT_TRUE(bound.ok()) << (bound.ok() ? "" : bound.error());
    service_ =
        std::make_unique<media::MediaService>(io_.io(), *server_, time, timers, options.feed);
    http_ = std::make_unique<HttpServer>(io_.io());
    const AdminApi api(*http_, *service_, options.api_key);
    const auto listening = http_->listen("127.0.0.1", options.http_port);
    EXPECT_TRUE(listening.ok()) << (listening.ok() ? "" : listening.error());
    io_.start();
  }

  ~MediaStack() { shut_down(); }
  MediaStack(const MediaStack&) = delete;
  MediaStack& operator=(const MediaStack&) = delete;

  // Stops everything on the loop (after `first`, e.g. stopping a client that shares the loop) so
  // that no timer keeps it running, then joins the thread. Waiting readers get 503.
  void shut_down(const std::function<void()>& first = {}) {
    if (!http_) return;
    io_.run_sync([&] {
      if (first) first();
      http_->stop();
      server_->stop();
      service_.reset();
    });
    io_.join();
    http_.reset();
    server_.reset();
  }

  boost::asio::io_context& io() { return io_.io(); }
  std::uint16_t http_port() const { return http_->port(); }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(http_port()); }

  template <class Fn>
  void run_sync(Fn fn) {
    io_.run_sync(std::move(fn));
  }

  // The publish URL of a new group, created on the loop.
  std::string create_group(const std::string& master) {
    std::string url;
    run_sync([&] {
      auto created = server_->create_group(master);
      EXPECT_TRUE(created.ok());
      if (created) url = created->publish_url;
    });
    return url;
  }

  // Creates and closes a group on the loop: one group_closed event.
  void emit_group_closed(const std::string& group) {
    run_sync([&] {
      EXPECT_TRUE(server_->create_group(group).ok());
      EXPECT_TRUE(server_->close_group(group, "deleted").ok());
    });
  }

  std::size_t waiting_readers() {
    std::size_t n = 0;
    run_sync([&] { n = service_->waiting_readers(); });
    return n;
  }

  std::uint64_t last_seq() {
    std::uint64_t seq = 0;
    run_sync([&] { seq = service_->event_log().last_seq(); });
    return seq;
  }

  media::StreamingServer& server() { return *server_; }

  // Moves the media side's simulated clock (Options::simulated_time) on its loop, running the
  // timers that fall due.
  void advance(core::SteadyClock::duration by) {
    run_sync([&] { simulated_.advance(by); });
  }

 private:
  IoThread io_;
  io::AsioTimerFactory timers_{io_.io()};
  callcast::test::SimulatedTime simulated_;
  std::unique_ptr<media::StreamingServer> server_;
  std::unique_ptr<media::MediaService> service_;
  std::unique_ptr<HttpServer> http_;
};

}  // namespace callcast::http::test
