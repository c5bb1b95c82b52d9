#pragma once
// The receiving end of one RTP/RTCP UDP port pair (RTP even, RTCP = RTP + 1), as a player opens
// it before SETUP: the test reads the datagrams the server sends, each read with a deadline.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace callcast::test {

class UdpMediaReceiver {
 public:
  using Duration = std::chrono::milliseconds;
  using Datagram = std::vector<std::uint8_t>;

  // Binds a free even/odd pair on `host`; ok() is false (error() says why) when none was found.
  explicit UdpMediaReceiver(const std::string& host = "127.0.0.1");
  ~UdpMediaReceiver();
  UdpMediaReceiver(const UdpMediaReceiver&) = delete;
  UdpMediaReceiver& operator=(const UdpMediaReceiver&) = delete;

  bool ok() const { return rtp_fd_ >= 0 && rtcp_fd_ >= 0; }
  const std::string& error() const { return error_; }
  std::uint16_t rtp_port() const { return rtp_port_; }
  std::uint16_t rtcp_port() const { return static_cast<std::uint16_t>(rtp_port_ + 1); }

  std::optional<Datagram> receive_rtp(Duration timeout) { return receive(rtp_fd_, timeout); }
  std::optional<Datagram> receive_rtcp(Duration timeout) { return receive(rtcp_fd_, timeout); }
  // Sends an RTCP compound (e.g. a receiver report) to the server's RTCP port.
  bool send_rtcp(std::span<const std::uint8_t> compound, const std::string& host,
                 std::uint16_t port);
  // Sends from the RTP port, as players do to open a NAT (punch or dummy packets).
  bool send_rtp(std::span<const std::uint8_t> datagram, const std::string& host,
                std::uint16_t port);

 private:
  bool send_from(int fd, std::span<const std::uint8_t> datagram, const std::string& host,
                 std::uint16_t port);
  std::optional<Datagram> receive(int fd, Duration timeout);

  int rtp_fd_ = -1;
  int rtcp_fd_ = -1;
  std::uint16_t rtp_port_ = 0;
  std::string error_;
};

}  // namespace callcast::test
