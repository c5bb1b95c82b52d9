#pragma once
// RTSP interleaved binary data (RFC 2326 §10.12): '$', channel (8 bits), length (16 bits),
// then `length` bytes of RTP or RTCP, mixed with RTSP messages on one TCP connection.
#include <cstdint>
#include <variant>

#include "rtp/byte_io.hpp"

namespace callcast::rtp {

struct InterleavedFrame {
  std::uint8_t channel = 0;
  Bytes payload;
  std::size_t consumed = 0;  // 4 + payload size
};
struct NeedMoreData {
  std::size_t at_least = 0;  // total bytes needed from the start of the buffer
};
struct NotInterleaved {};  // the buffer starts with something other than '$' (an RTSP message)

using InterleavedParse = std::variant<InterleavedFrame, NeedMoreData, NotInterleaved>;

InterleavedParse parse_interleaved_frame(Bytes buffer);

// Writes the 4-byte header for a payload of `size` bytes. `size` must be <= 65535.
void write_interleaved_header(std::uint8_t out[4], std::uint8_t channel, std::size_t size);

}  // namespace callcast::rtp
