#pragma once
// One RTSP TCP connection: reads requests and interleaved frames (RFC 2326 §10.12) under the
// configured limits, writes responses and interleaved packets through one bounded queue.
#include <boost/asio/ip/tcp.hpp>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "media/delivery.hpp"
#include "media/fifo_queue.hpp"
#include "rtsp/rtsp_message.hpp"

namespace callcast::media {

class RtspConnection;

class RtspConnectionHandler {
 public:
  virtual ~RtspConnectionHandler() = default;
  virtual void on_request(RtspConnection& connection, rtsp::RtspRequest request) = 0;
  virtual void on_interleaved(RtspConnection& connection, std::uint8_t channel,
                              rtp::Bytes payload) = 0;
  // A malformed message: the connection answers `status` and closes.
  virtual void on_bad_message(RtspConnection& connection, int status, const std::string& why) = 0;
  virtual void on_closed(RtspConnection& connection, const std::string& reason) = 0;
  // Everything one read brought has been handled (a publisher's frame usually comes in one).
  virtual void on_read_done(RtspConnection& /*connection*/) {}
};

struct ConnectionLimits {
  rtsp::ParserLimits parser;
  std::size_t max_queued_bytes =
      std::size_t{4} * 1024 * 1024;  // interleaved packets beyond it are dropped
};

class RtspConnection final : public InterleavedWriter,
                             public std::enable_shared_from_this<RtspConnection> {
 public:
  RtspConnection(boost::asio::ip::tcp::socket socket, RtspConnectionHandler& handler,
                 ConnectionLimits limits, std::uint64_t id);

  void start();
  void send(const rtsp::RtspResponse& response);
  bool write_packet(std::uint8_t channel, const SharedPacket& packet) override;
  bool write_bytes(std::uint8_t channel, rtp::Bytes bytes) override;
  // Closes once everything queued before this call has been written (or at once when `now`).
  void close(const std::string& reason, bool now = false);

  std::uint64_t id() const { return id_; }
  const boost::asio::ip::tcp::endpoint& remote() const { return remote_; }
  const boost::asio::ip::tcp::endpoint& local() const { return local_; }
  bool open() const { return !closed_; }
  Clock::time_point last_activity() const { return last_activity_; }
  bool has_spoken() const { return requests_ > 0; }

 private:
  struct Outgoing {
    std::string text;  // a response, or a frame header + copied bytes
    std::array<std::uint8_t, 4> header{};
    SharedPacket packet;  // interleaved packet shared with the other viewers
  };
  void read();
  void process();
  void write_next();
  void finish(const std::string& reason);

  boost::asio::ip::tcp::socket socket_;
  RtspConnectionHandler& handler_;
  ConnectionLimits limits_;
  std::uint64_t id_;
  boost::asio::ip::tcp::endpoint remote_;
  boost::asio::ip::tcp::endpoint local_;
  static constexpr std::size_t kInitialBuffer = 512;
  std::size_t max_buffer_;
  std::vector<std::uint8_t> buffer_;
  std::size_t buffered_ = 0;
  bool read_filled_ = false;
  FifoQueue<Outgoing> queue_;
  std::size_t queued_bytes_ = 0;
  bool writing_ = false;
  bool closing_ = false;
  bool closed_ = false;
  std::string close_reason_;
  Clock::time_point last_activity_;
  std::uint64_t requests_ = 0;
};

}  // namespace callcast::media
