#pragma once
// Where relayed packets leave the server: the shared UDP ports (step 709) or a viewer's own RTSP
// connection (interleaved, the TCP fallback). Interfaces so the relay is tested without sockets.
#include <boost/asio/ip/udp.hpp>
#include <cstdint>
#include <span>

#include "media/relay_packet.hpp"

namespace callcast::media {

using UdpEndpoint = boost::asio::ip::udp::endpoint;

class UdpSender {
 public:
  virtual ~UdpSender() = default;
  // Sends the same RTP packet to every destination (batched); sets failed[i] = 1 for each one the
  // kernel did not take (socket buffer full, unreachable). Never blocks.
  virtual void send_rtp(rtp::Bytes packet, std::span<const UdpEndpoint> to,
                        std::span<std::uint8_t> failed) = 0;
  virtual bool send_rtcp(rtp::Bytes packet, const UdpEndpoint& to) = 0;
};

class InterleavedWriter {
 public:
  virtual ~InterleavedWriter() = default;
  // Queue one frame on the RTSP connection; false when the connection is gone or its queue is
  // over its cap (the packet is dropped and counted by the caller).
  virtual bool write_packet(std::uint8_t channel, const SharedPacket& packet) = 0;
  virtual bool write_bytes(std::uint8_t channel, rtp::Bytes bytes) = 0;
};

}  // namespace callcast::media
