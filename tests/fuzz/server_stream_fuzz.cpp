// Fuzzes what the broadcaster reads off its RECORD connection (issue 12): the server's byte
// stream split into RTSP messages and interleaved frames (ServerStreamReader), in chunks cut at
// the input's own first byte, and every RTCP frame read for keyframe and bitrate requests
// (read_feedback_requests).
#include <cstddef>
#include <cstdint>

#include "terminal/media/feedback_requests.hpp"
#include "terminal/media/server_stream_reader.hpp"

using namespace callcast;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t chunk = 1 + data[0] % 64;
  std::uint64_t frames = 0;
  terminal::ServerStreamReader reader([&](std::uint8_t channel, rtp::Bytes rtcp) {
    if (channel % 2 != 1 || rtcp.size() > 0xffff) __builtin_trap();
    ++frames;
    if (const auto requests = terminal::read_feedback_requests(rtcp)) {
      if (requests->count > requests->items.size()) __builtin_trap();
    }
  });
  for (std::size_t at = 1; at < size; at += chunk) {
    reader.feed(rtp::Bytes(data + at, std::min(chunk, size - at)));
  }
  if (reader.rtcp_frames() != frames) __builtin_trap();
  return 0;
}
