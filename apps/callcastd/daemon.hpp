#pragma once
// callcastd's roles assembled: the streaming server and its media service (roles all, media), the
// network side with its users, forwarding rules and digest (roles all, signaling), and the one
// HTTP server they share (admin API, Ut API, /v1/signaling). main() only parses the command
// line, handles signals and runs the loop; tests start and stop a Daemon in-process.
//
// Threading: everything but the SIP stack runs on io(); start() and the destructor on the thread
// that runs (or will run) it while it is not running; stop() from any thread.
#include <boost/asio/io_context.hpp>
#include <memory>
#include <optional>
#include <string>

#include "core/config.hpp"
#include "core/result.hpp"
#include "core/time_source.hpp"
#include "io/asio_timer_factory.hpp"

namespace callcast {

namespace http {
class HttpServer;
}  // namespace http
namespace forwarding {
class ForwardingRules;
}  // namespace forwarding

// The addresses a started daemon serves, each only when its role serves it.
struct DaemonAddresses {
  std::optional<core::HostPort> rtsp;
  core::HostPort http;
  std::optional<core::PortPair> rtp_ports;
  std::optional<core::HostPort> sip;

  // "callcastd ready rtsp=... http=... rtp=...-... sip=...": the line scripts and tests read to
  // learn the ports the OS chose. Fields in this fixed order, each only when served.
  std::string ready_line() const;
};

class Daemon {
 public:
  explicit Daemon(core::Config config);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Binds every listener of the configured role. An error is one line for the operator ("cannot
  // listen for RTSP on ..."); whatever started is stopped again by the destructor.
  Result<DaemonAddresses, std::string> start();

  // Runs the loop until stop() has finished.
  void run();

  // The network side first (its BYEs and group closes still reach the media side, whose loop
  // keeps running until the SIP stack is down), then the HTTP and streaming servers, then the
  // loop. Any thread, once; returns at once, the work is done on a thread of its own.
  void stop();

  boost::asio::io_context& io() { return io_; }
  const core::Config& config() const { return config_; }
  // The routes of every role are on it after start(); more (e.g. /metrics) may be added.
  http::HttpServer& http_server();

 private:
  struct Services;

  Result<bool, std::string> start_media(DaemonAddresses& addresses);
  Result<bool, std::string> start_remote_media();
  // Issue 15: the signaling side's MediaControl over the cluster's media nodes (no --media-url).
  Result<bool, std::string> start_cluster_media();
  // Issue 15: a media node's entry, group claims and events in the cluster's Redis.
  Result<bool, std::string> start_media_node_agent(const DaemonAddresses& addresses);
  void add_control_routes();
  void add_web_pages();
  // GET /metrics: the series of what this process runs (media, signaling or both).
  void add_metrics_route();
  // WHEP/WHIP (issue 14): by number and login where the network side runs, by token where the
  // media side does.
  void add_browser_routes();
  Result<bool, std::string> add_signaling();
  // The SQLite file (sip.forwarding_db), or the cluster's Redis when cluster.redis_url is set.
  Result<std::unique_ptr<forwarding::ForwardingRules>, std::string> open_forwarding_rules() const;

  core::Config config_;
  boost::asio::io_context io_{1};
  io::AsioTimerFactory timers_{io_};
  std::unique_ptr<Services> services_;
};

}  // namespace callcast
