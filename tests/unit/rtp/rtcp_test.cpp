#include "rtp/rtcp.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace callcast::rtp {
namespace {

using Packet = std::vector<std::uint8_t>;

Bytes bytes_of(const Packet& packet) {
  return Bytes(packet.data(), packet.size());
}

Packet concat(const Packet& a, const Packet& b) {
  Packet out = a;
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

// Captured from ffmpeg 5.1's RTP muxer (`-f rtp`, libx264) on loopback, about 11 s into the
// stream: an SR with no report blocks, sent alone.
const Packet kCapturedSenderReport = {0x80, 0xc8, 0x00, 0x06,  // V=2 RC=0 PT=200 length=6
                                      0xd7, 0xab, 0x54, 0x2b,  // SSRC
                                      0xee, 0xaf, 0x72, 0xaf, 0x17, 0xce, 0xd9, 0x16,  // NTP
                                      0x8d, 0x0f, 0x06, 0xe4,   // RTP timestamp
                                      0x00, 0x00, 0x01, 0x18,   // 280 packets
                                      0x00, 0x01, 0xb8, 0xb6};  // 112822 octets

const SenderInfo kCapturedSender{.ssrc = 0xd7ab542b,
                                 .ntp_timestamp = 0xeeaf72af17ced916,
                                 .rtp_timestamp = 0x8d0f06e4,
                                 .packet_count = 280,
                                 .octet_count = 112822};

// SDES with one CNAME chunk, laid out as RFC 3550 §6.5 and ffmpeg's muxer write it: 14 bytes of
// text, then the terminating null and two more to reach a word boundary.
const Packet kSdesCname = {0x81, 0xca, 0x00, 0x06, 0x3a, 0x1f, 0x0b, 0x7c, 0x01, 0x0e,
                           'c',  'a',  'm',  '0',  '1',  '@',  '1',  '0',  '.',  '0',
                           '.',  '0',  '.',  '5',  0x00, 0x00, 0x00, 0x00};

// RR from SSRC 0x01020304 with two report blocks; the second has negative cumulative loss (more
// packets than expected, i.e. duplicates) and a highest sequence one cycle past a 16-bit wrap.
const Packet kReceiverReport = {
    0x82, 0xc9, 0x00, 0x0d, 0x01, 0x02, 0x03, 0x04,  // V=2 RC=2 PT=201 length=13, sender
    0xd7, 0xab, 0x54, 0x2b, 0x19, 0x00, 0x01, 0x2c,  // SSRC, fraction 25/256, lost 300
    0x00, 0x00, 0x0a, 0x69, 0x00, 0x00, 0x00, 0x31,  // highest 2665, jitter 49
    0x72, 0xaf, 0x17, 0xce, 0x00, 0x01, 0x80, 0x00,  // LSR, DLSR 1.5 s
    0x0a, 0x0b, 0x0c, 0x0d, 0x00, 0xff, 0xff, 0xfe,  // SSRC, fraction 0, lost -2
    0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,  // highest: cycle 1, seq 2
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};

const std::array<ReportBlock, 2> kReceiverReportBlocks = {
    ReportBlock{.ssrc = 0xd7ab542b,
                .fraction_lost = 25,
                .cumulative_lost = 300,
                .highest_sequence = 2665,
                .jitter = 49,
                .last_sr = 0x72af17ce,
                .delay_since_last_sr = 0x18000},
    ReportBlock{.ssrc = 0x0a0b0c0d,
                .fraction_lost = 0,
                .cumulative_lost = -2,
                .highest_sequence = 0x00010002,
                .jitter = 0,
                .last_sr = 0,
                .delay_since_last_sr = 0}};

// A packet of `words` 32-bit words after the header, of the given type, all zero.
Packet empty_packet(std::uint8_t type, std::uint16_t words) {
  Packet packet(4 + 4 * std::size_t{words}, 0);
  packet[0] = 0x80;
  packet[1] = type;
  packet[3] = static_cast<std::uint8_t>(words);
  return packet;
}

TEST(RtcpCompound, ParsesCapturedFfmpegSenderReport) {
  const auto compound = RtcpCompoundView::parse(bytes_of(kCapturedSenderReport));
  ASSERT_TRUE(compound);
  ASSERT_EQ(compound->size(), 1U);
  const RtcpPacketView& packet = (*compound)[0];
  EXPECT_EQ(packet.type(), 200);
  EXPECT_EQ(packet.count(), 0);
  EXPECT_EQ(packet.bytes().size(), 28U);
  EXPECT_EQ(packet.body().size(), 24U);
  EXPECT_EQ(packet.padding_size(), 0U);

  const auto report = parse_sender_report(packet);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->sender, kCapturedSender);
  EXPECT_EQ(report->block_count, 0U);
}

TEST(RtcpCompound, SplitsSenderReportFollowedBySdes) {
  const Packet bytes = concat(kCapturedSenderReport, kSdesCname);
  const auto compound = RtcpCompoundView::parse(bytes_of(bytes));
  ASSERT_TRUE(compound);
  ASSERT_EQ(compound->size(), 2U);
  EXPECT_EQ((*compound)[0].type(), 200);
  EXPECT_EQ((*compound)[1].type(), 202);
  EXPECT_EQ((*compound)[1].count(), 1);
  EXPECT_EQ((*compound)[1].bytes().data(), bytes.data() + 28);
  EXPECT_EQ((*compound)[1].bytes().size(), 28U);

  std::vector<std::uint8_t> types;
  for (const RtcpPacketView& packet : *compound)
    types.push_back(packet.type());
  EXPECT_EQ(types, (std::vector<std::uint8_t>{200, 202}));
}

TEST(RtcpCompound, AcceptsPaddingOnLastPacket) {
  Packet padded = empty_packet(203, 2);  // BYE, SSRC, then one word of padding
  padded[0] = 0xa1;
  padded.back() = 4;
  const Packet bytes = concat(kCapturedSenderReport, padded);  // outlives the view
  const auto compound = RtcpCompoundView::parse(bytes_of(bytes));
  ASSERT_TRUE(compound);
  ASSERT_EQ(compound->size(), 2U);
  EXPECT_EQ((*compound)[1].padding_size(), 4U);
  EXPECT_EQ((*compound)[1].body().size(), 8U);  // padding included
}

TEST(RtcpCompound, RejectsPaddingOnPacketThatIsNotLast) {
  Packet padded = kCapturedSenderReport;
  padded[0] |= 0x20;
  padded.back() = 4;
  EXPECT_TRUE(RtcpCompoundView::parse(bytes_of(padded)));
  EXPECT_FALSE(RtcpCompoundView::parse(bytes_of(concat(padded, kSdesCname))));
}

TEST(RtcpCompound, RejectsPaddingCountOfZero) {
  Packet padded = empty_packet(203, 2);
  padded[0] = 0xa1;
  EXPECT_FALSE(RtcpCompoundView::parse(bytes_of(padded)));
}

TEST(RtcpCompound, RejectsPaddingLongerThanBody) {
  Packet padded = empty_packet(203, 2);
  padded[0] = 0xa1;
  padded.back() = 8;
  EXPECT_TRUE(RtcpCompoundView::parse(bytes_of(padded)));
  padded.back() = 9;
  EXPECT_FALSE(RtcpCompoundView::parse(bytes_of(padded)));
}

TEST(RtcpCompound, RejectsEmptyBuffer) {
  EXPECT_FALSE(RtcpCompoundView::parse(Bytes{}));
}

TEST(RtcpCompound, RejectsBufferShorterThanHeader) {
  for (std::size_t size = 1; size < 4; ++size) {
    EXPECT_FALSE(RtcpCompoundView::parse(Bytes(kCapturedSenderReport.data(), size))) << size;
  }
}

TEST(RtcpCompound, RejectsVersionOtherThanTwoInAnyPacket) {
  Packet bytes = concat(kCapturedSenderReport, kSdesCname);
  bytes[28] = 0x41;
  EXPECT_FALSE(RtcpCompoundView::parse(bytes_of(bytes)));
  bytes[28] = 0x81;
  bytes[0] = 0xc0;
  EXPECT_FALSE(RtcpCompoundView::parse(bytes_of(bytes)));
}

TEST(RtcpCompound, RejectsLengthFieldPastEndOfBuffer) {
  Packet bytes = kCapturedSenderReport;
  bytes[3] = 7;
  EXPECT_FALSE(RtcpCompoundView::parse(bytes_of(bytes)));
  bytes[2] = 0xff;
  bytes[3] = 0xff;
  EXPECT_FALSE(RtcpCompoundView::parse(bytes_of(bytes)));
}

TEST(RtcpCompound, RejectsLengthFieldShortOfBufferEnd) {
  // The SR claims 5 words; the 4 bytes left over (its octet count) are no version 2 packet.
  Packet bytes = kCapturedSenderReport;
  bytes[3] = 5;
  EXPECT_FALSE(RtcpCompoundView::parse(bytes_of(bytes)));
}

TEST(RtcpCompound, RejectsTrailingBytesThatAreNotAPacket) {
  Packet bytes = kCapturedSenderReport;
  for (int extra = 1; extra < 4; ++extra) {
    bytes.push_back(0x80);
    EXPECT_FALSE(RtcpCompoundView::parse(bytes_of(bytes))) << extra;
  }
}

TEST(RtcpCompound, AcceptsMaxPacketsAndRejectsOneMore) {
  const Packet bye = empty_packet(203, 1);
  Packet bytes;
  for (std::size_t i = 0; i < RtcpCompoundView::kMaxPackets; ++i)
    bytes = concat(bytes, bye);
  const auto full = RtcpCompoundView::parse(bytes_of(bytes));
  ASSERT_TRUE(full);
  EXPECT_EQ(full->size(), RtcpCompoundView::kMaxPackets);
  EXPECT_FALSE(RtcpCompoundView::parse(bytes_of(concat(bytes, bye))));
}

TEST(RtcpSenderReport, WritesCapturedFfmpegBytes) {
  std::array<std::uint8_t, 28> out{};
  ASSERT_EQ(write_sender_report(out, kCapturedSender), 28U);
  EXPECT_EQ(Packet(out.begin(), out.end()), kCapturedSenderReport);
}

TEST(RtcpSenderReport, WriterReturnsZeroWhenBufferTooSmall) {
  std::array<std::uint8_t, 27> out{};
  for (std::size_t size = 0; size <= out.size(); ++size) {
    EXPECT_EQ(write_sender_report(MutableBytes(out.data(), size), kCapturedSender), 0U) << size;
  }
}

TEST(RtcpSenderReport, ParsesReportBlocksAfterSenderInfo) {
  // SR with RC=1: the capture's sender info plus the first block of kReceiverReport.
  Packet bytes = kCapturedSenderReport;
  bytes[0] = 0x81;
  bytes[3] = 12;
  bytes.insert(bytes.end(), kReceiverReport.begin() + 8, kReceiverReport.begin() + 32);
  const auto compound = RtcpCompoundView::parse(bytes_of(bytes));
  ASSERT_TRUE(compound);
  const auto report = parse_sender_report((*compound)[0]);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->sender, kCapturedSender);
  ASSERT_EQ(report->block_count, 1U);
  EXPECT_EQ(report->blocks[0], kReceiverReportBlocks[0]);
}

