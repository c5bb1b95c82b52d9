#pragma once
// The server's RTP and RTCP UDP ports (default 8000/8001): every viewer receives from them
// (step 709), UDP publishers send to them, and viewers' receiver reports arrive on the RTCP one.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <functional>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/result.hpp"
#include "media/delivery.hpp"

namespace callcast::media {

class UdpMediaPorts final : public UdpSender {
 public:
  // `rtcp` tells which port the datagram arrived on.
  using Receive = std::function<void(bool rtcp, const UdpEndpoint& from, rtp::Bytes data)>;

  UdpMediaPorts(boost::asio::io_context& io, Receive on_receive);
  ~UdpMediaPorts() override;

  // Binds both ports on `host`; ports 0-0 picks a free adjacent pair. Errors name the address.
  Result<core::PortPair, std::string> open(const std::string& host, core::PortPair ports);
  void close();
  core::PortPair ports() const { return ports_; }
  // The RTP socket, for the fan-out workers' sendmmsg (valid while open).
  int rtp_fd() { return rtp_.socket.native_handle(); }

  void send_rtp(rtp::Bytes packet, std::span<const UdpEndpoint> to,
                std::span<std::uint8_t> failed) override;
  bool send_rtcp(rtp::Bytes packet, const UdpEndpoint& to) override;

  std::uint64_t datagrams_sent() const { return sent_; }
  std::uint64_t send_failures() const { return send_failures_; }
  std::uint64_t sendmmsg_calls() const { return sendmmsg_calls_; }

 private:
  struct Port {
    explicit Port(boost::asio::io_context& io) : socket(io) {}
    boost::asio::ip::udp::socket socket;
    UdpEndpoint from;
    std::vector<std::uint8_t> buffer = std::vector<std::uint8_t>(65536);
  };
  void receive(Port& port, bool rtcp);
  Result<bool, std::string> bind_pair(const boost::asio::ip::address& address,
                                      std::uint16_t rtp_port);

  Receive on_receive_;
  Port rtp_;
  Port rtcp_;
  core::PortPair ports_{};
  std::uint64_t sent_ = 0;
  std::uint64_t send_failures_ = 0;
  std::uint64_t sendmmsg_calls_ = 0;
};

}  // namespace callcast::media
