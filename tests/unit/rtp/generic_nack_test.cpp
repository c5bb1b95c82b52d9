#include "rtp/generic_nack.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

#include "single_rtcp_packet.hpp"

namespace callcast::rtp {
namespace {

using Packet = std::vector<std::uint8_t>;
using SequenceList = std::vector<std::uint16_t>;

// RFC 4585 §6.2.1 by hand: sender 0x01020304 reports to media source 0xd7ab542b that it lost
// 1000, 1001, 1003 and 1016 (one item), then 2000 alone.
const Packet kTwoItems = {0x81, 0xcd, 0x00, 0x04,   // V=2 FMT=1 PT=205 (RTPFB) length=4 words
                          0x01, 0x02, 0x03, 0x04,   // SSRC of packet sender
                          0xd7, 0xab, 0x54, 0x2b,   // SSRC of media source
                          0x03, 0xe8, 0x80, 0x05,   // PID=1000, BLP bits 0, 2, 15: 1001, 1003, 1016
                          0x07, 0xd0, 0x00, 0x00};  // PID=2000, BLP=0
const SequenceList kTwoItemsLost = {1000, 1001, 1003, 1016, 2000};

// Wrap-around: PID 65530 with BLP bits naming 65531, 65535, 0 and 10 (bits 0, 4, 5, 15).
const Packet kWrapping = {0x81, 0xcd, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01,
                          0x00, 0x00, 0x00, 0x02, 0xff, 0xfa, 0x80, 0x31};
const SequenceList kWrappingLost = {65530, 65531, 65535, 0, 10};

// Captured from GStreamer 1.22's rtpbin (rtpsession, AVPF, do-retransmission) receiving H.264
// over a path dropping 5 % of packets: RR, SDES CNAME, then the generic NACK.
const Packet kCapturedGstreamerCompound = {
    0x80, 0xc9, 0x00, 0x01, 0xc8, 0x13, 0x11, 0x44, 0x81, 0xca, 0x00, 0x09, 0xc8, 0x13,
    0x11, 0x44, 0x01, 0x1c, 0x75, 0x73, 0x65, 0x72, 0x31, 0x38, 0x36, 0x32, 0x39, 0x34,
    0x33, 0x35, 0x33, 0x36, 0x40, 0x68, 0x6f, 0x73, 0x74, 0x2d, 0x65, 0x34, 0x30, 0x64,
    0x62, 0x62, 0x37, 0x38, 0x00, 0x00, 0x81, 0xcd, 0x00, 0x06,  // NACK: length 6 words
    0xc8, 0x13, 0x11, 0x44,                                      // sender
    0xa7, 0xd6, 0x82, 0xb4,                                      // media source
    0x22, 0x6c, 0x00, 0x09,   // 8812, BLP bits 0 and 3: 8813, 8816
    0x22, 0x7d, 0x00, 0x08,   // 8829, bit 3: 8833
    0x22, 0xa2, 0x00, 0x04,   // 8866, bit 2: 8869
    0x22, 0xbb, 0x01, 0xa0};  // 8891, bits 5, 7, 8: 8897, 8899, 8900
const SequenceList kCapturedLost = {8812, 8813, 8816, 8829, 8833, 8866,
                                    8869, 8891, 8897, 8899, 8900};

std::optional<GenericNack> parse(const Packet& bytes) {
  return parse_single(bytes, parse_generic_nack);
}

SequenceList lost_of(const GenericNack& nack) {
  SequenceList lost;
  nack.for_each_lost([&lost](std::uint16_t seq) { lost.push_back(seq); });
  return lost;
}

Packet write(const SequenceList& lost, std::uint32_t sender = 0x01020304,
             std::uint32_t media = 0xd7ab542b) {
  Packet out(4096);
  out.resize(write_generic_nack(out, sender, media, lost));
  return out;
}

TEST(GenericNack, ParsesGoldenBytes) {
  const auto nack = parse(kTwoItems);
  ASSERT_TRUE(nack);
  EXPECT_EQ(nack->sender_ssrc, 0x01020304U);
  EXPECT_EQ(nack->media_ssrc, 0xd7ab542bU);
  ASSERT_EQ(nack->item_count, 2U);
  EXPECT_EQ(nack->items[0], (NackItem{.pid = 1000, .blp = 0x8005}));
  EXPECT_EQ(nack->items[1], (NackItem{.pid = 2000, .blp = 0}));
  EXPECT_FALSE(nack->truncated);
  EXPECT_EQ(lost_of(*nack), kTwoItemsLost);
}

TEST(GenericNack, WritesGoldenBytes) {
  EXPECT_EQ(write(kTwoItemsLost), kTwoItems);
}

TEST(GenericNack, ParsesCapturedGstreamerCompound) {
  const Bytes bytes(kCapturedGstreamerCompound.data(), kCapturedGstreamerCompound.size());
  const auto compound = RtcpCompoundView::parse(bytes);
  ASSERT_TRUE(compound);
  ASSERT_EQ(compound->size(), 3U);
  EXPECT_FALSE(parse_generic_nack((*compound)[0]));
  EXPECT_FALSE(parse_generic_nack((*compound)[1]));
  const auto nack = parse_generic_nack((*compound)[2]);
  ASSERT_TRUE(nack);
  EXPECT_EQ(nack->sender_ssrc, 0xc8131144U);
  EXPECT_EQ(nack->media_ssrc, 0xa7d682b4U);
  EXPECT_EQ(nack->item_count, 4U);
  EXPECT_EQ(lost_of(*nack), kCapturedLost);
}

TEST(GenericNack, PacksLikeGstreamer) {
  const Packet nack(kCapturedGstreamerCompound.begin() + 48, kCapturedGstreamerCompound.end());
  EXPECT_EQ(write(kCapturedLost, 0xc8131144, 0xa7d682b4), nack);
}

TEST(GenericNack, ParsesBlpPastSequenceWrap) {
  const auto nack = parse(kWrapping);
  ASSERT_TRUE(nack);
  EXPECT_EQ(lost_of(*nack), kWrappingLost);
}

TEST(GenericNack, PacksLossAcrossSequenceWrapIntoOneItem) {
  EXPECT_EQ(write(kWrappingLost, 1, 2), kWrapping);
}

TEST(GenericNack, PacksSeventeenConsecutiveIntoOneItemAndEighteenIntoTwo) {
  SequenceList lost;
  for (std::uint16_t seq = 65535 - 5; lost.size() < 17; ++seq)
    lost.push_back(seq);
  Packet bytes = write(lost);
  ASSERT_EQ(bytes.size(), 16U);
  EXPECT_EQ(bytes[14], 0xff);
  EXPECT_EQ(bytes[15], 0xff);

  lost.push_back(static_cast<std::uint16_t>(lost.back() + 1));
  bytes = write(lost);
  ASSERT_EQ(bytes.size(), 20U);
  const auto nack = parse(bytes);
  ASSERT_TRUE(nack);
  EXPECT_EQ(nack->items[1], (NackItem{.pid = 11, .blp = 0}));
  EXPECT_EQ(lost_of(*nack), lost);
}

TEST(GenericNack, RoundTripsSparseLossOverManyItems) {
  SequenceList lost;
  for (std::uint32_t i = 0; i < 40; ++i)
    lost.push_back(static_cast<std::uint16_t>(65000 + i * 37));  // wraps once
  const auto nack = parse(write(lost));
  ASSERT_TRUE(nack);
  EXPECT_EQ(nack->item_count, 40U);
  EXPECT_EQ(lost_of(*nack), lost);
}

TEST(GenericNack, OutOfOrderAndRepeatedInputStillNamesEveryPacket) {
  const auto nack = parse(write({10, 5, 5, 6, 10, 30}));
  ASSERT_TRUE(nack);
  // 10 opens an item, 5 lies before it and opens another (taking 6 and 10), 30 is too far.
  ASSERT_EQ(nack->item_count, 3U);
  EXPECT_EQ(lost_of(*nack), (SequenceList{10, 5, 6, 10, 30}));
}

TEST(GenericNack, WriterRefusesEmptyList) {
  std::array<std::uint8_t, 64> out{};
  EXPECT_EQ(write_generic_nack(out, 1, 2, {}), 0U);
}

TEST(GenericNack, WriterReturnsZeroWhenBufferTooSmall) {
  std::array<std::uint8_t, 19> out{};
  for (std::size_t size = 0; size <= out.size(); ++size) {
    EXPECT_EQ(write_generic_nack(MutableBytes(out.data(), size), 1, 2, kTwoItemsLost), 0U) << size;
  }
}

TEST(GenericNack, ParsesUpToMaxItemsAndMarksTruncated) {
  SequenceList lost;
  for (std::size_t i = 0; i < GenericNack::kMaxItems + 3; ++i)
    lost.push_back(static_cast<std::uint16_t>(i * 100));
  const auto nack = parse(write(lost));
  ASSERT_TRUE(nack);
  EXPECT_TRUE(nack->truncated);
  ASSERT_EQ(nack->item_count, GenericNack::kMaxItems);
  EXPECT_EQ(lost_of(*nack), SequenceList(lost.begin(), lost.begin() + GenericNack::kMaxItems));
}

TEST(GenericNack, RejectsPacketWithoutItems) {
  Packet bytes(kTwoItems.begin(), kTwoItems.begin() + 12);
  bytes[3] = 2;  // the length agrees: only the two SSRCs
  EXPECT_FALSE(parse(bytes));
}

TEST(GenericNack, RejectsLengthShorterThanTheSsrcs) {
  Packet bytes(kTwoItems.begin(), kTwoItems.begin() + 8);
  bytes[3] = 1;
  EXPECT_FALSE(parse(bytes));
}

TEST(GenericNack, RejectsLengthPastTheBuffer) {
  Packet bytes = kTwoItems;
  bytes[3] = 5;  // one word more than there is
  EXPECT_FALSE(RtcpCompoundView::parse(Bytes(bytes.data(), bytes.size())));
}

TEST(GenericNack, RejectsPaddingThatSplitsAnItem) {
  // P set, the last item's two last octets are padding (count 2): 6 bytes of FCI are left.
  Packet bytes = kTwoItems;
  bytes[0] |= 0x20;
  bytes.back() = 2;
  EXPECT_FALSE(parse(bytes));
}

TEST(GenericNack, DoesNotReadPaddingAsItem) {
  Packet bytes = kTwoItems;
  bytes[0] |= 0x20;
  bytes[3] = 5;
  bytes.insert(bytes.end(), {0, 0, 0, 4});
  const auto nack = parse(bytes);
  ASSERT_TRUE(nack);
  EXPECT_EQ(nack->item_count, 2U);
}

TEST(GenericNack, RejectsOtherFormatsAndTypes) {
  Packet bytes = kTwoItems;
  bytes[0] = 0x83;  // RTPFB FMT=3: TMMBR
  EXPECT_FALSE(parse(bytes));
  bytes[0] = 0x81;
  bytes[1] = 206;  // PSFB FMT=1: PLI
  EXPECT_FALSE(parse(bytes));
}

}  // namespace
}  // namespace callcast::rtp
