#include "unit/transcode/captured_stream.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <regex>

#include "rtp/rtp_packet_view.hpp"

namespace callcast::transcode::test {

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

CapturedStream load_capture(const std::string& name) {
  const std::string base = std::string(CALLCAST_TRANSCODE_DATA) + "/" + name;
  CapturedStream stream;
  const std::string caps = read_file(base + ".caps");
  // key=(type)value pairs, as gst_caps_to_string writes them.
  const std::regex field(R"(([a-z-]+)=\((string|int|uint)\)([^,\s]+))");
  for (auto it = std::sregex_iterator(caps.begin(), caps.end(), field);
       it != std::sregex_iterator(); ++it) {
    const std::string key = (*it)[1];
    const std::string value = (*it)[3];
    if (key == "encoding-name") {
      stream.encoding = value;
    } else if (key == "clock-rate") {
      stream.clock_rate = static_cast<std::uint32_t>(std::stoul(value));
    } else if (key == "encoding-params") {
      stream.channels = static_cast<unsigned>(std::stoul(value));
    } else if (key != "media" && key != "payload" && key != "ssrc" && key != "timestamp-offset" &&
               key != "seqnum-offset" && (*it)[2] == "string") {
      stream.fmtp += (stream.fmtp.empty() ? "" : ";") + key + "=" + value;
    }
  }
  const std::string bytes = read_file(base + ".rtps");
  std::size_t offset = 0;
  while (offset + 2 <= bytes.size()) {
    const std::size_t length = (std::size_t{static_cast<std::uint8_t>(bytes[offset])} << 8) |
                               static_cast<std::uint8_t>(bytes[offset + 1]);
    offset += 2;
    EXPECT_LE(offset + length, bytes.size()) << name << ": truncated capture";
    if (offset + length > bytes.size()) break;
    stream.packets.emplace_back(bytes.begin() + static_cast<std::ptrdiff_t>(offset),
                                bytes.begin() + static_cast<std::ptrdiff_t>(offset + length));
    offset += length;
  }
  EXPECT_FALSE(stream.packets.empty()) << name;
  return stream;
}

SourceAudioFormat CapturedStream::format() const {
  auto parsed = SourceAudioFormat::from_sdp(encoding, clock_rate, channels, fmtp);
  EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error()) << " fmtp=" << fmtp;
  return parsed.ok() ? *parsed : SourceAudioFormat{};
}

AudioRtpPacket CapturedStream::packet(std::size_t index) const {
  const auto view = rtp::RtpPacketView::parse(packets.at(index));
  EXPECT_TRUE(view.has_value());
  return view ? AudioRtpPacket::from(*view) : AudioRtpPacket{};
}

}  // namespace callcast::transcode::test
