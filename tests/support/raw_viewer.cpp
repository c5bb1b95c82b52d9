#include "support/raw_viewer.hpp"

#include <array>
#include <charconv>

#include "rtp/h264.hpp"
#include "rtp/rtcp.hpp"
#include "rtp/rtp_packet_view.hpp"
#include "rtsp/transport_header.hpp"

namespace callcast::test {

namespace {

std::string response_text(const std::optional<rtsp::RtspResponse>& response,
                          const RtspTestClient& client) {
  if (!response) return "no response (" + client.error() + ")";
  std::string text = std::to_string(response->status) + " " + response->reason;
  if (auto warning = response->header("Warning")) text += " Warning: " + std::string(*warning);
  return text;
}

}  // namespace

std::string describe_h264_payload(const std::vector<std::uint8_t>& packet) {
  auto view = rtp::RtpPacketView::parse(rtp::Bytes(packet));
  if (!view) return "not-RTP";
  const auto payload = view->payload();
  if (payload.empty()) return "empty";
  const int type = payload[0] & 0x1f;
  std::string text;
  if (type == rtp::kNalStapA) {
    text = "STAP-A[";
    std::size_t offset = 1;
    bool first = true;
    while (offset + 2 < payload.size()) {
      const std::size_t size = rtp::read_u16(&payload[offset]);
      offset += 2;
      if (size == 0 || offset + size > payload.size()) break;
      text += (first ? "" : ",") + std::to_string(payload[offset] & 0x1f);
      first = false;
      offset += size;
    }
    text += "]";
  } else if (type == rtp::kNalFuA && payload.size() >= 2) {
    text = "FU-A(" + std::to_string(payload[1] & 0x1f);
    if (payload[1] & 0x80) text += ",start";
    if (payload[1] & 0x40) text += ",end";
    text += ")";
  } else {
    text = std::to_string(type);
  }
  if (view->marker()) text += "+M";
  return text;
}

std::optional<RtpInfoEntry> rtp_info_for(std::string_view rtp_info, std::string_view track_url) {
  // url=rtsp://h/groups/G/trackID=0?token=T;seq=12;rtptime=34,url=...
  while (!rtp_info.empty()) {
    const auto comma = rtp_info.find(',');
    std::string_view entry = rtp_info.substr(0, comma);
    rtp_info = comma == std::string_view::npos ? std::string_view{} : rtp_info.substr(comma + 1);
    while (!entry.empty() && entry.front() == ' ')
      entry.remove_prefix(1);
    RtpInfoEntry out;
    bool matches = false;
    while (!entry.empty()) {
      const auto semicolon = entry.find(';');
      const std::string_view parameter = entry.substr(0, semicolon);
      entry =
          semicolon == std::string_view::npos ? std::string_view{} : entry.substr(semicolon + 1);
      const auto parse_number = [](std::string_view text) -> std::optional<std::uint64_t> {
        std::uint64_t value = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
        return value;
      };
      if (parameter.starts_with("url=")) {
        matches = parameter.substr(4) == track_url;
      } else if (parameter.starts_with("seq=")) {
        if (auto v = parse_number(parameter.substr(4)); v && *v <= 0xffff) {
          out.seq = static_cast<std::uint16_t>(*v);
        }
      } else if (parameter.starts_with("rtptime=")) {
        if (auto v = parse_number(parameter.substr(8)); v && *v <= 0xffffffffULL) {
          out.rtptime = static_cast<std::uint32_t>(*v);
        }
      }
    }
    if (matches) return out;
  }
  return std::nullopt;
}

bool rtcp_has_bye(const std::vector<std::uint8_t>& compound) {
  auto parsed = rtp::RtcpCompoundView::parse(rtp::Bytes(compound));
  if (!parsed) return false;
  for (const auto& packet : *parsed) {
    if (packet.type() == static_cast<std::uint8_t>(rtp::RtcpType::bye)) return true;
  }
  return false;
}

::testing::AssertionResult RawViewer::start(const std::string& play_url, bool with_audio) {
  play_url_ = play_url;
  if (!udp_.ok()) return ::testing::AssertionFailure() << "UDP ports: " << udp_.error();
  if (!rtsp_.connect_to(play_url)) {
    return ::testing::AssertionFailure() << "connect: " << rtsp_.error();
  }
  server_host_ = rtsp_authority(play_url)->host;
  const auto described = rtsp_.describe(play_url);
  if (!described || described->status != 200) {
    return ::testing::AssertionFailure() << "DESCRIBE -> " << response_text(described, rtsp_);
  }
  const std::string base(described->header("Content-Base").value_or(play_url));
  for (const auto& track : sdp_tracks(described->body, base)) {
    if (track.media == "video") video_ = track;
    if (track.media == "audio") audio_ = track;
  }
  if (video_.control.empty()) {
    return ::testing::AssertionFailure() << "DESCRIBE SDP has no video track with a control:\n"
                                         << described->body;
  }
  const auto set_up = rtsp_.setup_udp(video_.control, udp_.rtp_port());
  if (!set_up || set_up->status != 200) {
    return ::testing::AssertionFailure()
           << "SETUP " << video_.control << " -> " << response_text(set_up, rtsp_);
  }
  if (auto transport = set_up->header("Transport")) {
    auto specs = rtsp::parse_transport(*transport);
    if (specs && !specs->empty()) {
      if ((*specs)[0].server_port) server_rtcp_port_ = (*specs)[0].server_port->second;
      if ((*specs)[0].ssrc) video_ssrc_ = *(*specs)[0].ssrc;
    }
  }
  play_sent_at_ = std::chrono::steady_clock::now();
  if (with_audio) {
    if (audio_.control.empty()) {
      return ::testing::AssertionFailure() << "DESCRIBE SDP has no audio track:\n"
                                           << described->body;
    }
    if (!audio_udp_.ok()) return ::testing::AssertionFailure() << audio_udp_.error();
    const auto audio_set_up = rtsp_.setup_udp(audio_.control, audio_udp_.rtp_port());
    if (!audio_set_up || audio_set_up->status != 200) {
      return ::testing::AssertionFailure()
             << "SETUP " << audio_.control << " -> " << response_text(audio_set_up, rtsp_);
    }
  }
  const auto played = rtsp_.play(play_url);
  play_answered_at_ = std::chrono::steady_clock::now();
  if (!played || played->status != 200) {
    return ::testing::AssertionFailure() << "PLAY -> " << response_text(played, rtsp_);
  }
  if (auto rtp_info = played->header("RTP-Info")) {
    if (auto entry = rtp_info_for(*rtp_info, video_.control)) {
      rtp_info_seq_ = entry->seq;
      rtp_info_rtptime_ = entry->rtptime;
    }
    if (with_audio)
      audio_rtp_info_ = rtp_info_for(*rtp_info, audio_.control).value_or(RtpInfoEntry{});
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult RawViewer::receive_first_keyframe(FirstKeyframe& out, Duration timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool seen_slice = false;
  bool in_idr = false;
  std::uint32_t idr_timestamp = 0;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<Duration>(deadline - std::chrono::steady_clock::now());
    auto datagram = udp_.receive_rtp(std::max(left, Duration(0)));
    if (!datagram) {
      return ::testing::AssertionFailure()
             << "no complete IDR within " << timeout.count() << " ms of PLAY; received "
             << out.packet_count << " video packets: " << out.packets;
    }
    auto view = rtp::RtpPacketView::parse(rtp::Bytes(*datagram));
    if (!view) continue;
    highest_seq_ = view->sequence_number();
    auto info = rtp::inspect_h264_payload(view->payload());
    if (++out.packet_count == 1) {
      out.first_sequence = view->sequence_number();
      out.first_timestamp = view->timestamp();
      out.rtp_info_sequence = rtp_info_seq_;
      out.rtp_info_timestamp = rtp_info_rtptime_;
    }
    if (out.packet_count <= 64) {
      out.packets += (out.packets.empty() ? "" : " ") + describe_h264_payload(*datagram);
    }
    if (!info) continue;
    if (!seen_slice) {
      out.sps_before_first_slice = out.sps_before_first_slice || info->has_sps;
      out.pps_before_first_slice = out.pps_before_first_slice || info->has_pps;
    }
    const int type = view->payload()[0] & 0x1f;
    const int inner =
        type == rtp::kNalFuA && view->payload().size() >= 2 ? (view->payload()[1] & 0x1f) : type;
    const bool slice = inner == rtp::kNalSlice || inner == rtp::kNalIdr || info->has_idr;
    if (slice && !seen_slice) {
      seen_slice = true;
      out.first_slice_is_idr = inner == rtp::kNalIdr || info->has_idr;
      if (!out.first_slice_is_idr) return ::testing::AssertionSuccess();  // the caller judges
      in_idr = true;
      idr_timestamp = view->timestamp();
    }
    if (in_idr && view->timestamp() == idr_timestamp && view->marker()) {
      const auto now = std::chrono::steady_clock::now();
      out.play_to_complete_idr = now - play_answered_at_;
      out.play_sent_to_complete_idr = now - play_sent_at_;
      return ::testing::AssertionSuccess();
    }
  }
}

std::optional<RawViewer::FirstAudio> RawViewer::receive_first_audio(Duration timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<Duration>(deadline - std::chrono::steady_clock::now());
    auto datagram = audio_udp_.receive_rtp(std::max(left, Duration(0)));
    if (!datagram) return std::nullopt;
    auto view = rtp::RtpPacketView::parse(rtp::Bytes(*datagram));
    if (!view) continue;
    return FirstAudio{view->sequence_number(), view->timestamp(), audio_rtp_info_.seq,
                      audio_rtp_info_.rtptime};
  }
}

std::size_t RawViewer::count_rtp(Duration window) {
  const auto deadline = std::chrono::steady_clock::now() + window;
  std::size_t count = 0;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<Duration>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return count;
    auto datagram = udp_.receive_rtp(left);
    if (!datagram) continue;
    ++count;
    if (auto view = rtp::RtpPacketView::parse(rtp::Bytes(*datagram))) {
      highest_seq_ = view->sequence_number();
    }
  }
}

bool RawViewer::wait_for_bye(Duration timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<Duration>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    auto compound = udp_.receive_rtcp(left);
    if (!compound) return false;
    if (rtcp_has_bye(*compound)) return true;
  }
}

bool RawViewer::send_receiver_report() {
  if (server_rtcp_port_ == 0) return false;
  rtp::ReportBlock block;
  block.ssrc = video_ssrc_;
  block.highest_sequence = highest_seq_;
  std::array<std::uint8_t, 128> out{};
  const std::size_t size =
      rtp::write_receiver_report(out, 0x5eed0001U, std::span<const rtp::ReportBlock>(&block, 1));
  if (size == 0) return false;
  return udp_.send_rtcp(std::span<const std::uint8_t>(out.data(), size), server_host_,
                        server_rtcp_port_);
}

::testing::AssertionResult RawViewer::teardown() {
  const auto response = rtsp_.teardown(play_url_);
  if (!response || response->status != 200) {
    return ::testing::AssertionFailure() << "TEARDOWN -> " << response_text(response, rtsp_);
  }
  return ::testing::AssertionSuccess();
}

}  // namespace callcast::test