TEST(RtcpSenderReport, RejectsReportCountLargerThanBody) {
  Packet bytes = kCapturedSenderReport;
  bytes[0] = 0x81;  // claims a block that is not there
  const auto compound = RtcpCompoundView::parse(bytes_of(bytes));
  ASSERT_TRUE(compound);
  EXPECT_FALSE(parse_sender_report((*compound)[0]));
}

TEST(RtcpSenderReport, RejectsBodyShorterThanSenderInfo) {
  Packet bytes = empty_packet(200, 5);
  const auto compound = RtcpCompoundView::parse(bytes_of(bytes));
  ASSERT_TRUE(compound);
  EXPECT_FALSE(parse_sender_report((*compound)[0]));
}

TEST(RtcpSenderReport, DoesNotCountPaddingAsReportBlock) {
  // RC=1 and 24 bytes after the sender info, but they are padding.
  Packet bytes = kCapturedSenderReport;
  bytes[0] = 0xa1;
  bytes[3] = 12;
  bytes.resize(52, 0);
  bytes.back() = 24;
  const auto compound = RtcpCompoundView::parse(bytes_of(bytes));
  ASSERT_TRUE(compound);
  EXPECT_EQ((*compound)[0].padding_size(), 24U);
  EXPECT_FALSE(parse_sender_report((*compound)[0]));
}

