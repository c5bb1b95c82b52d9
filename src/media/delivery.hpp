#pragma once
// Where relayed packets leave the server: the shared UDP ports (step 709, through a
// DatagramBatcher) or a viewer's own RTSP connection (interleaved, the TCP fallback). An interface
// so the relay is tested without connections.
#include <boost/asio/ip/udp.hpp>
#include <cstdint>

#include "media/relay_packet.hpp"

namespace callcast::media {

using UdpEndpoint = boost::asio::ip::udp::endpoint;

class InterleavedWriter {
 public:
  virtual ~InterleavedWriter() = default;
  // Queue one frame on the RTSP connection; false when the connection is gone or its queue is
  // over its cap (the packet is dropped and counted by the caller).
  virtual bool write_packet(std::uint8_t channel, const SharedPacket& packet) = 0;
  virtual bool write_bytes(std::uint8_t channel, rtp::Bytes bytes) = 0;
};

}  // namespace callcast::media
