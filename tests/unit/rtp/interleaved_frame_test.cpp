#include "rtp/interleaved_frame.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

namespace callcast::rtp {
namespace {

using Buffer = std::vector<std::uint8_t>;

Bytes bytes_of(const Buffer& buffer) {
  return Bytes(buffer.data(), buffer.size());
}

// Channel 0 carrying the 18-byte RTP packet (a P slice) captured from ffmpeg's RTP muxer, as
// an RTSP server sends it over TCP.
const Buffer kRtpOnChannelZero = {0x24, 0x00, 0x00, 0x12, 0x80, 0x60, 0x08, 0xfc, 0x8d, 0x08, 0x9c,
                                  0x64, 0xd7, 0xab, 0x54, 0x2b, 0x41, 0x9b, 0x20, 0x7a, 0x01, 0x43};

TEST(InterleavedFrame, ParsesGoldenFrame) {
  const auto parsed = parse_interleaved_frame(bytes_of(kRtpOnChannelZero));
  const auto* frame = std::get_if<InterleavedFrame>(&parsed);
  ASSERT_NE(frame, nullptr);
  EXPECT_EQ(frame->channel, 0);
  EXPECT_EQ(frame->consumed, kRtpOnChannelZero.size());
  EXPECT_EQ(frame->payload.data(), kRtpOnChannelZero.data() + 4);
  EXPECT_EQ(frame->payload.size(), 18U);
}

TEST(InterleavedFrame, ParsesZeroLengthFrame) {
  const Buffer buffer = {0x24, 0x01, 0x00, 0x00};
  const auto parsed = parse_interleaved_frame(bytes_of(buffer));
  const auto* frame = std::get_if<InterleavedFrame>(&parsed);
  ASSERT_NE(frame, nullptr);
  EXPECT_EQ(frame->channel, 1);
  EXPECT_TRUE(frame->payload.empty());
  EXPECT_EQ(frame->consumed, 4U);
}

TEST(InterleavedFrame, ParsesLargestFrame) {
  Buffer buffer(4 + 0xffff, 0xab);
  buffer[0] = 0x24;
  buffer[1] = 0xff;
  buffer[2] = 0xff;
  buffer[3] = 0xff;
  const auto parsed = parse_interleaved_frame(bytes_of(buffer));
  const auto* frame = std::get_if<InterleavedFrame>(&parsed);
  ASSERT_NE(frame, nullptr);
  EXPECT_EQ(frame->channel, 0xff);
  EXPECT_EQ(frame->payload.size(), 0xffffU);
}

TEST(InterleavedFrame, LeavesBytesAfterFrameForNextCall) {
  Buffer buffer = kRtpOnChannelZero;
  const Buffer rtcp_on_channel_one = {0x24, 0x01, 0x00, 0x04, 0x80, 0xc9, 0x00, 0x00};
  buffer.insert(buffer.end(), rtcp_on_channel_one.begin(), rtcp_on_channel_one.end());

  const auto first = parse_interleaved_frame(bytes_of(buffer));
  const auto* rtp = std::get_if<InterleavedFrame>(&first);
  ASSERT_NE(rtp, nullptr);
  EXPECT_EQ(rtp->consumed, kRtpOnChannelZero.size());

  const auto second = parse_interleaved_frame(bytes_of(buffer).subspan(rtp->consumed));
  const auto* rtcp = std::get_if<InterleavedFrame>(&second);
  ASSERT_NE(rtcp, nullptr);
  EXPECT_EQ(rtcp->channel, 1);
  EXPECT_EQ(rtcp->payload.size(), 4U);
  EXPECT_EQ(rtp->consumed + rtcp->consumed, buffer.size());
}

TEST(InterleavedFrame, AsksForOneByteOfEmptyBuffer) {
  const auto parsed = parse_interleaved_frame(Bytes{});
  const auto* more = std::get_if<NeedMoreData>(&parsed);
  ASSERT_NE(more, nullptr);
  EXPECT_EQ(more->at_least, 1U);
}

TEST(InterleavedFrame, AsksForWholeHeaderWhenHeaderIsCut) {
  for (std::size_t size = 1; size < 4; ++size) {
    const auto parsed = parse_interleaved_frame(Bytes(kRtpOnChannelZero.data(), size));
    const auto* more = std::get_if<NeedMoreData>(&parsed);
    ASSERT_NE(more, nullptr) << size;
    EXPECT_EQ(more->at_least, 4U);
  }
}

TEST(InterleavedFrame, AsksForWholeFrameWhenPayloadIsCut) {
  for (std::size_t size = 4; size < kRtpOnChannelZero.size(); ++size) {
    const auto parsed = parse_interleaved_frame(Bytes(kRtpOnChannelZero.data(), size));
    const auto* more = std::get_if<NeedMoreData>(&parsed);
    ASSERT_NE(more, nullptr) << size;
    EXPECT_EQ(more->at_least, kRtpOnChannelZero.size());
  }
}

TEST(InterleavedFrame, LengthFieldLongerThanBufferMeansWaitNotError) {
  Buffer buffer = kRtpOnChannelZero;
  buffer[2] = 0xff;
  buffer[3] = 0xff;
  const auto parsed = parse_interleaved_frame(bytes_of(buffer));
  const auto* more = std::get_if<NeedMoreData>(&parsed);
  ASSERT_NE(more, nullptr);
  EXPECT_EQ(more->at_least, 4U + 0xffff);
}

TEST(InterleavedFrame, ReportsRtspMessageAsNotInterleaved) {
  constexpr std::string_view kResponse = "RTSP/1.0 200 OK\r\nCSeq: 3\r\n\r\n";
  const Bytes bytes(reinterpret_cast<const std::uint8_t*>(kResponse.data()), kResponse.size());
  EXPECT_TRUE(std::holds_alternative<NotInterleaved>(parse_interleaved_frame(bytes)));
  EXPECT_TRUE(std::holds_alternative<NotInterleaved>(parse_interleaved_frame(bytes.first(1))));
}

TEST(InterleavedFrame, WritesGoldenHeader) {
  std::array<std::uint8_t, 4> header{};
  write_interleaved_header(header.data(), 0, 18);
  EXPECT_EQ(Buffer(header.begin(), header.end()),
            Buffer(kRtpOnChannelZero.begin(), kRtpOnChannelZero.begin() + 4));
  write_interleaved_header(header.data(), 3, 0xffff);
  EXPECT_EQ(Buffer(header.begin(), header.end()), (Buffer{0x24, 0x03, 0xff, 0xff}));
}

TEST(InterleavedFrame, WrittenHeaderRoundTripsThroughParser) {
  Buffer buffer(4 + 300, 0x5a);
  write_interleaved_header(buffer.data(), 7, 300);
  const auto parsed = parse_interleaved_frame(bytes_of(buffer));
  const auto* frame = std::get_if<InterleavedFrame>(&parsed);
  ASSERT_NE(frame, nullptr);
  EXPECT_EQ(frame->channel, 7);
  EXPECT_EQ(frame->payload.size(), 300U);
  EXPECT_EQ(frame->consumed, buffer.size());
}

}  // namespace
}  // namespace callcast::rtp
