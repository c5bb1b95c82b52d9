#pragma once
// The requests a compound RTCP packet from the streaming server makes of the broadcaster: a
// keyframe (PLI, RFC 4585 §6.3.1; FIR, RFC 5104 §4.3.1) or a bitrate (REMB,
// draft-alvestrand-rmcat-remb; TMMBR, RFC 5104 §4.2.1). The packets themselves are read by the
// parsers in src/rtp; this only picks what the broadcaster acts on. Pure: no I/O, no GStreamer.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "rtp/byte_io.hpp"

namespace callcast::terminal {

enum class KeyframeCause { pli, fir };
enum class BitrateCause { remb, tmmbr };

constexpr std::string_view to_string(KeyframeCause cause) {
  return cause == KeyframeCause::pli ? "pli" : "fir";
}
constexpr std::string_view to_string(BitrateCause cause) {
  return cause == BitrateCause::remb ? "remb" : "tmmbr";
}

struct FeedbackRequest {
  enum class Kind { keyframe, bitrate };
  Kind kind = Kind::keyframe;
  KeyframeCause keyframe_cause = KeyframeCause::pli;
  BitrateCause bitrate_cause = BitrateCause::remb;
  std::uint64_t bitrate_bps = 0;  // for Kind::bitrate
  // A FIR's command sequence number (RFC 5104 §4.3.1.1): a FIR that repeats the last one's is a
  // retransmission of the same request.
  std::uint8_t fir_sequence = 0;
};

struct FeedbackRequests {
  std::array<FeedbackRequest, 32> items{};  // at most one per packet of the compound
  std::size_t count = 0;
  // Packets of other kinds (SR, RR, SDES, NACK...): the broadcaster has nothing to do with them.
  std::size_t ignored = 0;
};

// nullopt when `compound` is not valid RTCP (RtcpCompoundView::parse).
std::optional<FeedbackRequests> read_feedback_requests(rtp::Bytes compound);

}  // namespace callcast::terminal
