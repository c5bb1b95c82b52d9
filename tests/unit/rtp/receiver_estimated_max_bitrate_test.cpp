#include "rtp/receiver_estimated_max_bitrate.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <limits>
#include <vector>

#include "single_rtcp_packet.hpp"

namespace callcast::rtp {
namespace {

using Packet = std::vector<std::uint8_t>;

// By hand from draft-alvestrand-rmcat-remb-03 §2.2: sender 0x01020304 caps two streams at
// 1 Mbit/s, which takes an exponent (2^18 - 1 is the largest plain mantissa).
const Packet kTwoSsrcs = {
    0x8f, 0xce, 0x00, 0x06,   // V=2 FMT=15 PT=206 (PSFB) length=6
    0x01, 0x02, 0x03, 0x04,   // SSRC of packet sender
    0x00, 0x00, 0x00, 0x00,   // SSRC of media source: 0
    'R',  'E',  'M',  'B',    // unique identifier
    0x02, 0x0b, 0xd0, 0x90,   // Num SSRC=2, exp=2 (0x0b >> 2), mantissa=0x3d090 (250000)
    0xd7, 0xab, 0x54, 0x2b,   // SSRC feedback 1
    0x3a, 0x1f, 0x0b, 0x7c};  // SSRC feedback 2
const std::array<std::uint32_t, 2> kTwoSsrcsList = {0xd7ab542b, 0x3a1f0b7c};

std::optional<ReceiverEstimatedMaxBitrate> parse(const Packet& bytes) {
  return parse_single(bytes, parse_receiver_estimated_max_bitrate);
}

Packet write(std::uint64_t bitrate, std::span<const std::uint32_t> ssrcs = kTwoSsrcsList) {
  Packet out(2048);
  out.resize(write_receiver_estimated_max_bitrate(out, 0x01020304, bitrate, ssrcs));
  return out;
}

// The bitrate a REMB written for `asked` carries.
std::uint64_t written_bitrate(std::uint64_t asked) {
  const auto remb = parse(write(asked));
  return remb ? remb->bitrate_bps : std::numeric_limits<std::uint64_t>::max() - 1;
}

// Sets the exponent and mantissa of kTwoSsrcs.
Packet with_bitrate_fields(unsigned exponent, std::uint32_t mantissa) {
  Packet bytes = kTwoSsrcs;
  const std::uint32_t word = (2U << 24) | (exponent << 18) | mantissa;
  bytes[17] = static_cast<std::uint8_t>(word >> 16);
  bytes[18] = static_cast<std::uint8_t>(word >> 8);
  bytes[19] = static_cast<std::uint8_t>(word);
  return bytes;
}

TEST(ReceiverEstimatedMaxBitrate, ParsesGoldenBytes) {
  const auto remb = parse(kTwoSsrcs);
  ASSERT_TRUE(remb);
  EXPECT_EQ(remb->sender_ssrc, 0x01020304U);
  EXPECT_EQ(remb->bitrate_bps, 1'000'000U);
  ASSERT_EQ(remb->ssrc_count, 2U);
  EXPECT_EQ(remb->ssrcs[0], kTwoSsrcsList[0]);
  EXPECT_EQ(remb->ssrcs[1], kTwoSsrcsList[1]);
  EXPECT_FALSE(remb->truncated);
}

TEST(ReceiverEstimatedMaxBitrate, WritesGoldenBytes) {
  EXPECT_EQ(write(1'000'000), kTwoSsrcs);
}

TEST(ReceiverEstimatedMaxBitrate, WritesZeroAndTheLargestPlainMantissaExactly) {
  EXPECT_EQ(written_bitrate(0), 0U);
  EXPECT_EQ(written_bitrate(1), 1U);
  EXPECT_EQ(written_bitrate((1U << 18) - 1), (1U << 18) - 1);
  const Packet bytes = write((1U << 18) - 1);
  EXPECT_EQ(bytes[17], 0x03);  // exponent 0, mantissa all ones
  EXPECT_EQ(bytes[18], 0xff);
  EXPECT_EQ(bytes[19], 0xff);
}

TEST(ReceiverEstimatedMaxBitrate, RoundsDownWhenTheValueNeedsAnExponent) {
  EXPECT_EQ(written_bitrate(1U << 18), 1U << 18);
  EXPECT_EQ(written_bitrate((1U << 18) + 1), 1U << 18);  // odd: the last bit is lost
  EXPECT_EQ(written_bitrate(2'500'001), 2'500'000U);     // exp=4: a multiple of 16
  EXPECT_EQ(written_bitrate(2'500'015), 2'500'000U);
  EXPECT_EQ(written_bitrate(2'500'016), 2'500'016U);
}

TEST(ReceiverEstimatedMaxBitrate, WritesTheLargestValueBelowTheMaximum) {
  // 0x3ffff << 46 is the largest value of at most 64 bits the fields hold.
  EXPECT_EQ(written_bitrate(std::numeric_limits<std::uint64_t>::max()),
            std::uint64_t{0x3ffff} << 46);
}

TEST(ReceiverEstimatedMaxBitrate, ReadsLargestExponents) {
  auto remb = parse(with_bitrate_fields(63, 1));
  ASSERT_TRUE(remb);
  EXPECT_EQ(remb->bitrate_bps, std::uint64_t{1} << 63);
  remb = parse(with_bitrate_fields(46, 0x3ffff));
  ASSERT_TRUE(remb);
  EXPECT_EQ(remb->bitrate_bps, std::uint64_t{0x3ffff} << 46);
  remb = parse(with_bitrate_fields(63, 0));
  ASSERT_TRUE(remb);
  EXPECT_EQ(remb->bitrate_bps, 0U);
}

TEST(ReceiverEstimatedMaxBitrate, RejectsBitrateOverSixtyFourBits) {
  EXPECT_FALSE(parse(with_bitrate_fields(47, 0x3ffff)));
  EXPECT_FALSE(parse(with_bitrate_fields(63, 2)));
}

TEST(ReceiverEstimatedMaxBitrate, RoundTripsWithoutSsrcs) {
  const auto remb = parse(write(123'456'789, {}));
  ASSERT_TRUE(remb);
  EXPECT_EQ(remb->ssrc_count, 0U);
  EXPECT_LE(remb->bitrate_bps, 123'456'789U);
  EXPECT_GT(remb->bitrate_bps, 123'456'789U - (1U << 9));  // exp=9
}

TEST(ReceiverEstimatedMaxBitrate, ParsesUpToMaxSsrcsAndMarksTruncated) {
  std::vector<std::uint32_t> ssrcs(255);
  for (std::size_t i = 0; i < ssrcs.size(); ++i)
    ssrcs[i] = static_cast<std::uint32_t>(i);
  const auto remb = parse(write(5000, ssrcs));
  ASSERT_TRUE(remb);
  EXPECT_TRUE(remb->truncated);
  ASSERT_EQ(remb->ssrc_count, ReceiverEstimatedMaxBitrate::kMaxSsrcs);
  EXPECT_EQ(remb->ssrcs[15], 15U);
}

TEST(ReceiverEstimatedMaxBitrate, WriterRefusesMoreSsrcsThanNumSsrcHolds) {
  const std::vector<std::uint32_t> ssrcs(256);
  EXPECT_TRUE(write(5000, ssrcs).empty());
}

TEST(ReceiverEstimatedMaxBitrate, WriterReturnsZeroWhenBufferTooSmall) {
  std::array<std::uint8_t, 27> out{};
  for (std::size_t size = 0; size <= out.size(); ++size) {
    EXPECT_EQ(
        write_receiver_estimated_max_bitrate(MutableBytes(out.data(), size), 1, 2, kTwoSsrcsList),
        0U)
        << size;
  }
}

TEST(ReceiverEstimatedMaxBitrate, RejectsNumSsrcLargerThanTheFci) {
  Packet bytes = kTwoSsrcs;
  bytes[16] = 3;
  EXPECT_FALSE(parse(bytes));
  bytes[16] = 255;
  EXPECT_FALSE(parse(bytes));
}

TEST(ReceiverEstimatedMaxBitrate, RejectsSsrcListCutByPadding) {
  Packet bytes = kTwoSsrcs;
  bytes[0] |= 0x20;
  bytes.back() = 4;
  EXPECT_FALSE(parse(bytes));
}

TEST(ReceiverEstimatedMaxBitrate, RejectsOtherIdentifiers) {
  Packet bytes = kTwoSsrcs;
  bytes[15] = 'X';
  EXPECT_FALSE(parse(bytes));
  bytes[15] = 'B';
  bytes[12] = 'r';
  EXPECT_FALSE(parse(bytes));
}

TEST(ReceiverEstimatedMaxBitrate, RejectsFciShorterThanIdentifierAndBitrate) {
  Packet bytes(kTwoSsrcs.begin(), kTwoSsrcs.begin() + 16);
  bytes[3] = 3;  // identifier only, and the length agrees
  EXPECT_FALSE(parse(bytes));
}

TEST(ReceiverEstimatedMaxBitrate, RejectsLengthPastTheBuffer) {
  Packet bytes = kTwoSsrcs;
  bytes[3] = 7;
  EXPECT_FALSE(RtcpCompoundView::parse(Bytes(bytes.data(), bytes.size())));
}

TEST(ReceiverEstimatedMaxBitrate, RejectsOtherFormatsAndTypes) {
  Packet bytes = kTwoSsrcs;
  bytes[0] = 0x81;  // PSFB FMT=1: PLI
  EXPECT_FALSE(parse(bytes));
  bytes[0] = 0x8f;
  bytes[1] = 205;  // RTPFB FMT=15: transport-wide CC
  EXPECT_FALSE(parse(bytes));
}

}  // namespace
}  // namespace callcast::rtp
