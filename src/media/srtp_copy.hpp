#pragma once
// A packet as one WebRTC viewer receives it (issue 14) when the media loop sends it (catch-up
// bursts, repairs, RTCP): a copy of the shared bytes, SRTP- or SRTCP-protected with the viewer's
// keys. The fan-out workers' live packets take a cheaper way (FanoutShard's scratch).
#include "media/relay_packet.hpp"
#include "rtp/byte_io.hpp"

namespace callcast::dtls {
class SrtpSession;
}

namespace callcast::media {

// Null when the protection failed (logged by the caller's counters: the packet is dropped).
SharedPacket srtp_protected_copy(dtls::SrtpSession& srtp, rtp::Bytes packet);
SharedPacket srtcp_protected_copy(dtls::SrtpSession& srtp, rtp::Bytes compound);

}  // namespace callcast::media
