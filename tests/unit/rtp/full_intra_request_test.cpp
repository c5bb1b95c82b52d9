#include "rtp/full_intra_request.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

#include "single_rtcp_packet.hpp"

namespace callcast::rtp {
namespace {

using Packet = std::vector<std::uint8_t>;

// Captured from GStreamer 1.22's rtpbin (AVPF, rtcp-fb-ccm-fir) after rtph264depay lost a
// slice: RR, SDES CNAME, then the FIR.
const Packet kCapturedGstreamerCompound = {
    0x80, 0xc9, 0x00, 0x01, 0xf4, 0x12, 0xe6, 0xe9, 0x81, 0xca, 0x00, 0x09, 0xf4, 0x12,
    0xe6, 0xe9, 0x01, 0x1c, 0x75, 0x73, 0x65, 0x72, 0x32, 0x39, 0x33, 0x32, 0x30, 0x31,
    0x32, 0x31, 0x36, 0x38, 0x40, 0x68, 0x6f, 0x73, 0x74, 0x2d, 0x66, 0x32, 0x62, 0x37,
    0x36, 0x63, 0x34, 0x33, 0x00, 0x00, 0x84, 0xce, 0x00, 0x04,  // V=2 FMT=4 PT=206 (PSFB) length=4
    0xf4, 0x12, 0xe6, 0xe9,                                      // SSRC of packet sender
    0x00, 0x00, 0x00, 0x00,                                      // SSRC of media source: 0
    0x18, 0x9c, 0x7f, 0x75,                                      // entry: SSRC asked for a keyframe
    0x02, 0x00, 0x00, 0x00};                                     // seq nr 2, reserved

const Packet kCapturedFir(kCapturedGstreamerCompound.begin() + 48,
                          kCapturedGstreamerCompound.end());

// By hand from RFC 5104 §4.3.1: two entries, the header's media SSRC left non-zero by a sloppy
// peer (not read).
const Packet kTwoEntries = {0x84, 0xce, 0x00, 0x06,   // length=6
                            0x01, 0x02, 0x03, 0x04,   // sender
                            0x0a, 0x0b, 0x0c, 0x0d,   // media SSRC, should be 0
                            0x11, 0x11, 0x11, 0x11,   // entry 1 SSRC
                            0xff, 0x00, 0x00, 0x00,   // seq 255
                            0x22, 0x22, 0x22, 0x22,   // entry 2 SSRC
                            0x00, 0x00, 0x00, 0x00};  // seq 0

std::optional<FullIntraRequest> parse(const Packet& bytes) {
  return parse_single(bytes, parse_full_intra_request);
}

TEST(FullIntraRequest, ParsesCapturedGstreamerCompound) {
  const auto compound = RtcpCompoundView::parse(
      Bytes(kCapturedGstreamerCompound.data(), kCapturedGstreamerCompound.size()));
  ASSERT_TRUE(compound);
  ASSERT_EQ(compound->size(), 3U);
  EXPECT_FALSE(parse_full_intra_request((*compound)[1]));
  const auto fir = parse_full_intra_request((*compound)[2]);
  ASSERT_TRUE(fir);
  EXPECT_EQ(fir->sender_ssrc, 0xf412e6e9U);
  ASSERT_EQ(fir->entry_count, 1U);
  EXPECT_EQ(fir->entries[0], (FirEntry{.ssrc = 0x189c7f75, .sequence = 2}));
  EXPECT_FALSE(fir->truncated);
}

TEST(FullIntraRequest, WritesGstreamerBytes) {
  std::array<std::uint8_t, 20> out{};
  ASSERT_EQ(write_full_intra_request(out, 0xf412e6e9, 0x189c7f75, 2), 20U);
  EXPECT_EQ(Packet(out.begin(), out.end()), kCapturedFir);
}

TEST(FullIntraRequest, ParsesGoldenBytesWithTwoEntries) {
  const auto fir = parse(kTwoEntries);
  ASSERT_TRUE(fir);
  EXPECT_EQ(fir->sender_ssrc, 0x01020304U);
  ASSERT_EQ(fir->entry_count, 2U);
  EXPECT_EQ(fir->entries[0], (FirEntry{.ssrc = 0x11111111, .sequence = 255}));
  EXPECT_EQ(fir->entries[1], (FirEntry{.ssrc = 0x22222222, .sequence = 0}));
}

TEST(FullIntraRequest, RoundTripsEverySequenceNumber) {
  for (unsigned seq = 0; seq < 256; ++seq) {
    std::array<std::uint8_t, 20> out{};
    ASSERT_EQ(write_full_intra_request(out, 7, 9, static_cast<std::uint8_t>(seq)), 20U);
    const auto fir = parse(Packet(out.begin(), out.end()));
    ASSERT_TRUE(fir);
    ASSERT_EQ(fir->entry_count, 1U);
    EXPECT_EQ(fir->entries[0], (FirEntry{.ssrc = 9, .sequence = static_cast<std::uint8_t>(seq)}));
  }
}

TEST(FullIntraRequest, WriterReturnsZeroWhenBufferTooSmall) {
  std::array<std::uint8_t, 19> out{};
  for (std::size_t size = 0; size <= out.size(); ++size) {
    EXPECT_EQ(write_full_intra_request(MutableBytes(out.data(), size), 1, 2, 3), 0U) << size;
  }
}

TEST(FullIntraRequest, ParsesUpToMaxEntriesAndMarksTruncated) {
  Packet bytes = {0x84, 0xce, 0x00, 0x00, 0, 0, 0, 1, 0, 0, 0, 0};
  const std::size_t entries = FullIntraRequest::kMaxEntries + 1;
  for (std::size_t i = 0; i < entries; ++i)
    bytes.insert(bytes.end(), {0, 0, 0, static_cast<std::uint8_t>(i), 0x07, 0, 0, 0});
  bytes[3] = static_cast<std::uint8_t>(bytes.size() / 4 - 1);
  const auto fir = parse(bytes);
  ASSERT_TRUE(fir);
  EXPECT_TRUE(fir->truncated);
  ASSERT_EQ(fir->entry_count, FullIntraRequest::kMaxEntries);
  EXPECT_EQ(fir->entries[15], (FirEntry{.ssrc = 15, .sequence = 7}));
}

TEST(FullIntraRequest, RejectsPacketWithoutEntries) {
  Packet bytes(kCapturedFir.begin(), kCapturedFir.begin() + 12);
  bytes[3] = 2;
  EXPECT_FALSE(parse(bytes));
}

TEST(FullIntraRequest, RejectsHalfAnEntry) {
  Packet bytes(kCapturedFir.begin(), kCapturedFir.end() - 4);
  bytes[3] = 3;  // the length agrees: SSRC without its seq nr word
  EXPECT_FALSE(parse(bytes));
}

TEST(FullIntraRequest, RejectsPaddingThatSplitsAnEntry) {
  Packet bytes = kTwoEntries;
  bytes[0] |= 0x20;
  bytes.back() = 4;
  EXPECT_FALSE(parse(bytes));
}

TEST(FullIntraRequest, RejectsLengthPastTheBuffer) {
  Packet bytes = kCapturedFir;
  bytes[3] = 5;
  EXPECT_FALSE(RtcpCompoundView::parse(Bytes(bytes.data(), bytes.size())));
}

TEST(FullIntraRequest, RejectsOtherFormatsAndTypes) {
  Packet bytes = kCapturedFir;
  bytes[0] = 0x81;  // PSFB FMT=1: PLI
  EXPECT_FALSE(parse(bytes));
  bytes[0] = 0x84;
  bytes[1] = 205;  // RTPFB FMT=4: TMMBN
  EXPECT_FALSE(parse(bytes));
}

}  // namespace
}  // namespace callcast::rtp
