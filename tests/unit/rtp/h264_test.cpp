#include "rtp/h264.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace callcast::rtp {
namespace {

using Nal = std::vector<std::uint8_t>;

Bytes bytes_of(const Nal& bytes) {
  return Bytes(bytes.data(), bytes.size());
}

// SPS and PPS as x264 (core 164) emits them for `-profile:v baseline -level 3.0 -preset
// ultrafast` at 640x480: profile_idc 66, constraint_set0/1, level_idc 30; the 00 00 03 runs are
// emulation prevention.
const Nal kX264Sps = {0x67, 0x42, 0xc0, 0x1e, 0xda, 0x02, 0x80, 0xf6, 0xc0, 0x44, 0x00, 0x00,
                      0x03, 0x00, 0x04, 0x00, 0x00, 0x03, 0x00, 0xc8, 0x3c, 0x58, 0xba, 0x80};
const Nal kX264Pps = {0x68, 0xce, 0x0f, 0xc8};

// STAP-A aggregating kX264Sps and kX264Pps, header NRI the highest of the two (3).
const Nal kStapASpsPps = {0x78, 0x00, 0x18, 0x67, 0x42, 0xc0, 0x1e, 0xda, 0x02, 0x80, 0xf6,
                          0xc0, 0x44, 0x00, 0x00, 0x03, 0x00, 0x04, 0x00, 0x00, 0x03, 0x00,
                          0xc8, 0x3c, 0x58, 0xba, 0x80, 0x00, 0x04, 0x68, 0xce, 0x0f, 0xc8};

// RTP payloads captured from ffmpeg 5.1's `-f rtp` muxer with libx264 (320x240 baseline) on
// loopback. ffmpeg sends the SPS+PPS aggregate with NRI 0 in the STAP-A header.
const Nal kCapturedStapA = {0x18, 0x00, 0x16, 0x67, 0x42, 0xc0, 0x0d, 0xda, 0x05, 0x07, 0xec,
                            0x04, 0x40, 0x00, 0x00, 0x03, 0x00, 0x40, 0x00, 0x00, 0x0c, 0xa3,
                            0xc5, 0x0a, 0xa8, 0x00, 0x04, 0x68, 0xce, 0x0f, 0xc8};
// First bytes of the first FU-A of an IDR slice (S=1, type 5), of a later one, of the last.
const Nal kCapturedIdrStart = {0x7c, 0x85, 0x88, 0x84, 0x3a, 0x26, 0x28, 0x00, 0x09, 0x02};
const Nal kCapturedIdrMiddle = {0x7c, 0x05, 0xbb, 0xfa, 0xe8, 0x00, 0x78, 0x3f};
const Nal kCapturedIdrEnd = {0x7c, 0x45, 0x20, 0x0c};
// Whole payload: the end (E=1) of x264's SEI version string, "...ratio=1.40 aq=0".
const Nal kCapturedSeiEnd = {0x1c, 0x46, 'a', 't', 'i', 'o', '=', '1',  '.',
                             '4',  '0',  ' ', 'a', 'q', '=', '0', 0x00, 0x80};
// Whole payload: a 6-byte P slice sent as a single NAL unit.
const Nal kCapturedSlice = {0x41, 0x9b, 0x20, 0x7a, 0x01, 0x43};

TEST(H264Payload, ClassifiesCapturedSingleSlice) {
  const auto info = inspect_h264_payload(bytes_of(kCapturedSlice));
  ASSERT_TRUE(info);
  EXPECT_EQ(info->first_nal_type, kNalSlice);
  EXPECT_FALSE(info->has_idr || info->has_sps || info->has_pps);
  EXPECT_FALSE(info->is_fragment);
}

TEST(H264Payload, ClassifiesSingleParameterSetsAndIdr) {
  const auto sps = inspect_h264_payload(bytes_of(kX264Sps));
  ASSERT_TRUE(sps);
  EXPECT_TRUE(sps->has_sps);
  EXPECT_EQ(sps->first_nal_type, kNalSps);

  const auto pps = inspect_h264_payload(bytes_of(kX264Pps));
  ASSERT_TRUE(pps);
  EXPECT_TRUE(pps->has_pps);
  EXPECT_FALSE(pps->has_sps);

  const Nal idr = {0x65, 0x88, 0x84};
  const auto info = inspect_h264_payload(bytes_of(idr));
  ASSERT_TRUE(info);
  EXPECT_TRUE(info->has_idr);
  EXPECT_EQ(info->first_nal_type, kNalIdr);
}

TEST(H264Payload, AcceptsEverySingleNalType) {
  for (std::uint8_t type = 1; type <= 23; ++type) {
    const Nal nal = {static_cast<std::uint8_t>(0x60 | type), 0x00};
    const auto info = inspect_h264_payload(bytes_of(nal));
    ASSERT_TRUE(info) << int{type};
    EXPECT_EQ(info->first_nal_type, type);
  }
}

TEST(H264Payload, FindsSpsAndPpsInsideCapturedFfmpegStapA) {
  const auto info = inspect_h264_payload(bytes_of(kCapturedStapA));
  ASSERT_TRUE(info);
  EXPECT_TRUE(info->has_sps);
  EXPECT_TRUE(info->has_pps);
  EXPECT_FALSE(info->has_idr);
  EXPECT_FALSE(info->is_fragment);
  EXPECT_EQ(info->first_nal_type, kNalSps);
}

TEST(H264Payload, FindsIdrAfterParameterSetsInStapA) {
  Nal stap = kStapASpsPps;
  stap.insert(stap.end(), {0x00, 0x03, 0x65, 0x88, 0x84});
  const auto info = inspect_h264_payload(bytes_of(stap));
  ASSERT_TRUE(info);
  EXPECT_TRUE(info->has_sps && info->has_pps && info->has_idr);
  EXPECT_EQ(info->first_nal_type, kNalSps);
}

TEST(H264Payload, RejectsStapAUnitSizePastEnd) {
  Nal stap = kStapASpsPps;
  stap[stap.size() - 5] = 0x05;  // PPS size 5, 4 bytes present
  EXPECT_FALSE(inspect_h264_payload(bytes_of(stap)));
  stap[1] = 0xff;  // and the first size as large as it gets
  EXPECT_FALSE(inspect_h264_payload(bytes_of(stap)));
}

TEST(H264Payload, RejectsStapAUnitOfSizeZero) {
  const Nal stap = {0x78, 0x00, 0x00, 0x00, 0x04, 0x68, 0xce, 0x0f, 0xc8};
  EXPECT_FALSE(inspect_h264_payload(bytes_of(stap)));
}

TEST(H264Payload, RejectsStapAWithTruncatedSizeField) {
  Nal stap = kStapASpsPps;
  stap.push_back(0x00);  // half a size field after the last unit
  EXPECT_FALSE(inspect_h264_payload(bytes_of(stap)));
}

TEST(H264Payload, RejectsStapAWithNoUnits) {
  const Nal stap = {0x78};
  EXPECT_FALSE(inspect_h264_payload(bytes_of(stap)));
}

TEST(H264Payload, RejectsStapAUnitWithForbiddenBit) {
  Nal stap = kStapASpsPps;
  stap[stap.size() - 4] = 0xe8;  // PPS header with F set
  EXPECT_FALSE(inspect_h264_payload(bytes_of(stap)));
}

TEST(H264Payload, RejectsAggregatesNestedInStapA) {
  const Nal nested_stap = {0x78, 0x00, 0x03, 0x78, 0x00, 0x00};
  EXPECT_FALSE(inspect_h264_payload(bytes_of(nested_stap)));
  const Nal nested_fu = {0x78, 0x00, 0x02, 0x7c, 0x85};
  EXPECT_FALSE(inspect_h264_payload(bytes_of(nested_fu)));
}

TEST(H264Payload, ReportsCapturedFuAStartOfIdrAsKeyframe) {
  const auto info = inspect_h264_payload(bytes_of(kCapturedIdrStart));
  ASSERT_TRUE(info);
  EXPECT_TRUE(info->is_fragment);
  EXPECT_TRUE(info->fragment_start);
  EXPECT_FALSE(info->fragment_end);
  EXPECT_TRUE(info->has_idr);
  EXPECT_EQ(info->first_nal_type, kNalIdr);
}

TEST(H264Payload, ReportsLaterFuAFragmentsOfIdrWithoutKeyframeFlag) {
  const auto middle = inspect_h264_payload(bytes_of(kCapturedIdrMiddle));
  ASSERT_TRUE(middle);
  EXPECT_TRUE(middle->is_fragment);
  EXPECT_FALSE(middle->fragment_start || middle->fragment_end);
  EXPECT_FALSE(middle->has_idr);
  EXPECT_EQ(middle->first_nal_type, kNalIdr);

  const auto end = inspect_h264_payload(bytes_of(kCapturedIdrEnd));
  ASSERT_TRUE(end);
  EXPECT_TRUE(end->fragment_end);
  EXPECT_FALSE(end->fragment_start);
  EXPECT_FALSE(end->has_idr);
}

TEST(H264Payload, ReportsOriginalTypeOfCapturedSeiFragment) {
  const auto info = inspect_h264_payload(bytes_of(kCapturedSeiEnd));
  ASSERT_TRUE(info);
  EXPECT_TRUE(info->fragment_end);
  EXPECT_EQ(info->first_nal_type, kNalSei);
}

TEST(H264Payload, RejectsFuAShorterThanTwoBytes) {
  const Nal fu = {0x7c};
  EXPECT_FALSE(inspect_h264_payload(bytes_of(fu)));
}

TEST(H264Payload, RejectsFuAWithBothStartAndEnd) {
  const Nal fu = {0x7c, 0xc5, 0x88};
  EXPECT_FALSE(inspect_h264_payload(bytes_of(fu)));
}

TEST(H264Payload, RejectsFuACarryingAnAggregateOrUndefinedType) {
  for (const int type : {0, 24, 28, 29, 31}) {
    const Nal fu = {0x7c, static_cast<std::uint8_t>(0x80 | type), 0x00};
    EXPECT_FALSE(inspect_h264_payload(bytes_of(fu))) << type;
  }
}

TEST(H264Payload, RejectsInterleavedModeAndUndefinedTypes) {
  // STAP-B 25, MTAP16 26, MTAP24 27, FU-B 29; 0, 30 and 31 are undefined.
  for (const int type : {0, 25, 26, 27, 29, 30, 31}) {
    const Nal payload = {static_cast<std::uint8_t>(0x60 | type), 0x00, 0x00, 0x00, 0x00};
    EXPECT_FALSE(inspect_h264_payload(bytes_of(payload))) << type;
  }
}

TEST(H264Payload, RejectsForbiddenBit) {
  const Nal idr = {0xe5, 0x88, 0x84};
  EXPECT_FALSE(inspect_h264_payload(bytes_of(idr)));
  Nal stap = kStapASpsPps;
  stap[0] |= 0x80;
  EXPECT_FALSE(inspect_h264_payload(bytes_of(stap)));
  Nal fu = kCapturedIdrStart;
  fu[0] |= 0x80;
  EXPECT_FALSE(inspect_h264_payload(bytes_of(fu)));
}

TEST(H264Payload, RejectsEmptyPayload) {
  EXPECT_FALSE(inspect_h264_payload(Bytes{}));
}

TEST(H264StapA, WritesGoldenBytesWithHighestNri) {
  const std::vector<Nal> units = {kX264Sps, kX264Pps};
  std::array<std::uint8_t, 64> out{};
  ASSERT_EQ(write_stap_a(out, units), kStapASpsPps.size());
  EXPECT_EQ(Nal(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(kStapASpsPps.size())),
            kStapASpsPps);
}

TEST(H264StapA, RewritesCapturedAggregateWithCorrectedNri) {
  const std::vector<Nal> units = {
      Nal(kCapturedStapA.begin() + 3, kCapturedStapA.begin() + 25),
      Nal(kCapturedStapA.begin() + 27, kCapturedStapA.end()),
  };
  std::array<std::uint8_t, 64> out{};
  const std::size_t size = write_stap_a(out, units);
  ASSERT_EQ(size, kCapturedStapA.size());
  EXPECT_EQ(out[0], 0x78);  // ffmpeg wrote 0x18; RFC 6184 §5.7 wants the units' highest NRI
  EXPECT_TRUE(std::equal(kCapturedStapA.begin() + 1, kCapturedStapA.end(), out.begin() + 1));
}

TEST(H264StapA, RoundTripsThroughInspector) {
  const std::vector<Nal> units = {kX264Sps, kX264Pps, Nal{0x65, 0x88}};
  std::array<std::uint8_t, 64> out{};
  const std::size_t size = write_stap_a(out, units);
  ASSERT_NE(size, 0U);
  const auto info = inspect_h264_payload(Bytes(out.data(), size));
  ASSERT_TRUE(info);
  EXPECT_TRUE(info->has_sps && info->has_pps && info->has_idr);
  EXPECT_EQ(info->first_nal_type, kNalSps);
}

TEST(H264StapA, WriterReturnsZeroWhenBufferTooSmall) {
  const std::vector<Nal> units = {kX264Sps, kX264Pps};
  std::array<std::uint8_t, 64> out{};
  for (std::size_t size = 0; size < kStapASpsPps.size(); ++size) {
    EXPECT_EQ(write_stap_a(MutableBytes(out.data(), size), units), 0U) << size;
  }
}

TEST(H264StapA, WriterRejectsEmptyUnitsAndEmptyList) {
  std::array<std::uint8_t, 64> out{};
  EXPECT_EQ(write_stap_a(out, {}), 0U);
  const std::vector<Nal> with_empty = {kX264Sps, Nal{}};
  EXPECT_EQ(write_stap_a(out, with_empty), 0U);
}

TEST(H264StapA, WriterAcceptsLargestUnitAndRejectsLarger) {
  std::vector<std::uint8_t> out(70000);
  const std::vector<Nal> largest = {Nal(0xffff, 0x41)};
  EXPECT_EQ(write_stap_a(out, largest), 1U + 2U + 0xffffU);
  const std::vector<Nal> too_large = {Nal(0x10000, 0x41)};
  EXPECT_EQ(write_stap_a(out, too_large), 0U);
}

TEST(SpropParameterSets, DecodesX264SpsAndPps) {
  // The SPS is 24 bytes, so its base64 needs no padding; the PPS needs two '='.
  const auto sets = decode_sprop_parameter_sets("Z0LAHtoCgPbARAAAAwAEAAADAMg8WLqA,aM4PyA==");
  ASSERT_TRUE(sets);
  ASSERT_EQ(sets->size(), 2U);
  EXPECT_EQ((*sets)[0], kX264Sps);
  EXPECT_EQ((*sets)[1], kX264Pps);
}

TEST(SpropParameterSets, DecodesOneAndTwoPaddingCharacters) {
  const auto sets = decode_sprop_parameter_sets("aM48gA==,aM48gAE=");
  ASSERT_TRUE(sets);
  ASSERT_EQ(sets->size(), 2U);
  EXPECT_EQ((*sets)[0], (Nal{0x68, 0xce, 0x3c, 0x80}));
  EXPECT_EQ((*sets)[1], (Nal{0x68, 0xce, 0x3c, 0x80, 0x01}));
}

TEST(SpropParameterSets, DecodesUnpaddedBase64) {
  const auto sets = decode_sprop_parameter_sets("aM48gA");
  ASSERT_TRUE(sets);
  ASSERT_EQ(sets->size(), 1U);
  EXPECT_EQ((*sets)[0], (Nal{0x68, 0xce, 0x3c, 0x80}));
}

TEST(SpropParameterSets, DecodesPlusAndSlash) {
  const auto sets = decode_sprop_parameter_sets("+/8=");
  ASSERT_TRUE(sets);
  EXPECT_EQ((*sets)[0], (Nal{0xfb, 0xff}));
}

TEST(SpropParameterSets, RejectsCharactersOutsideStandardAlphabet) {
  EXPECT_FALSE(decode_sprop_parameter_sets("aM48gA-_"));  // URL-safe alphabet
  EXPECT_FALSE(decode_sprop_parameter_sets("aM48 gA=="));
  EXPECT_FALSE(decode_sprop_parameter_sets("aM48gA==\n"));
}

TEST(SpropParameterSets, RejectsMisplacedOrExcessPadding) {
  EXPECT_FALSE(decode_sprop_parameter_sets("aM=8gA=="));
  EXPECT_FALSE(decode_sprop_parameter_sets("aM48g==="));
  EXPECT_FALSE(decode_sprop_parameter_sets("aM48gA="));
  EXPECT_FALSE(decode_sprop_parameter_sets("===="));
  EXPECT_FALSE(decode_sprop_parameter_sets("aM48gA==AA=="));
}

TEST(SpropParameterSets, RejectsLengthThatCannotEncodeWholeBytes) {
  EXPECT_FALSE(decode_sprop_parameter_sets("aM48g"));
  EXPECT_FALSE(decode_sprop_parameter_sets("a"));
}

TEST(SpropParameterSets, RejectsNonZeroUnusedBits) {
  EXPECT_FALSE(decode_sprop_parameter_sets("aM48gB=="));
  EXPECT_FALSE(decode_sprop_parameter_sets("aM48gAF="));
}

TEST(SpropParameterSets, RejectsEmptyEntries) {
  EXPECT_FALSE(decode_sprop_parameter_sets(""));
  EXPECT_FALSE(decode_sprop_parameter_sets(",aM48gA=="));
  EXPECT_FALSE(decode_sprop_parameter_sets("aM48gA==,"));
  EXPECT_FALSE(decode_sprop_parameter_sets("aM48gA==,,aM48gA=="));
}

// ---- FU-A writer and the packetization-mode 1 packetizer (RFC 6184 §5.8, §6.3) ---------------

std::vector<Nal> fragments_of(const Nal& nal, std::size_t max_payload,
                              std::size_t (*writer)(Bytes, MutableBytes,
                                                    const PayloadSink&) = &write_fu_a) {
  std::vector<std::uint8_t> buffer(max_payload);
  std::vector<Nal> out;
  const std::size_t count =
      writer(bytes_of(nal), MutableBytes(buffer.data(), buffer.size()),
             [&out](Bytes payload) { out.emplace_back(payload.begin(), payload.end()); });
  EXPECT_EQ(count, out.size());
  return out;
}

TEST(H264FuA, WritesGoldenFragmentsOfAnIdrUnit) {
  // IDR (NRI 3, type 5) with 7 bytes after its header, cut to payloads of 5: 3 + 3 + 1 bytes.
  const Nal idr = {0x65, 1, 2, 3, 4, 5, 6, 7};
  const std::vector<Nal> expected = {{0x7c, 0x85, 1, 2, 3}, {0x7c, 0x05, 4, 5, 6}, {0x7c, 0x45, 7}};
  EXPECT_EQ(fragments_of(idr, 5), expected);
}

TEST(H264FuA, FirstFragmentMatchesCapturedFfmpegIdrStart) {
  // The captured first FU-A of an IDR slice, whose unit header was 0x65: the writer makes the
  // same indicator and FU header from the same unit.
  Nal unit = {0x65};
  unit.insert(unit.end(), kCapturedIdrStart.begin() + 2, kCapturedIdrStart.end());
  unit.insert(unit.end(), 20, 0xab);
  const auto fragments = fragments_of(unit, kCapturedIdrStart.size());
  ASSERT_GE(fragments.size(), 2U);
  EXPECT_EQ(fragments.front(), kCapturedIdrStart);
}

TEST(H264FuA, KeepsForbiddenBitAndNriInTheIndicator) {
  const Nal slice = {0x41, 1, 2, 3, 4};  // NRI 2, non-IDR slice
  const auto fragments = fragments_of(slice, 4);
  ASSERT_EQ(fragments.size(), 2U);
  EXPECT_EQ(fragments[0][0], 0x5c);
  EXPECT_EQ(fragments[0][1], 0x81);
  EXPECT_EQ(fragments[1][1], 0x41);
}

TEST(H264FuA, FragmentsRoundTripThroughTheInspectorAndReassemble) {
  Nal idr = {0x65};
  for (int i = 0; i < 3000; ++i)
    idr.push_back(static_cast<std::uint8_t>(i * 7));
  const auto fragments = fragments_of(idr, 1200);
  ASSERT_EQ(fragments.size(), 3U);  // 2999 bytes in chunks of 1198
  Nal reassembled = {
      static_cast<std::uint8_t>((fragments[0][0] & 0xe0) | (fragments[0][1] & 0x1f))};
  for (std::size_t i = 0; i < fragments.size(); ++i) {
    EXPECT_LE(fragments[i].size(), 1200U);
    const auto info = inspect_h264_payload(bytes_of(fragments[i]));
    ASSERT_TRUE(info) << "fragment " << i;
    EXPECT_TRUE(info->is_fragment);
    EXPECT_EQ(info->fragment_start, i == 0);
    EXPECT_EQ(info->fragment_end, i + 1 == fragments.size());
    EXPECT_EQ(info->has_idr, i == 0);
    EXPECT_EQ(info->first_nal_type, kNalIdr);
    reassembled.insert(reassembled.end(), fragments[i].begin() + 2, fragments[i].end());
  }
  EXPECT_EQ(reassembled, idr);
}

TEST(H264FuA, WritesNothingWhenTheBufferIsTooSmall) {
  const Nal idr = {0x65, 1, 2, 3, 4, 5, 6, 7};
  EXPECT_TRUE(fragments_of(idr, 2).empty());
  EXPECT_TRUE(fragments_of(idr, 0).empty());
  EXPECT_EQ(fragments_of(idr, 3).size(), 7U) << "one byte of the unit per fragment";
}

TEST(H264FuA, NeverWritesOneFragmentWithStartAndEnd) {
  // 3 bytes after the header fit in one fragment of 5: §5.8 forbids S and E together.
  EXPECT_TRUE(fragments_of({0x65, 1, 2, 3}, 5).empty());
  EXPECT_EQ(fragments_of({0x65, 1, 2, 3, 4}, 5).size(), 2U);
  EXPECT_TRUE(fragments_of({0x65}, 5).empty()) << "a header alone has nothing to fragment";
  EXPECT_TRUE(fragments_of({}, 5).empty());
}

TEST(H264Packetizer, SendsAUnitThatFitsAsASingleNalUnitPacket) {
  const auto payloads = fragments_of(kCapturedSlice, kCapturedSlice.size(), &packetize_h264_nal);
  ASSERT_EQ(payloads.size(), 1U);
  EXPECT_EQ(payloads[0], kCapturedSlice);
}

TEST(H264Packetizer, FragmentsAUnitOneByteLargerThanThePayload) {
  const auto payloads =
      fragments_of(kCapturedSlice, kCapturedSlice.size() - 1, &packetize_h264_nal);
  ASSERT_EQ(payloads.size(), 2U);
  EXPECT_EQ(payloads[0][0] & 0x1f, kNalFuA);
  EXPECT_EQ(nal_unit_type(bytes_of(payloads[0])), kNalFuA);
}

TEST(H264Packetizer, RejectsAnEmptyUnitAndATinyBuffer) {
  EXPECT_TRUE(fragments_of({}, 100, &packetize_h264_nal).empty());
  EXPECT_TRUE(fragments_of(kCapturedSlice, 2, &packetize_h264_nal).empty());
}

TEST(H264NalUnitType, ReadsTheLowFiveBits) {
  EXPECT_EQ(nal_unit_type(bytes_of(kX264Sps)), kNalSps);
  EXPECT_EQ(nal_unit_type(bytes_of(kX264Pps)), kNalPps);
  EXPECT_EQ(nal_unit_type(bytes_of(kCapturedIdrStart)), kNalFuA);
  EXPECT_EQ(nal_unit_type(Bytes{}), 0);
}

}  // namespace
}  // namespace callcast::rtp