TEST(RtcpSenderReport, RejectsOtherPacketTypes) {
  const auto compound = RtcpCompoundView::parse(bytes_of(kReceiverReport));
  ASSERT_TRUE(compound);
  EXPECT_FALSE(parse_sender_report((*compound)[0]));
}

TEST(RtcpSenderReport, RoundTripsThroughWriterAndParser) {
  const SenderInfo sender{.ssrc = 1,
                          .ntp_timestamp = 0xffffffff00000001,
                          .rtp_timestamp = 0xffffffff,
                          .packet_count = 2,
                          .octet_count = 3};
  std::array<std::uint8_t, 64> out{};
  const std::size_t size = write_sender_report(out, sender);
  const auto compound = RtcpCompoundView::parse(Bytes(out.data(), size));
  ASSERT_TRUE(compound);
  const auto report = parse_sender_report((*compound)[0]);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->sender, sender);
}

TEST(RtcpReceiverReport, ParsesGoldenBytes) {
  const auto compound = RtcpCompoundView::parse(bytes_of(kReceiverReport));
  ASSERT_TRUE(compound);
  const auto report = parse_receiver_report((*compound)[0]);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->sender_ssrc, 0x01020304U);
  ASSERT_EQ(report->block_count, 2U);
  EXPECT_EQ(report->blocks[0], kReceiverReportBlocks[0]);
  EXPECT_EQ(report->blocks[1], kReceiverReportBlocks[1]);
}

