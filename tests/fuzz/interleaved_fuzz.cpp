// Fuzzes parse_interleaved_frame the way an RTSP connection drives it: take frames off the front
// of the buffer until it asks for more data or meets an RTSP message.
#include <array>
#include <cstddef>
#include <cstdint>
#include <variant>

#include "rtp/interleaved_frame.hpp"

using namespace callcast::rtp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Bytes buffer(data, size);
  while (true) {
    const InterleavedParse parsed = parse_interleaved_frame(buffer);
    if (const auto* frame = std::get_if<InterleavedFrame>(&parsed)) {
      if (frame->consumed != 4 + frame->payload.size() || frame->consumed > buffer.size()) {
        __builtin_trap();
      }
      if (frame->payload.data() != buffer.data() + 4) __builtin_trap();
      std::array<std::uint8_t, 4> header{};
      write_interleaved_header(header.data(), frame->channel, frame->payload.size());
      for (std::size_t i = 0; i < header.size(); ++i) {
        if (header[i] != buffer[i]) __builtin_trap();
      }
      buffer = buffer.subspan(frame->consumed);
    } else if (const auto* more = std::get_if<NeedMoreData>(&parsed)) {
      if (more->at_least <= buffer.size() || more->at_least > 4 + 0xffff) __builtin_trap();
      return 0;
    } else {
      if (buffer.empty() || buffer[0] == '$') __builtin_trap();
      // An RTSP message would be handed to the RTSP parser; skip a byte to keep exploring.
      buffer = buffer.subspan(1);
    }
  }
}
