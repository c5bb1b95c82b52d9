#include "rtp/rtx_packet.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

namespace callcast::rtp {
namespace {

using Packet = std::vector<std::uint8_t>;

Bytes bytes_of(const Packet& packet) {
  return Bytes(packet.data(), packet.size());
}

// An original with everything RFC 4588 §4 must carry over or drop: padding, a header extension,
// a CSRC and the marker.
const Packet kOriginal = {0xb1, 0xe0, 0xff, 0xfe,  // V=2 P=1 X=1 CC=1, M=1 PT=96, seq 65534
                          0x11, 0x22, 0x33, 0x44,  // timestamp
                          0x01, 0x02, 0x03, 0x04,  // SSRC
                          0x0a, 0x0b, 0x0c, 0x0d,  // CSRC
                          0xbe, 0xde, 0x00, 0x01,  // one-byte extension header, 1 word
                          0x10, 0xaa, 0x00, 0x00,  // id 1, len 1: 0xaa, then padding
                          'a',  'b',  'c',         // payload
                          0x00, 0x00, 0x03};       // RTP padding, count 3

// Its RTX packet (PT 97, SSRC 0x05060708, RTX sequence 1): P cleared, marker and timestamp kept,
// OSN 65534 ahead of the payload, padding gone.
const Packet kRtx = {0x91, 0xe1, 0x00, 0x01,  // V=2 P=0 X=1 CC=1, M=1 PT=97, RTX seq 1
                     0x11, 0x22, 0x33, 0x44,  // timestamp
                     0x05, 0x06, 0x07, 0x08,  // RTX SSRC
                     0x0a, 0x0b, 0x0c, 0x0d,  // CSRC
                     0xbe, 0xde, 0x00, 0x01, 0x10, 0xaa, 0x00, 0x00,  // extension
                     0xff, 0xfe,                                      // OSN
                     'a',  'b',  'c'};

// The original rebuilt from kRtx: as sent, less its padding.
const Packet kRebuilt = {0x91, 0xe0, 0xff, 0xfe, 0x11, 0x22, 0x33, 0x44, 0x01,
                         0x02, 0x03, 0x04, 0x0a, 0x0b, 0x0c, 0x0d, 0xbe, 0xde,
                         0x00, 0x01, 0x10, 0xaa, 0x00, 0x00, 'a',  'b',  'c'};

Packet write(const Packet& original, std::uint8_t pt = 97, std::uint32_t ssrc = 0x05060708,
             std::uint16_t seq = 1) {
  Packet out(1500);
  out.resize(write_rtx_packet(out, bytes_of(original), pt, ssrc, seq));
  return out;
}

std::optional<Packet> rebuild(const Packet& rtx, std::uint8_t pt = 96,
                              std::uint32_t ssrc = 0x01020304) {
  Packet out(1500);
  const auto view = parse_rtx_packet(bytes_of(rtx), pt, ssrc, out);
  if (!view) return std::nullopt;
  EXPECT_EQ(view->bytes().data(), out.data());
  return Packet(view->bytes().begin(), view->bytes().end());
}

TEST(RtxPacket, WritesGoldenBytes) {
  EXPECT_EQ(write(kOriginal), kRtx);
}

// GStreamer 1.22's rtprtxsend (payload-type-map 96=97, ssrc-map to 0x05060708), given
// kOriginal and then a GstRTPRetransmissionRequest for it, sent these bytes: the same as kRtx but
// for its own RTX sequence number. It too drops the padding and keeps the extension.
const Packet kCapturedGstreamerRtx = {0x91, 0xe1, 0xa4, 0x2a, 0x11, 0x22, 0x33, 0x44, 0x05, 0x06,
                                      0x07, 0x08, 0x0a, 0x0b, 0x0c, 0x0d, 0xbe, 0xde, 0x00, 0x01,
                                      0x10, 0xaa, 0x00, 0x00, 0xff, 0xfe, 0x61, 0x62, 0x63};

TEST(RtxPacket, WritesWhatGstreamerRtprtxsendWrites) {
  EXPECT_EQ(write(kOriginal, 97, 0x05060708, 0xa42a), kCapturedGstreamerRtx);
  EXPECT_EQ(rebuild(kCapturedGstreamerRtx), kRebuilt);
}

TEST(RtxPacket, RebuildsTheOriginalWithoutItsPadding) {
  const auto rebuilt = rebuild(kRtx);
  ASSERT_TRUE(rebuilt);
  EXPECT_EQ(*rebuilt, kRebuilt);
  const auto view = RtpPacketView::parse(bytes_of(*rebuilt));
  ASSERT_TRUE(view);
  EXPECT_TRUE(view->marker());
  EXPECT_EQ(view->sequence_number(), 65534);
  const auto original = RtpPacketView::parse(bytes_of(kOriginal));
  ASSERT_TRUE(original);
  EXPECT_TRUE(std::ranges::equal(view->payload(), original->payload()));
}

TEST(RtxPacket, RoundTripsAcrossSequenceWrap) {
  Packet original = kRebuilt;
  for (const std::uint16_t seq : std::array<std::uint16_t, 3>{65535, 0, 1}) {
    set_sequence_number(original, seq);
    const Packet rtx = write(original, 97, 9, static_cast<std::uint16_t>(seq + 7));
    const auto view = RtpPacketView::parse(bytes_of(rtx));
    ASSERT_TRUE(view);
    EXPECT_EQ(view->sequence_number(), static_cast<std::uint16_t>(seq + 7));
    const auto rebuilt = rebuild(rtx);
    ASSERT_TRUE(rebuilt);
    EXPECT_EQ(*rebuilt, original) << seq;
  }
}

TEST(RtxPacket, RoundTripsMinimalPacketWithEmptyPayload) {
  const Packet original = {0x80, 0x60, 0x00, 0x05, 0, 0, 0, 1, 0, 0, 0, 2};
  const Packet rtx = write(original);
  ASSERT_EQ(rtx.size(), 14U);
  EXPECT_EQ(rtx[12], 0x00);
  EXPECT_EQ(rtx[13], 0x05);
  EXPECT_EQ(rebuild(rtx, 96, 2), original);
}

TEST(RtxPacket, IgnoresTheRtxPacketsOwnPadding) {
  Packet rtx = kRtx;
  rtx[0] |= 0x20;
  rtx.insert(rtx.end(), {0, 0, 0, 4});
  EXPECT_EQ(rebuild(rtx), kRebuilt);
}

TEST(RtxPacket, WriterRefusesInvalidOriginal) {
  Packet bytes = kOriginal;
  bytes[0] = 0x71;  // version 1
  EXPECT_TRUE(write(bytes).empty());
  bytes = kOriginal;
  bytes.back() = 9;  // padding longer than the payload
  EXPECT_TRUE(write(bytes).empty());
  bytes = Packet(kOriginal.begin(), kOriginal.begin() + 18);  // cut in the extension
  EXPECT_TRUE(write(bytes).empty());
}

TEST(RtxPacket, RefusesPayloadTypeOver127) {
  EXPECT_TRUE(write(kOriginal, 128).empty());
  EXPECT_FALSE(rebuild(kRtx, 128));
}

TEST(RtxPacket, WriterReturnsZeroWhenBufferTooSmall) {
  std::array<std::uint8_t, 28> out{};
  ASSERT_EQ(kRtx.size(), 29U);
  for (std::size_t size = 0; size <= out.size(); ++size) {
    EXPECT_EQ(write_rtx_packet(MutableBytes(out.data(), size), bytes_of(kOriginal), 97, 1, 1), 0U)
        << size;
  }
}

TEST(RtxPacket, ParserRefusesPacketWithoutOsn) {
  Packet rtx(kRtx.begin(), kRtx.begin() + 25);  // one OSN byte only
  EXPECT_FALSE(rebuild(rtx));
  rtx.resize(24);
  EXPECT_FALSE(rebuild(rtx));
  rtx = kRtx;
  rtx[0] |= 0x20;
  rtx.back() = 4;  // padding: 'abc' and the OSN's second byte
  EXPECT_FALSE(rebuild(rtx));
}

TEST(RtxPacket, ParserRefusesInvalidRtpAndSmallBuffer) {
  Packet rtx = kRtx;
  rtx[0] = 0x9f;  // 15 CSRCs: past the buffer
  EXPECT_FALSE(rebuild(rtx));
  std::array<std::uint8_t, 26> out{};
  for (std::size_t size = 0; size <= out.size(); ++size) {
    EXPECT_FALSE(parse_rtx_packet(bytes_of(kRtx), 96, 1, MutableBytes(out.data(), size))) << size;
  }
}

}  // namespace
}  // namespace callcast::rtp