TEST(RtcpReceiverReport, WritesGoldenBytes) {
  std::array<std::uint8_t, 56> out{};
  ASSERT_EQ(write_receiver_report(out, 0x01020304, kReceiverReportBlocks), 56U);
  EXPECT_EQ(Packet(out.begin(), out.end()), kReceiverReport);
}

TEST(RtcpReceiverReport, WritesEmptyReportWithNoBlocks) {
  std::array<std::uint8_t, 8> out{};
  ASSERT_EQ(write_receiver_report(out, 0x01020304, {}), 8U);
  EXPECT_EQ(Packet(out.begin(), out.end()),
            (Packet{0x80, 0xc9, 0x00, 0x01, 0x01, 0x02, 0x03, 0x04}));
}

TEST(RtcpReceiverReport, CumulativeLostIsSigned24Bit) {
  for (const std::int32_t lost : {0, 1, -1, 0x7fffff, -0x800000}) {
    ReportBlock block;
    block.cumulative_lost = lost;
    std::array<std::uint8_t, 32> out{};
    ASSERT_EQ(write_receiver_report(out, 1, std::span(&block, 1)), 32U);
    const auto compound = RtcpCompoundView::parse(out);
    ASSERT_TRUE(compound);
    const auto report = parse_receiver_report((*compound)[0]);
    ASSERT_TRUE(report);
    EXPECT_EQ(report->blocks[0].cumulative_lost, lost);
  }
}

