#include "media/udp_media_ports.hpp"

#include <boost/asio/ip/address.hpp>
#include <random>

namespace callcast::media {

namespace asio = boost::asio;
using asio::ip::udp;

UdpMediaPorts::UdpMediaPorts(asio::io_context& io, Receive on_receive)
    : on_receive_(std::move(on_receive)), rtp_(io), rtcp_(io) {}

UdpMediaPorts::~UdpMediaPorts() {
  close();
}

void UdpMediaPorts::close() {
  boost::system::error_code ignored;
  rtp_.socket.close(ignored);
  rtcp_.socket.close(ignored);
  rtp_transmitter_ = SocketTransmitter(-1);
  rtcp_transmitter_ = SocketTransmitter(-1);
}

Result<bool, std::string> UdpMediaPorts::bind_pair(const asio::ip::address& address,
                                                   std::uint16_t rtp_port) {
  close();
  boost::system::error_code ec;
  for (auto* port : {&rtp_, &rtcp_}) {
    port->socket.open(address.is_v6() ? udp::v6() : udp::v4(), ec);
    if (ec) return fail("cannot open a UDP socket: " + ec.message());
    port->socket.non_blocking(true, ec);
    // Room for keyframe bursts to many viewers; the kernel caps it at wmem_max.
    port->socket.set_option(asio::socket_base::send_buffer_size(4 * 1024 * 1024), ec);
    port->socket.set_option(asio::socket_base::receive_buffer_size(1024 * 1024), ec);
  }
  const auto rtcp_port = static_cast<std::uint16_t>(rtp_port + 1);
  rtp_.socket.bind(udp::endpoint(address, rtp_port), ec);
  if (ec) {
    close();
    return fail("cannot bind RTP port " + address.to_string() + ":" + std::to_string(rtp_port) +
                ": " + ec.message());
  }
  rtcp_.socket.bind(udp::endpoint(address, rtcp_port), ec);
  if (ec) {
    close();
    return fail("cannot bind RTCP port " + address.to_string() + ":" + std::to_string(rtcp_port) +
                ": " + ec.message());
  }
  rtp_transmitter_ = SocketTransmitter(rtp_.socket.native_handle());
  rtcp_transmitter_ = SocketTransmitter(rtcp_.socket.native_handle());
  return true;
}

Result<core::PortPair, std::string> UdpMediaPorts::open(const std::string& host,
                                                        core::PortPair ports) {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) return fail("RTP host must be an IP address, not '" + host + "'");
  if (ports.rtp != 0) {
    auto bound = bind_pair(address, ports.rtp);
    if (!bound) return fail(bound.error());
    ports_ = ports;
  } else {
    // An adjacent even/odd pair, as RTP/RTCP ports conventionally are (RFC 3550 §11).
    std::mt19937 random(std::random_device{}());
    std::uniform_int_distribution<int> pick(10000, 30000);
    std::string last_error;
    bool bound_any = false;
    for (int attempt = 0; attempt < 200 && !bound_any; ++attempt) {
      const auto rtp_port = static_cast<std::uint16_t>(pick(random) * 2);
      auto bound = bind_pair(address, rtp_port);
      if (bound) {
        ports_ = {rtp_port, static_cast<std::uint16_t>(rtp_port + 1)};
        bound_any = true;
      } else {
        last_error = bound.error();
      }
    }
    if (!bound_any) return fail("no free RTP/RTCP port pair: " + last_error);
  }
  receive(rtp_, false);
  receive(rtcp_, true);
  return ports_;
}

void UdpMediaPorts::receive(Port& port, bool rtcp) {
  port.socket.async_receive_from(
      asio::buffer(port.buffer), port.from,
      [this, &port, rtcp](const boost::system::error_code& ec, std::size_t size) {
        if (ec == asio::error::operation_aborted || !port.socket.is_open()) return;
        if (!ec) on_receive_(rtcp, port.from, rtp::Bytes(port.buffer.data(), size));
        receive(port, rtcp);
      });
}

}  // namespace callcast::media
