#pragma once
// One RTSP TCP connection: reads requests and interleaved frames (RFC 2326 §10.12) under the
// configured limits, writes responses and interleaved packets through one bounded queue.
#include <boost/asio/ip/tcp.hpp>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/time_source.hpp"
#include "media/delivery.hpp"
#include "media/fifo_queue.hpp"
#include "rtsp/rtsp_message.hpp"

namespace callcast::media {

class RtspConnection;
class Session;

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
                 ConnectionLimits limits, std::uint64_t id, const core::TimeSource& time);

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

  // The session whose interleaved media this connection carries, and what each of its channels
  // is (RFC 2326 §10.12), both set at SETUP: a packet costs an array index, no lookup.
  struct ChannelRoute {
    std::size_t track = 0;
    bool rtcp = false;
  };
  Session* media_session() const { return media_session_; }
  void carry_media_of(Session& session);
  // The session is ending: the connection no longer points at it (nor at its channels).
  void forget_session(const Session& session);
  std::optional<ChannelRoute> channel(std::uint8_t channel) const;
  bool channel_in_use(std::uint8_t channel) const { return channels_[channel] != 0; }
  void route_channels(std::size_t track, std::uint8_t rtp_channel, std::uint8_t rtcp_channel);
  // Frees the channels `track` had (its SETUP is repeated).
  void unroute_track(std::size_t track);

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
  const core::TimeSource& time_;
  Session* media_session_ = nullptr;
  // Channel -> 1 + track * 2 (+1 for RTCP); 0: not set up.
  std::array<std::uint8_t, 256> channels_{};
};

}  // namespace callcast::media
