#include "terminal/media/server_stream_reader.hpp"

#include <string_view>
#include <variant>

#include "rtp/interleaved_frame.hpp"
#include "rtsp/rtsp_message.hpp"

namespace callcast::terminal {

namespace {

// A server's answers to ANNOUNCE/SETUP/RECORD are small; the limit bounds what is buffered.
constexpr rtsp::ParserLimits kLimits{std::size_t{64} * 1024, 64};

}  // namespace

void ServerStreamReader::feed(rtp::Bytes bytes) {
  if (lost_framing_) return;
  buffered_.insert(buffered_.end(), bytes.begin(), bytes.end());
  std::size_t used = 0;
  while (!lost_framing_ && used < buffered_.size()) {
    const rtp::Bytes rest(buffered_.data() + used, buffered_.size() - used);
    const auto parsed = rtp::parse_interleaved_frame(rest);
    if (const auto* frame = std::get_if<rtp::InterleavedFrame>(&parsed)) {
      if (frame->channel % 2 == 1) {
        ++rtcp_frames_;
        on_rtcp_(frame->channel, frame->payload);
      }
      used += frame->consumed;
      continue;
    }
    if (std::holds_alternative<rtp::NeedMoreData>(parsed)) break;
    const std::string_view text(reinterpret_cast<const char*>(rest.data()), rest.size());
    std::size_t consumed = 0;
    rtsp::ParseStatus status;
    if (text.starts_with("RTSP/") ||
        (text.size() < 5 && std::string_view("RTSP/").starts_with(text))) {
      const auto response = rtsp::parse_response(text, kLimits);
      status = response.status;
      consumed = response.consumed;
    } else {
      const auto request = rtsp::parse_request(text, kLimits);
      status = request.status;
      consumed = request.consumed;
    }
    if (status == rtsp::ParseStatus::need_more) break;
    if (status == rtsp::ParseStatus::error && consumed == 0) {
      lost_framing_ = true;
      break;
    }
    used += consumed;
  }
  buffered_.erase(buffered_.begin(), buffered_.begin() + static_cast<std::ptrdiff_t>(used));
  if (lost_framing_) buffered_.clear();
}

}  // namespace callcast::terminal