TEST(RtcpReceiverReport, WriterClampsCumulativeLostOutside24Bits) {
  ReportBlock block;
  block.cumulative_lost = 0x1000000;
  std::array<std::uint8_t, 32> out{};
  ASSERT_EQ(write_receiver_report(out, 1, std::span(&block, 1)), 32U);
  EXPECT_EQ(out[13], 0x7f);
  EXPECT_EQ(out[14], 0xff);
  EXPECT_EQ(out[15], 0xff);
  block.cumulative_lost = -0x1000000;
  ASSERT_EQ(write_receiver_report(out, 1, std::span(&block, 1)), 32U);
  EXPECT_EQ(out[13], 0x80);
  EXPECT_EQ(out[14], 0x00);
  EXPECT_EQ(out[15], 0x00);
}

TEST(RtcpReceiverReport, RoundTripsThirtyOneBlocks) {
  std::array<ReportBlock, 31> blocks{};
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    blocks[i].ssrc = static_cast<std::uint32_t>(i);
    blocks[i].highest_sequence = 0xffff + static_cast<std::uint32_t>(i);  // across the wrap
    blocks[i].cumulative_lost = -static_cast<std::int32_t>(i);
  }
  std::array<std::uint8_t, 8 + 31 * 24> out{};
  ASSERT_EQ(write_receiver_report(out, 9, blocks), out.size());
  const auto compound = RtcpCompoundView::parse(out);
  ASSERT_TRUE(compound);
  const auto report = parse_receiver_report((*compound)[0]);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->sender_ssrc, 9U);
  ASSERT_EQ(report->block_count, 31U);
  EXPECT_EQ(report->blocks, blocks);
}

TEST(RtcpReceiverReport, WriterRejectsMoreBlocksThanCountFieldHolds) {
  std::array<ReportBlock, 32> blocks{};
  std::array<std::uint8_t, 8 + 32 * 24> out{};
  EXPECT_EQ(write_receiver_report(out, 9, blocks), 0U);
}

TEST(RtcpReceiverReport, WriterReturnsZeroWhenBufferTooSmall) {
  std::array<std::uint8_t, 55> out{};
  for (std::size_t size = 0; size <= out.size(); ++size) {
    EXPECT_EQ(write_receiver_report(MutableBytes(out.data(), size), 1, kReceiverReportBlocks), 0U)
        << size;
  }
}

TEST(RtcpReceiverReport, RejectsReportCountLargerThanBody) {
  Packet bytes = kReceiverReport;
  bytes[0] = 0x83;
  const auto compound = RtcpCompoundView::parse(bytes_of(bytes));
  ASSERT_TRUE(compound);
  EXPECT_FALSE(parse_receiver_report((*compound)[0]));
}

TEST(RtcpReceiverReport, RejectsBodyWithoutSenderSsrc) {
  const Packet bytes = empty_packet(201, 0);
  const auto compound = RtcpCompoundView::parse(bytes_of(bytes));
  ASSERT_TRUE(compound);
  EXPECT_FALSE(parse_receiver_report((*compound)[0]));
}

TEST(RtcpReceiverReport, RejectsOtherPacketTypes) {
  const auto compound = RtcpCompoundView::parse(bytes_of(kCapturedSenderReport));
  ASSERT_TRUE(compound);
  EXPECT_FALSE(parse_receiver_report((*compound)[0]));
}

TEST(RtcpSdes, WritesCnameGoldenBytes) {
  std::array<std::uint8_t, 28> out{};
  ASSERT_EQ(write_sdes_cname(out, 0x3a1f0b7c, "cam01@10.0.0.5"), 28U);
  EXPECT_EQ(Packet(out.begin(), out.end()), kSdesCname);
}

TEST(RtcpSdes, EndsItemListWithNullAndPadsToWordForEveryLength) {
  for (std::size_t length = 0; length <= 9; ++length) {
    const std::string cname(length, 'x');
    std::array<std::uint8_t, 64> out;
    out.fill(0xee);
    const std::size_t size = write_sdes_cname(out, 7, cname);
    ASSERT_NE(size, 0U) << length;
    EXPECT_EQ(size % 4, 0U) << length;
    EXPECT_EQ(size, 4 + 4 + ((2 + length + 1 + 3) / 4) * 4) << length;
    EXPECT_EQ(out[9], length);
    for (std::size_t i = 10 + length; i < size; ++i)
      EXPECT_EQ(out[i], 0) << length << " " << i;
    EXPECT_EQ(out[size], 0xee) << "wrote past its size";
    const auto compound = RtcpCompoundView::parse(Bytes(out.data(), size));
    ASSERT_TRUE(compound) << length;
    EXPECT_EQ((*compound)[0].bytes().size(), size);
  }
}

