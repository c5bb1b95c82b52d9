#pragma once
// The feedback tests' way in: bytes that must be exactly one valid RTCP packet go through
// RtcpCompoundView first, as the server's do, then through the message's own parser.
#include <optional>
#include <utility>
#include <vector>

#include "rtp/rtcp.hpp"

namespace callcast::rtp {

template <class Parser>
auto parse_single(const std::vector<std::uint8_t>& bytes, Parser parser)
    -> decltype(parser(std::declval<const RtcpPacketView&>())) {
  const auto compound = RtcpCompoundView::parse(Bytes(bytes.data(), bytes.size()));
  if (!compound || compound->size() != 1) return std::nullopt;
  return parser((*compound)[0]);
}

}  // namespace callcast::rtp
