#include "rtp/rtp_packet_view.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace callcast::rtp {
namespace {

using Packet = std::vector<std::uint8_t>;

// Captured from `ffmpeg -c:v libx264 -profile:v baseline -preset ultrafast -f rtp` (ffmpeg 5.1)
// on loopback: the first packet of the stream, a STAP-A carrying the SPS and PPS.
const Packet kCapturedStapA = {0x80, 0x60, 0x08, 0xdf, 0x8d, 0x08, 0x1d, 0xd4, 0xd7, 0xab, 0x54,
                               0x2b, 0x18, 0x00, 0x16, 0x67, 0x42, 0xc0, 0x0d, 0xda, 0x05, 0x07,
                               0xec, 0x04, 0x40, 0x00, 0x00, 0x03, 0x00, 0x40, 0x00, 0x00, 0x0c,
                               0xa3, 0xc5, 0x0a, 0xa8, 0x00, 0x04, 0x68, 0xce, 0x0f, 0xc8};

// Same capture: a 6-byte P slice sent as a single NAL unit packet (no marker).
const Packet kCapturedSingleNal = {0x80, 0x60, 0x08, 0xfc, 0x8d, 0x08, 0x9c, 0x64, 0xd7,
                                   0xab, 0x54, 0x2b, 0x41, 0x9b, 0x20, 0x7a, 0x01, 0x43};

Bytes bytes_of(const Packet& packet) {
  return Bytes(packet.data(), packet.size());
}

// V=2, M=1, PT=96, seq 0x1234, ts 0xdeadbeef, ssrc 0x01020304, payload "abc".
const Packet kMinimal = {0x80, 0xe0, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef,
                         0x01, 0x02, 0x03, 0x04, 'a',  'b',  'c'};

TEST(RtpPacketView, ParsesFixedHeaderFields) {
  const auto view = RtpPacketView::parse(bytes_of(kMinimal));
  ASSERT_TRUE(view);
  EXPECT_TRUE(view->marker());
  EXPECT_EQ(view->payload_type(), 96);
  EXPECT_EQ(view->sequence_number(), 0x1234);
  EXPECT_EQ(view->timestamp(), 0xdeadbeefU);
  EXPECT_EQ(view->ssrc(), 0x01020304U);
  EXPECT_EQ(view->csrc_count(), 0);
  EXPECT_FALSE(view->has_extension());
  EXPECT_EQ(view->header_size(), 12U);
  EXPECT_EQ(view->padding_size(), 0U);
  EXPECT_EQ(Packet(view->payload().begin(), view->payload().end()), (Packet{'a', 'b', 'c'}));
  EXPECT_EQ(view->bytes().data(), kMinimal.data());
  EXPECT_EQ(view->bytes().size(), kMinimal.size());
}

TEST(RtpPacketView, ParsesCapturedFfmpegStapAPacket) {
  const auto view = RtpPacketView::parse(bytes_of(kCapturedStapA));
  ASSERT_TRUE(view);
  EXPECT_FALSE(view->marker());
  EXPECT_EQ(view->payload_type(), 96);
  EXPECT_EQ(view->sequence_number(), 0x08df);
  EXPECT_EQ(view->timestamp(), 0x8d081dd4U);
  EXPECT_EQ(view->ssrc(), 0xd7ab542bU);
  EXPECT_EQ(view->payload().size(), kCapturedStapA.size() - 12);
  EXPECT_EQ(view->payload()[0], 0x18);  // STAP-A
}

TEST(RtpPacketView, ParsesCapturedFfmpegSingleNalPacket) {
  const auto view = RtpPacketView::parse(bytes_of(kCapturedSingleNal));
  ASSERT_TRUE(view);
  EXPECT_EQ(view->sequence_number(), 0x08fc);
  EXPECT_EQ(view->payload().size(), 6U);
  EXPECT_EQ(view->payload()[0], 0x41);  // NRI 2, non-IDR slice
}

TEST(RtpPacketView, AcceptsEmptyPayload) {
  const Packet header_only(kMinimal.begin(), kMinimal.begin() + 12);
  const auto view = RtpPacketView::parse(bytes_of(header_only));
  ASSERT_TRUE(view);
  EXPECT_TRUE(view->payload().empty());
}

TEST(RtpPacketView, SkipsCsrcList) {
  // CC=2: two CSRCs between the SSRC and the payload.
  const Packet packet = {0x82, 0x60, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
                         0x03, 0xaa, 0xaa, 0xaa, 0xaa, 0xbb, 0xbb, 0xbb, 0xbb, 0x42};
  const auto view = RtpPacketView::parse(bytes_of(packet));
  ASSERT_TRUE(view);
  EXPECT_EQ(view->csrc_count(), 2);
  EXPECT_EQ(view->header_size(), 20U);
  ASSERT_EQ(view->payload().size(), 1U);
  EXPECT_EQ(view->payload()[0], 0x42);
}

TEST(RtpPacketView, SkipsHeaderExtension) {
  // X=1: RFC 8285 one-byte extensions (profile 0xbede), one word: id 1, len 2, 3 bytes data.
  const Packet packet = {0x90, 0x60, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
                         0x03, 0xbe, 0xde, 0x00, 0x01, 0x12, 0x01, 0x02, 0x03, 0x42};
  const auto view = RtpPacketView::parse(bytes_of(packet));
  ASSERT_TRUE(view);
  EXPECT_TRUE(view->has_extension());
  EXPECT_EQ(view->header_size(), 20U);
  ASSERT_EQ(view->payload().size(), 1U);
  EXPECT_EQ(view->payload()[0], 0x42);
}

TEST(RtpPacketView, SkipsCsrcListThenEmptyHeaderExtension) {
  const Packet packet = {0x91, 0x60, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
                         0x03, 0xaa, 0xaa, 0xaa, 0xaa, 0x10, 0x00, 0x00, 0x00, 0x42};
  const auto view = RtpPacketView::parse(bytes_of(packet));
  ASSERT_TRUE(view);
  EXPECT_EQ(view->header_size(), 20U);
  ASSERT_EQ(view->payload().size(), 1U);
}

TEST(RtpPacketView, StripsPaddingCountedByLastOctet) {
  // P=1, payload "ab", then 3 octets of padding whose last says 3.
  const Packet packet = {0xa0, 0x60, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00,
                         0x00, 0x00, 0x03, 'a',  'b',  0x00, 0x00, 0x03};
  const auto view = RtpPacketView::parse(bytes_of(packet));
  ASSERT_TRUE(view);
  EXPECT_EQ(view->padding_size(), 3U);
  EXPECT_EQ(Packet(view->payload().begin(), view->payload().end()), (Packet{'a', 'b'}));
}

TEST(RtpPacketView, AcceptsPaddingThatFillsEverythingAfterHeader) {
  const Packet packet = {0xa0, 0x60, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02,
                         0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x04};
  const auto view = RtpPacketView::parse(bytes_of(packet));
  ASSERT_TRUE(view);
  EXPECT_EQ(view->padding_size(), 4U);
  EXPECT_TRUE(view->payload().empty());
}

TEST(RtpPacketView, RejectsVersionOtherThanTwo) {
  for (const int first : {0x00, 0x40, 0xc0}) {
    Packet packet = kMinimal;
    packet[0] = static_cast<std::uint8_t>(first);
    EXPECT_FALSE(RtpPacketView::parse(bytes_of(packet))) << first;
  }
}

TEST(RtpPacketView, RejectsBufferShorterThanFixedHeader) {
  for (std::size_t size = 0; size < RtpPacketView::kFixedHeaderSize; ++size) {
    EXPECT_FALSE(RtpPacketView::parse(Bytes(kMinimal.data(), size))) << size;
  }
}

TEST(RtpPacketView, RejectsCsrcCountPastEndOfBuffer) {
  Packet packet = kMinimal;  // 3 bytes after the fixed header: not even one CSRC
  packet[0] = 0x81;
  EXPECT_FALSE(RtpPacketView::parse(bytes_of(packet)));
  packet.push_back(0x00);  // exactly one CSRC, empty payload
  EXPECT_TRUE(RtpPacketView::parse(bytes_of(packet)));
  packet[0] = 0x8f;
  EXPECT_FALSE(RtpPacketView::parse(bytes_of(packet)));
}

TEST(RtpPacketView, RejectsExtensionHeaderPastEndOfBuffer) {
  Packet packet = kMinimal;  // X=1 but only 3 bytes where the 4-byte extension header goes
  packet[0] = 0x90;
  EXPECT_FALSE(RtpPacketView::parse(bytes_of(packet)));
}

TEST(RtpPacketView, RejectsExtensionLengthPastEndOfBuffer) {
  // Extension header says 2 words, one is present.
  Packet packet = {0x90, 0x60, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00,
                   0x00, 0x03, 0xbe, 0xde, 0x00, 0x02, 0x10, 0xff, 0x00, 0x00};
  EXPECT_FALSE(RtpPacketView::parse(bytes_of(packet)));
  packet[15] = 0xff;  // and the largest length: must not overflow the bound check
  EXPECT_FALSE(RtpPacketView::parse(bytes_of(packet)));
  packet[15] = 0x01;
  EXPECT_TRUE(RtpPacketView::parse(bytes_of(packet)));
}

TEST(RtpPacketView, RejectsPaddingCountOfZero) {
  const Packet packet = {0xa0, 0x60, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02,
                         0x00, 0x00, 0x00, 0x03, 'a',  'b',  0x00};
  EXPECT_FALSE(RtpPacketView::parse(bytes_of(packet)));
}

TEST(RtpPacketView, RejectsPaddingLongerThanWhatFollowsHeader) {
  const Packet packet = {0xa0, 0x60, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02,
                         0x00, 0x00, 0x00, 0x03, 'a',  'b',  0x04};
  EXPECT_FALSE(RtpPacketView::parse(bytes_of(packet)));
}

TEST(RtpPacketView, RejectsPaddingThatWouldEatIntoExtension) {
  // X=1 with one extension word, then one padding octet claiming 5.
  const Packet packet = {0xb0, 0x60, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
                         0x03, 0xbe, 0xde, 0x00, 0x01, 0x10, 0xff, 0x00, 0x00, 0x05};
  EXPECT_FALSE(RtpPacketView::parse(bytes_of(packet)));
}

TEST(RtpPacketView, RejectsPaddingBitWithNothingAfterHeader) {
  const Packet packet = {0xa0, 0x60, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x0c};
  EXPECT_FALSE(RtpPacketView::parse(bytes_of(packet)));
}

TEST(RtpPacketView, RewritingHeaderFieldsProducesGoldenBytes) {
  Packet packet = kMinimal;
  set_sequence_number(packet, 0xfffe);
  set_timestamp(packet, 0x00000001);
  set_ssrc(packet, 0xcafebabe);
  const Packet expected = {0x80, 0xe0, 0xff, 0xfe, 0x00, 0x00, 0x00, 0x01,
                           0xca, 0xfe, 0xba, 0xbe, 'a',  'b',  'c'};
  EXPECT_EQ(packet, expected);
}

TEST(RtpPacketView, RewrittenFieldsReadBackAfterParse) {
  Packet packet = kCapturedStapA;
  set_sequence_number(packet, 7);
  set_timestamp(packet, 90000);
  set_ssrc(packet, 0x11223344);
  const auto view = RtpPacketView::parse(bytes_of(packet));
  ASSERT_TRUE(view);
  EXPECT_EQ(view->sequence_number(), 7);
  EXPECT_EQ(view->timestamp(), 90000U);
  EXPECT_EQ(view->ssrc(), 0x11223344U);
  EXPECT_TRUE(
      std::equal(view->payload().begin(), view->payload().end(), kCapturedStapA.begin() + 12));
}

TEST(SequenceDelta, CountsForwardAcrossSixteenBitWrap) {
  EXPECT_EQ(sequence_delta(0, 65535), 1);
  EXPECT_EQ(sequence_delta(5, 65530), 11);
  EXPECT_EQ(sequence_delta(65535, 0), -1);
  EXPECT_EQ(sequence_delta(100, 100), 0);
}

TEST(SequenceDelta, HalfTheSpaceAwayIsTheLimitInEitherDirection) {
  EXPECT_EQ(sequence_delta(0x7fff, 0), 32767);
  EXPECT_EQ(sequence_delta(0x8000, 0), -32768);
  EXPECT_EQ(sequence_delta(0, 0x8001), 32767);
}

TEST(SequenceDelta, ConsecutiveParsedPacketsAcrossWrapAreOneApart) {
  Packet before = kMinimal;
  Packet after = kMinimal;
  set_sequence_number(before, 65535);
  set_sequence_number(after, 0);
  const auto first = RtpPacketView::parse(bytes_of(before));
  const auto second = RtpPacketView::parse(bytes_of(after));
  ASSERT_TRUE(first && second);
  EXPECT_EQ(sequence_delta(second->sequence_number(), first->sequence_number()), 1);
}

}  // namespace
}  // namespace callcast::rtp
