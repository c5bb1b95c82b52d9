#pragma once
// How the server's RTCP feedback reaches the broadcaster (issue 12 items 3, 4). rtspclientsink
// publishes over TCP and reads the RECORD connection itself, but it drops every interleaved
// frame the server writes ("ignoring data message" in gstrtspclientsink.c, GStreamer 1.22 and
// still in 1.26): RTCP from the server never reaches its rtpbin's RTPSession, so neither its
// "on-feedback-rtcp" signal nor its own PLI -> GstForceKeyUnit path ever fires. So the sink is
// given this relay as its RTSP proxy ("proxy" property: it connects here and sends its requests,
// absolute URLs, unchanged): every byte goes on to the server and back untouched, and the
// server's interleaved RTCP frames are read on the way (ServerStreamReader) and handed to
// `on_rtcp`.
//
// One connection at a time: a new one from the sink (a reconnect) replaces the old. A server that
// cannot be reached closes the sink's connection at once; server_failure() then says why, so the
// error line still reads "media connection refused". The relay runs on a thread of its own, so
// media never waits for the terminal's main loop; `on_rtcp` runs on that thread.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "rtp/byte_io.hpp"

namespace callcast::terminal {

class RtcpFeedbackRelay {
 public:
  using RtcpHandler = std::function<void(rtp::Bytes rtcp)>;

  // Listens on 127.0.0.1 (an ephemeral port) and starts its thread; null (with `error`) when it
  // cannot.
  static std::unique_ptr<RtcpFeedbackRelay> create(RtcpHandler on_rtcp, std::string& error);
  ~RtcpFeedbackRelay();
  RtcpFeedbackRelay(const RtcpFeedbackRelay&) = delete;
  RtcpFeedbackRelay& operator=(const RtcpFeedbackRelay&) = delete;

  // "127.0.0.1:PORT": rtspclientsink's "proxy".
  std::string proxy() const;
  // Where the next connection from the sink goes on to.
  void set_server(const std::string& host, std::uint16_t port);
  // Why the latest connection to the server failed ("Failed to connect to HOST:PORT (...)"), or
  // nullopt when it succeeded.
  std::optional<std::string> server_failure() const;
  std::uint64_t rtcp_frames() const { return rtcp_frames_.load(); }

 private:
  RtcpFeedbackRelay(int listener, std::uint16_t port, int wake, RtcpHandler on_rtcp);
  void run();
  // Connects to the server, or returns -1 with server_failure_ set; -2 when woken to stop.
  int connect_server();
  // Copies bytes both ways until either side closes or stop; true when asked to stop.
  bool pump(int& client, int server);
  enum class Written { all, failed, stopped };
  Written write_all(int fd, const std::uint8_t* data, std::size_t size) const;
  // Closes `client` with a reset; false (not asked to stop).
  static bool reset(int& client);

  int listener_;
  std::uint16_t port_;
  int wake_;  // eventfd: stop
  RtcpHandler on_rtcp_;
  mutable std::mutex mutex_;
  std::string host_;
  std::uint16_t server_port_ = 0;
  std::optional<std::string> server_failure_;
  std::atomic<std::uint64_t> rtcp_frames_{0};
  std::thread thread_;
};

}  // namespace callcast::terminal
