#include "rtp/temporary_max_bitrate.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <limits>
#include <vector>

#include "single_rtcp_packet.hpp"

namespace callcast::rtp {
namespace {

using Packet = std::vector<std::uint8_t>;

// By hand from RFC 5104 §4.2.1.1: sender 0x01020304 asks SSRC 0xd7ab542b to stay under
// 2 Mbit/s assuming 40 octets of IPv4 + UDP + RTP headers per packet.
const Packet kTmmbr = {
    0x83, 0xcd, 0x00, 0x04,   // V=2 FMT=3 PT=205 (RTPFB) length=4
    0x01, 0x02, 0x03, 0x04,   // SSRC of packet sender
    0x00, 0x00, 0x00, 0x00,   // SSRC of media source: 0
    0xd7, 0xab, 0x54, 0x2b,   // SSRC
    0x13, 0xd0, 0x90, 0x28};  // exp=4 (6 bits), mantissa=125000 (17 bits), overhead=40 (9 bits)
const TmmbItem kTmmbrItem{.ssrc = 0xd7ab542b, .bitrate_bps = 2'000'000, .overhead = 40};

// RFC 5104 §4.2.2.1: the bounding set of two requests, one at the largest plain mantissa and
// the largest overhead.
const Packet kTmmbn = {0x84, 0xcd, 0x00, 0x06,   // V=2 FMT=4 PT=205 (RTPFB) length=6
                       0x0a, 0x0b, 0x0c, 0x0d,   // SSRC of packet sender
                       0x00, 0x00, 0x00, 0x00,   // SSRC of media source: 0
                       0x11, 0x11, 0x11, 0x11,   // SSRC
                       0x01, 0xf4, 0x00, 0x1c,   // exp=0, mantissa=64000, overhead=28
                       0x22, 0x22, 0x22, 0x22,   // SSRC
                       0x03, 0xff, 0xff, 0xff};  // exp=0, mantissa=131071, overhead=511
const std::array<TmmbItem, 2> kTmmbnItems = {
    TmmbItem{.ssrc = 0x11111111, .bitrate_bps = 64'000, .overhead = 28},
    TmmbItem{.ssrc = 0x22222222, .bitrate_bps = 131'071, .overhead = 511}};

std::optional<TemporaryMaxBitrate> parse(const Packet& bytes) {
  return parse_single(bytes, parse_temporary_max_bitrate);
}

// The bitrate a TMMBR written for `asked` carries.
std::uint64_t written_bitrate(std::uint64_t asked) {
  std::array<std::uint8_t, 20> out{};
  const TmmbItem item{.ssrc = 1, .bitrate_bps = asked, .overhead = 0};
  if (write_tmmbr(out, 2, item) != out.size()) return 1;
  const auto message = parse(Packet(out.begin(), out.end()));
  return message ? message->items[0].bitrate_bps : 1;
}

// Sets the exponent and mantissa of kTmmbr's item.
Packet with_bitrate_fields(unsigned exponent, std::uint32_t mantissa) {
  Packet bytes = kTmmbr;
  const std::uint32_t word = (exponent << 26) | (mantissa << 9) | 40;
  for (std::size_t i = 0; i < 4; ++i)
    bytes[16 + i] = static_cast<std::uint8_t>(word >> (24 - 8 * i));
  return bytes;
}

TEST(TemporaryMaxBitrate, ParsesTmmbrGoldenBytes) {
  const auto message = parse(kTmmbr);
  ASSERT_TRUE(message);
  EXPECT_FALSE(message->notification);
  EXPECT_EQ(message->sender_ssrc, 0x01020304U);
  ASSERT_EQ(message->item_count, 1U);
  EXPECT_EQ(message->items[0], kTmmbrItem);
  EXPECT_FALSE(message->truncated);
}

TEST(TemporaryMaxBitrate, WritesTmmbrGoldenBytes) {
  std::array<std::uint8_t, 20> out{};
  ASSERT_EQ(write_tmmbr(out, 0x01020304, kTmmbrItem), 20U);
  EXPECT_EQ(Packet(out.begin(), out.end()), kTmmbr);
}

TEST(TemporaryMaxBitrate, ParsesTmmbnGoldenBytes) {
  const auto message = parse(kTmmbn);
  ASSERT_TRUE(message);
  EXPECT_TRUE(message->notification);
  EXPECT_EQ(message->sender_ssrc, 0x0a0b0c0dU);
  ASSERT_EQ(message->item_count, 2U);
  EXPECT_EQ(message->items[0], kTmmbnItems[0]);
  EXPECT_EQ(message->items[1], kTmmbnItems[1]);
}

TEST(TemporaryMaxBitrate, WritesTmmbnGoldenBytes) {
  std::array<std::uint8_t, 28> out{};
  ASSERT_EQ(write_tmmbn(out, 0x0a0b0c0d, kTmmbnItems), 28U);
  EXPECT_EQ(Packet(out.begin(), out.end()), kTmmbn);
}

TEST(TemporaryMaxBitrate, TmmbnMayAnnounceAnEmptyBoundingSet) {
  std::array<std::uint8_t, 12> out{};
  ASSERT_EQ(write_tmmbn(out, 5, {}), 12U);
  const auto message = parse(Packet(out.begin(), out.end()));
  ASSERT_TRUE(message);
  EXPECT_TRUE(message->notification);
  EXPECT_EQ(message->item_count, 0U);
}

TEST(TemporaryMaxBitrate, RejectsTmmbrWithoutItems) {
  Packet bytes(kTmmbr.begin(), kTmmbr.begin() + 12);
  bytes[3] = 2;
  EXPECT_FALSE(parse(bytes));
}

TEST(TemporaryMaxBitrate, WritesZeroAndTheLargestPlainMantissaExactly) {
  EXPECT_EQ(written_bitrate(0), 0U);
  EXPECT_EQ(written_bitrate((1U << 17) - 1), (1U << 17) - 1);
}

TEST(TemporaryMaxBitrate, RoundsDownWhenTheValueNeedsAnExponent) {
  EXPECT_EQ(written_bitrate(1U << 17), 1U << 17);
  EXPECT_EQ(written_bitrate((1U << 17) + 1), 1U << 17);
  EXPECT_EQ(written_bitrate(2'000'015), 2'000'000U);  // exp=4: a multiple of 16
  EXPECT_EQ(written_bitrate(2'000'016), 2'000'016U);
}

TEST(TemporaryMaxBitrate, WritesTheLargestValueBelowTheMaximum) {
  EXPECT_EQ(written_bitrate(std::numeric_limits<std::uint64_t>::max()),
            std::uint64_t{0x1ffff} << 47);
}

TEST(TemporaryMaxBitrate, ReadsLargestExponents) {
  auto message = parse(with_bitrate_fields(63, 1));
  ASSERT_TRUE(message);
  EXPECT_EQ(message->items[0].bitrate_bps, std::uint64_t{1} << 63);
  EXPECT_EQ(message->items[0].overhead, 40U);
  message = parse(with_bitrate_fields(47, 0x1ffff));
  ASSERT_TRUE(message);
  EXPECT_EQ(message->items[0].bitrate_bps, std::uint64_t{0x1ffff} << 47);
}

TEST(TemporaryMaxBitrate, RejectsBitrateOverSixtyFourBits) {
  EXPECT_FALSE(parse(with_bitrate_fields(48, 0x1ffff)));
  EXPECT_FALSE(parse(with_bitrate_fields(63, 3)));
}

TEST(TemporaryMaxBitrate, WriterRefusesOverheadOverNineBits) {
  std::array<std::uint8_t, 20> out{};
  TmmbItem item = kTmmbrItem;
  item.overhead = 512;
  EXPECT_EQ(write_tmmbr(out, 1, item), 0U);
  const std::array<TmmbItem, 2> items = {kTmmbrItem, item};
  std::array<std::uint8_t, 28> two{};
  EXPECT_EQ(write_tmmbn(two, 1, items), 0U);
}

TEST(TemporaryMaxBitrate, WriterReturnsZeroWhenBufferTooSmall) {
  std::array<std::uint8_t, 27> out{};
  for (std::size_t size = 0; size < 20; ++size) {
    EXPECT_EQ(write_tmmbr(MutableBytes(out.data(), size), 1, kTmmbrItem), 0U) << size;
  }
  for (std::size_t size = 0; size <= out.size(); ++size) {
    EXPECT_EQ(write_tmmbn(MutableBytes(out.data(), size), 1, kTmmbnItems), 0U) << size;
  }
}

TEST(TemporaryMaxBitrate, ParsesUpToMaxItemsAndMarksTruncated) {
  std::vector<TmmbItem> items(TemporaryMaxBitrate::kMaxItems + 2);
  for (std::size_t i = 0; i < items.size(); ++i) {
    items[i] = TmmbItem{.ssrc = static_cast<std::uint32_t>(i),
                        .bitrate_bps = 1000 * i,
                        .overhead = static_cast<std::uint16_t>(i)};
  }
  Packet out(12 + 8 * items.size());
  ASSERT_EQ(write_tmmbn(out, 1, items), out.size());
  const auto message = parse(out);
  ASSERT_TRUE(message);
  EXPECT_TRUE(message->truncated);
  ASSERT_EQ(message->item_count, TemporaryMaxBitrate::kMaxItems);
  for (std::size_t i = 0; i < message->item_count; ++i)
    EXPECT_EQ(message->items[i], items[i]) << i;
}

TEST(TemporaryMaxBitrate, RejectsHalfAnItem) {
  Packet bytes(kTmmbn.begin(), kTmmbn.end() - 4);
  bytes[3] = 5;  // the length agrees: the second item's SSRC without its bitrate word
  EXPECT_FALSE(parse(bytes));
}

TEST(TemporaryMaxBitrate, RejectsPaddingThatSplitsAnItem) {
  Packet bytes = kTmmbr;
  bytes[0] |= 0x20;
  bytes.back() = 4;
  EXPECT_FALSE(parse(bytes));
}

TEST(TemporaryMaxBitrate, RejectsLengthPastTheBuffer) {
  Packet bytes = kTmmbr;
  bytes[3] = 5;
  EXPECT_FALSE(RtcpCompoundView::parse(Bytes(bytes.data(), bytes.size())));
}

TEST(TemporaryMaxBitrate, RejectsOtherFormatsAndTypes) {
  Packet bytes = kTmmbr;
  bytes[0] = 0x81;  // RTPFB FMT=1: generic NACK
  EXPECT_FALSE(parse(bytes));
  bytes[0] = 0x83;
  bytes[1] = 206;  // PSFB FMT=3: SLI
  EXPECT_FALSE(parse(bytes));
}

}  // namespace
}  // namespace callcast::rtp
