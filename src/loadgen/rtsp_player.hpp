#pragma once
// One benchmark viewer's RTSP set-up (RFC 2326), asynchronous on an io_context:
//
//   DESCRIBE <url>                     Accept: application/sdp
//   SETUP <video control>              Transport: RTP/AVP;unicast;client_port=a-b
//   SETUP <audio control>              (same Session), when the SDP has audio
//   PLAY <aggregate url>               Session
//
// Control URLs are resolved against Content-Base (or the request URL). After PLAY's 200 the TCP
// connection stays open (closing it ends the session on most servers); whatever the server sends
// on it is read and dropped until close().
//
// Threads: everything runs on `io`'s one thread; close() must be called there too (post it).
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "http/beast.hpp"
#include "rtsp/rtsp_message.hpp"

namespace callcast::loadgen {

struct PlayerPorts {
  std::uint16_t video_rtp = 0;
  std::uint16_t video_rtcp = 0;
  std::uint16_t audio_rtp = 0;
  std::uint16_t audio_rtcp = 0;
};

class RtspPlayer : public std::enable_shared_from_this<RtspPlayer> {
 public:
  // Empty when PLAY was answered 200; else what failed ("SETUP -> 453 Not Enough Bandwidth").
  using Done = std::function<void(const std::string& error)>;

  static std::shared_ptr<RtspPlayer> create(boost::asio::io_context& io, std::string url,
                                            PlayerPorts ports, std::chrono::milliseconds timeout);
  RtspPlayer(const RtspPlayer&) = delete;
  RtspPlayer& operator=(const RtspPlayer&) = delete;

  // `done` runs once, within the timeout.
  void start(Done done);
  void close();
  // The set-up failed for want of the bench's own resources (descriptors, buffers, local
  // ports), not because of the server: the run measured the bench, not the server.
  bool failed_locally() const { return failed_locally_; }
  // EMFILE, ENFILE, ENOBUFS, ENOMEM, EADDRNOTAVAIL: errors of this host, never of a server.
  static bool is_local_resource_error(int error_number);

 private:
  enum class Step { connect, describe, setup_video, setup_audio, play, playing };
  RtspPlayer(boost::asio::io_context& io, std::string url, PlayerPorts ports,
             std::chrono::milliseconds timeout);

  void send(const std::string& method, const std::string& url, std::vector<std::string> headers);
  void read();
  void on_response(const rtsp::RtspResponse& response);
  void on_describe(const rtsp::RtspResponse& response);
  void setup(const std::string& control_url, std::uint16_t rtp, std::uint16_t rtcp);
  void finish(const std::string& error);
  std::string resolve(const std::string& control) const;

  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer deadline_;
  const std::string url_;
  const PlayerPorts ports_;
  const std::chrono::milliseconds timeout_;
  Done done_;
  Step step_ = Step::connect;
  bool failed_locally_ = false;
  std::uint32_t cseq_ = 0;
  std::string base_;
  std::string video_control_;
  std::string audio_control_;
  std::string session_;
  std::string out_;
  std::string in_;
  std::array<char, 4096> chunk_{};
};

}  // namespace callcast::loadgen
