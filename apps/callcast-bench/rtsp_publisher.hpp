#pragma once
// The master terminal's media connection (patent step 705), reduced to what makes callcastd
// report master_joined: RTSP over TCP to the publish URL of the 183's SDP,
//
//   ANNOUNCE <url>             SDP with one H.264 track, a=control:stream=0
//   SETUP <url>/stream=0       Transport: RTP/AVP/TCP;unicast;interleaved=0-1;mode=record
//   RECORD <url>               Session from the SETUP answer
//
// then the connection stays open (no media is sent: the benchmark measures signaling) until
// close(). Anything the server sends after RECORD (interleaved RTCP) is read and dropped.
//
// Threads: every step runs on `io`, which must be run by one thread; start() and close() may be
// called from any thread. The object keeps itself alive while an operation is pending.
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

// Asio through callcast's one switch for its GCC 12 -O2 warning (io_context, tcp, steady_timer).
#include "http/beast.hpp"
#include "rtsp/rtsp_message.hpp"

namespace callcast::bench {

class RtspPublisher : public std::enable_shared_from_this<RtspPublisher> {
 public:
  // Empty when RECORD was answered 200; else what failed ("SETUP -> 454 Session Not Found").
  using Done = std::function<void(const std::string& error)>;

  static std::shared_ptr<RtspPublisher> create(boost::asio::io_context& io, std::string publish_url,
                                               std::chrono::milliseconds timeout);
  RtspPublisher(const RtspPublisher&) = delete;
  RtspPublisher& operator=(const RtspPublisher&) = delete;

  // Connects and records; `done` runs once, on io's thread, within the timeout.
  void start(Done done);
  // Closes the connection; a set-up still running ends with an error.
  void close();

 private:
  RtspPublisher(boost::asio::io_context& io, std::string publish_url,
                std::chrono::milliseconds timeout);

  void begin(Done done);
  void send_request(std::string method, const std::string& url,
                    const std::vector<std::string>& headers, const std::string& body = {});
  void read_response();
  void on_response(const rtsp::RtspResponse& response);
  void drop_incoming();  // after RECORD: read until the connection closes
  void finish(const std::string& error);

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer deadline_;
  const std::string url_;
  const std::chrono::milliseconds timeout_;
  Done done_;
  std::string step_ = "connect";  // the request waiting for its answer, for error messages
  std::uint32_t cseq_ = 0;
  std::string session_;
  std::string out_;
  std::string in_;
  std::array<char, 4096> chunk_{};
};

}  // namespace callcast::bench
