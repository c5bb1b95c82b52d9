#pragma once
// Reads what the streaming server writes on the broadcaster's RTSP connection (RFC 2326 §10.12):
// RTSP responses and requests mixed with interleaved frames ('$', channel, 16-bit length). The
// frames on RTCP channels (odd numbers: rtspclientsink sets up RTP on 2n, RTCP on 2n+1) are
// handed on; everything else is skipped over. rtspclientsink drops every interleaved frame it
// reads, so the server's feedback reaches the broadcaster only through this (RtcpFeedbackRelay).
// Pure: no I/O.
#include <cstdint>
#include <functional>
#include <vector>

#include "rtp/byte_io.hpp"

namespace callcast::terminal {

class ServerStreamReader {
 public:
  using RtcpHandler = std::function<void(std::uint8_t channel, rtp::Bytes rtcp)>;

  explicit ServerStreamReader(RtcpHandler on_rtcp) : on_rtcp_(std::move(on_rtcp)) {}

  // The next bytes of the stream, in order.
  void feed(rtp::Bytes bytes);

  // A message that cannot be framed (bad RTSP, over the limits): the rest of the stream cannot
  // be split any more, so nothing more is read from it.
  bool lost_framing() const { return lost_framing_; }
  std::uint64_t rtcp_frames() const { return rtcp_frames_; }

 private:
  RtcpHandler on_rtcp_;
  std::vector<std::uint8_t> buffered_;
  bool lost_framing_ = false;
  std::uint64_t rtcp_frames_ = 0;
};

}  // namespace callcast::terminal
