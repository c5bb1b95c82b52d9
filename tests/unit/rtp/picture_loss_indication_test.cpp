#include "rtp/picture_loss_indication.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

#include "single_rtcp_packet.hpp"

namespace callcast::rtp {
namespace {

using Packet = std::vector<std::uint8_t>;

// Captured from GStreamer 1.22's rtpbin (AVPF, rtcp-fb-nack-pli) after rtph264depay lost a
// slice: RR, SDES CNAME, then the PLI.
const Packet kCapturedGstreamerCompound = {
    0x80, 0xc9, 0x00, 0x01, 0xc8, 0x13, 0x11, 0x44, 0x81, 0xca, 0x00, 0x09, 0xc8, 0x13,
    0x11, 0x44, 0x01, 0x1c, 0x75, 0x73, 0x65, 0x72, 0x31, 0x38, 0x36, 0x32, 0x39, 0x34,
    0x33, 0x35, 0x33, 0x36, 0x40, 0x68, 0x6f, 0x73, 0x74, 0x2d, 0x65, 0x34, 0x30, 0x64,
    0x62, 0x62, 0x37, 0x38, 0x00, 0x00, 0x81, 0xce, 0x00, 0x02,  // V=2 FMT=1 PT=206 (PSFB) length=2
    0xc8, 0x13, 0x11, 0x44,                                      // SSRC of packet sender
    0xa7, 0xd6, 0x82, 0xb4};                                     // SSRC of media source

const Packet kCapturedPli(kCapturedGstreamerCompound.begin() + 48,
                          kCapturedGstreamerCompound.end());

std::optional<PictureLossIndication> parse(const Packet& bytes) {
  return parse_single(bytes, parse_picture_loss_indication);
}

TEST(PictureLossIndication, ParsesCapturedGstreamerCompound) {
  const auto compound = RtcpCompoundView::parse(
      Bytes(kCapturedGstreamerCompound.data(), kCapturedGstreamerCompound.size()));
  ASSERT_TRUE(compound);
  ASSERT_EQ(compound->size(), 3U);
  EXPECT_FALSE(parse_picture_loss_indication((*compound)[0]));
  EXPECT_FALSE(parse_picture_loss_indication((*compound)[1]));
  const auto pli = parse_picture_loss_indication((*compound)[2]);
  ASSERT_TRUE(pli);
  EXPECT_EQ(*pli, (PictureLossIndication{.sender_ssrc = 0xc8131144, .media_ssrc = 0xa7d682b4}));
}

TEST(PictureLossIndication, WritesGstreamerBytes) {
  std::array<std::uint8_t, 12> out{};
  ASSERT_EQ(write_picture_loss_indication(out, 0xc8131144, 0xa7d682b4), 12U);
  EXPECT_EQ(Packet(out.begin(), out.end()), kCapturedPli);
}

TEST(PictureLossIndication, RoundTrips) {
  std::array<std::uint8_t, 32> out{};
  const std::size_t size = write_picture_loss_indication(out, 0xffffffff, 0);
  const auto pli = parse(Packet(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(size)));
  ASSERT_TRUE(pli);
  EXPECT_EQ(*pli, (PictureLossIndication{.sender_ssrc = 0xffffffff, .media_ssrc = 0}));
}

TEST(PictureLossIndication, WriterReturnsZeroWhenBufferTooSmall) {
  std::array<std::uint8_t, 11> out{};
  for (std::size_t size = 0; size <= out.size(); ++size) {
    EXPECT_EQ(write_picture_loss_indication(MutableBytes(out.data(), size), 1, 2), 0U) << size;
  }
}

TEST(PictureLossIndication, RejectsLengthShorterThanTheSsrcs) {
  Packet bytes(kCapturedPli.begin(), kCapturedPli.begin() + 8);
  bytes[3] = 1;  // the media SSRC is missing, and the length agrees
  EXPECT_FALSE(parse(bytes));
}

TEST(PictureLossIndication, RejectsPaddingOverTheMediaSsrc) {
  Packet bytes = kCapturedPli;
  bytes[0] |= 0x20;
  bytes.back() = 4;
  EXPECT_FALSE(parse(bytes));
}

TEST(PictureLossIndication, IgnoresOctetsAfterTheSsrcs) {
  Packet bytes = kCapturedPli;
  bytes[3] = 3;
  bytes.insert(bytes.end(), {1, 2, 3, 4});
  EXPECT_TRUE(parse(bytes));
}

TEST(PictureLossIndication, RejectsOtherFormatsAndTypes) {
  Packet bytes = kCapturedPli;
  bytes[0] = 0x84;  // PSFB FMT=4: FIR
  EXPECT_FALSE(parse(bytes));
  bytes[0] = 0x8f;  // PSFB FMT=15: application layer
  EXPECT_FALSE(parse(bytes));
  bytes[0] = 0x81;
  bytes[1] = 205;  // RTPFB FMT=1: generic NACK
  EXPECT_FALSE(parse(bytes));
}

}  // namespace
}  // namespace callcast::rtp