TEST(RtcpSdes, AcceptsLongestCnameAndRejectsLonger) {
  std::array<std::uint8_t, 300> out{};
  EXPECT_EQ(write_sdes_cname(out, 7, std::string(255, 'x')), 268U);
  EXPECT_EQ(write_sdes_cname(out, 7, std::string(256, 'x')), 0U);
}

TEST(RtcpSdes, WriterReturnsZeroWhenBufferTooSmall) {
  std::array<std::uint8_t, 27> out{};
  for (std::size_t size = 0; size <= out.size(); ++size) {
    EXPECT_EQ(write_sdes_cname(MutableBytes(out.data(), size), 1, "cam01@10.0.0.5"), 0U) << size;
  }
}

TEST(RtcpBye, WritesGoldenBytesWithoutReason) {
  std::array<std::uint8_t, 8> out{};
  ASSERT_EQ(write_bye(out, 0x3a1f0b7c, ""), 8U);
  EXPECT_EQ(Packet(out.begin(), out.end()),
            (Packet{0x81, 0xcb, 0x00, 0x01, 0x3a, 0x1f, 0x0b, 0x7c}));
}

TEST(RtcpBye, WritesGoldenBytesWithReasonPaddedWithNulls) {
  std::array<std::uint8_t, 20> out;
  out.fill(0xee);
  ASSERT_EQ(write_bye(out, 0x3a1f0b7c, "teardown"), 20U);
  const Packet expected = {0x81, 0xcb, 0x00, 0x04, 0x3a, 0x1f, 0x0b, 0x7c, 0x08, 't',
                           'e',  'a',  'r',  'd',  'o',  'w',  'n',  0x00, 0x00, 0x00};
  EXPECT_EQ(Packet(out.begin(), out.end()), expected);
}

TEST(RtcpBye, ReasonFillingWholeWordsGetsNoExtraPadding) {
  std::array<std::uint8_t, 16> out{};
  EXPECT_EQ(write_bye(out, 1, "bye"), 12U);  // length octet + 3 characters = one word
}

TEST(RtcpBye, RejectsReasonLongerThan255) {
  std::array<std::uint8_t, 300> out{};
  EXPECT_EQ(write_bye(out, 1, std::string(255, 'x')), 264U);
  EXPECT_EQ(write_bye(out, 1, std::string(256, 'x')), 0U);
}

TEST(RtcpBye, WriterReturnsZeroWhenBufferTooSmall) {
  std::array<std::uint8_t, 19> out{};
  for (std::size_t size = 0; size <= out.size(); ++size) {
    EXPECT_EQ(write_bye(MutableBytes(out.data(), size), 1, "teardown"), 0U) << size;
  }
  EXPECT_EQ(write_bye(MutableBytes(out.data(), 7), 1, ""), 0U);
}

TEST(RtcpWriters, ConcatenatedOutputsParseAsOneCompound) {
  std::array<std::uint8_t, 128> out{};
  std::size_t size = write_sender_report(out, kCapturedSender);
  size += write_sdes_cname(MutableBytes(out).subspan(size), kCapturedSender.ssrc, "relay");
  size += write_bye(MutableBytes(out).subspan(size), kCapturedSender.ssrc, "done");
  const auto compound = RtcpCompoundView::parse(Bytes(out.data(), size));
  ASSERT_TRUE(compound);
  ASSERT_EQ(compound->size(), 3U);
  EXPECT_EQ((*compound)[0].type(), 200);
  EXPECT_EQ((*compound)[1].type(), 202);
  EXPECT_EQ((*compound)[2].type(), 203);
}

}  // namespace
}  // namespace callcast::rtp
