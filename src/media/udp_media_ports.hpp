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
#include "media/datagram_transmitter.hpp"
#include "media/delivery.hpp"

namespace callcast::media {

// Sending goes through a DatagramBatcher over one of the transmitters below.
class UdpMediaPorts final {
 public:
  // `rtcp` tells which port the datagram arrived on.
  using Receive = std::function<void(bool rtcp, const UdpEndpoint& from, rtp::Bytes data)>;

  UdpMediaPorts(boost::asio::io_context& io, Receive on_receive);
  ~UdpMediaPorts();
  UdpMediaPorts(const UdpMediaPorts&) = delete;
  UdpMediaPorts& operator=(const UdpMediaPorts&) = delete;

  // Binds both ports on `host`; ports 0-0 picks a free adjacent pair. Errors name the address.
  Result<core::PortPair, std::string> open(const std::string& host, core::PortPair ports);
  void close();
  core::PortPair ports() const { return ports_; }
  // The RTP socket, for the fan-out workers' sends (valid while open).
  int rtp_fd() { return rtp_.socket.native_handle(); }

  // Senders on each port, valid for the object's life; while closed every message fails.
  DatagramTransmitter& rtp_transmitter() { return rtp_transmitter_; }
  DatagramTransmitter& rtcp_transmitter() { return rtcp_transmitter_; }

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
  SocketTransmitter rtp_transmitter_{-1};
  SocketTransmitter rtcp_transmitter_{-1};
};

}  // namespace callcast::media
