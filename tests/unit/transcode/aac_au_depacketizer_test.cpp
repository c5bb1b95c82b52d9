#include "transcode/aac_au_depacketizer.hpp"

#include <gtest/gtest.h>

#include "unit/transcode/aac_payload_writer.hpp"
#include "unit/transcode/captured_stream.hpp"

namespace callcast::transcode::aac_au_depacketizer_test {
namespace {

using test::audio_packet;
using test::ByteVector;

class AacAuDepacketizerTest : public ::testing::Test {
 protected:
  std::unique_ptr<AacAuDepacketizer> depacketizer_ = AacAuDepacketizer::create({}, 1024).value();

  // The units (copied) and timestamps one packet gives, or the error text.
  std::vector<std::pair<ByteVector, std::uint32_t>> push(const ByteVector& payload,
                                                         std::uint32_t timestamp,
                                                         std::uint16_t sequence, bool marker = true,
                                                         std::string* error = nullptr) {
    auto units = depacketizer_->push(audio_packet(payload, timestamp, sequence, marker));
    std::vector<std::pair<ByteVector, std::uint32_t>> out;
    if (!units) {
      if (error != nullptr) *error = units.error();
      return out;
    }
    for (const auto& unit : *units) {
      out.emplace_back(ByteVector(unit.data.begin(), unit.data.end()), unit.timestamp);
    }
    return out;
  }
  std::string error_of(const ByteVector& payload) {
    std::string error;
    push(payload, 0, next_sequence_++, true, &error);
    return error;
  }
  std::uint16_t next_sequence_ = 100;
};

ByteVector unit_of(std::size_t size, std::uint8_t fill) {
  return ByteVector(size, fill);
}

// Every access unit of a capture, copied, in order.
std::vector<ByteVector> units_of_capture(const std::string& name) {
  const auto capture = test::load_capture(name);
  auto depacketizer = capture.format().make_depacketizer();
  std::vector<ByteVector> units;
  for (std::size_t i = 0; i < capture.packets.size(); ++i) {
    auto out = (*depacketizer)->push(capture.packet(i));
    EXPECT_TRUE(out.ok()) << name << " packet " << i << ": " << out.error();
    if (!out) continue;
    for (const auto& unit : *out)
      units.emplace_back(unit.data.begin(), unit.data.end());
  }
  EXPECT_EQ((*depacketizer)->counters().malformed, 0u);
  return units;
}

TEST(AacAuCaptureTest, GStreamerCaptureGivesOneUnitPerPacket) {
  const auto capture = test::load_capture("aac_hbr_48k_stereo");
  const auto units = units_of_capture("aac_hbr_48k_stereo");
  EXPECT_EQ(units.size(), capture.packets.size());
  EXPECT_GE(units.size(), 46u);  // 1 s of 1024-sample frames at 48 kHz
}

TEST(AacAuCaptureTest, FragmentedCaptureGivesTheSameUnitsAsTheWholeOne) {
  // Same deterministic input and encoder; rtpmp4gpay mtu=300 cut every unit in two or three.
  const auto whole = units_of_capture("aac_hbr_48k_stereo");
  const auto fragmented = units_of_capture("aac_hbr_48k_stereo_mtu300");
  EXPECT_GT(test::load_capture("aac_hbr_48k_stereo_mtu300").packets.size(), whole.size());
  EXPECT_EQ(whole, fragmented);
}

TEST(AacAuCaptureTest, OurWriterMatchesGStreamerByteForByte) {
  const auto capture = test::load_capture("aac_hbr_48k_stereo");
  const auto units = units_of_capture("aac_hbr_48k_stereo");
  ASSERT_EQ(units.size(), capture.packets.size());
  for (std::size_t i = 0; i < units.size(); ++i) {
    const auto packet = capture.packet(i);
    const ByteVector written = test::hbr_payload(std::span(&units[i], 1));
    EXPECT_EQ(written, ByteVector(packet.payload.begin(), packet.payload.end())) << i;
  }
}

TEST_F(AacAuDepacketizerTest, SeveralUnitsInOnePacketFollowEachOtherInTime) {
  const std::vector<ByteVector> units = {unit_of(10, 1), unit_of(300, 2), unit_of(7, 3)};
  const auto out = push(test::hbr_payload(units), 5000, 1);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0], std::make_pair(units[0], 5000u));
  EXPECT_EQ(out[1], std::make_pair(units[1], 6024u));
  EXPECT_EQ(out[2], std::make_pair(units[2], 7048u));
}

TEST_F(AacAuDepacketizerTest, FragmentsAreJoinedAtTheMarker) {
  ByteVector unit(1000);
  for (std::size_t i = 0; i < unit.size(); ++i)
    unit[i] = static_cast<std::uint8_t>(i);
  const auto fragments = test::hbr_fragments(unit, 300);
  ASSERT_EQ(fragments.size(), 4u);
  for (std::size_t i = 0; i + 1 < fragments.size(); ++i) {
    EXPECT_TRUE(push(fragments[i], 9, static_cast<std::uint16_t>(i), false).empty());
  }
  const auto out = push(fragments.back(), 9, 3, true);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], std::make_pair(unit, 9u));
}

TEST_F(AacAuDepacketizerTest, LostFragmentDropsTheUnitAndTheNextOneIsWhole) {
  const auto fragments = test::hbr_fragments(ByteVector(1000, 7), 300);
  push(fragments[0], 9, 0, false);
  push(fragments[1], 9, 1, false);
  // fragment 2 (sequence 2) lost
  EXPECT_TRUE(push(fragments[3], 9, 3, true).empty());
  EXPECT_EQ(depacketizer_->counters().lost, 1u);
  EXPECT_EQ(depacketizer_->counters().broken_fragments, 1u);
  const auto out = push(test::hbr_payload(std::vector<ByteVector>{unit_of(5, 1)}), 1033, 4);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].second, 1033u);
}

TEST_F(AacAuDepacketizerTest, FragmentsAcrossSequenceWrapAreJoined) {
  const auto fragments = test::hbr_fragments(ByteVector(500, 7), 300);
  push(fragments[0], 9, 0xffff, false);
  const auto out = push(fragments[1], 9, 0, true);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].first.size(), 500u);
  EXPECT_EQ(depacketizer_->counters().lost, 0u);
}

TEST_F(AacAuDepacketizerTest, LateAndDuplicatePacketsAreDropped) {
  const ByteVector payload = test::hbr_payload(std::vector<ByteVector>{unit_of(5, 1)});
  EXPECT_EQ(push(payload, 0, 10).size(), 1u);
  EXPECT_EQ(push(payload, 0, 10).size(), 0u);
  EXPECT_EQ(push(payload, 0, 9).size(), 0u);
  EXPECT_EQ(depacketizer_->counters().late, 2u);
}

TEST_F(AacAuDepacketizerTest, LyingLengthsAreRefused) {
  const ByteVector good = test::hbr_payload(std::vector<ByteVector>{unit_of(20, 1)});
  EXPECT_NE(error_of({0x00}).find("shorter"), std::string::npos);
  ByteVector not_whole_headers = good;
  not_whole_headers[1] = 17;  // 17 bits: not whole 16-bit headers
  EXPECT_NE(error_of(not_whole_headers).find("whole number"), std::string::npos);
  ByteVector headers_past_end = {0x00, 0x40, 0x00, 0x08};  // four headers, one present
  EXPECT_NE(error_of(headers_past_end).find("past the payload"), std::string::npos);
  ByteVector too_short = good;
  too_short.pop_back();  // with the marker, a unit shorter than its AU-size
  EXPECT_NE(error_of(too_short).find("ends before"), std::string::npos);
  ByteVector too_long = good;
  too_long.push_back(0);
  EXPECT_NE(error_of(too_long).find("add up to"), std::string::npos);
  ByteVector zero_size = {0x00, 0x10, 0x00, 0x00};
  EXPECT_NE(error_of(zero_size).find("AU-size 0"), std::string::npos);
  ByteVector interleaved = good;
  interleaved[3] |= 0x01;  // AU-Index 1
  EXPECT_NE(error_of(interleaved).find("interleaved"), std::string::npos);
  EXPECT_EQ(depacketizer_->counters().malformed, 7u);
  EXPECT_EQ(push(good, 0, next_sequence_++).size(), 1u);  // and it goes on
}

TEST_F(AacAuDepacketizerTest, FragmentsLongerThanTheUnitAreRefused) {
  auto fragments = test::hbr_fragments(ByteVector(500, 7), 300);
  push(fragments[0], 9, 0, false);
  fragments[1].resize(fragments[1].size() + 10, 0);
  std::string error;
  push(fragments[1], 9, 1, true, &error);
  EXPECT_NE(error.find("longer than its AU-size"), std::string::npos);
}

TEST(AacAuDepacketizerCreateTest, LayoutsOutOfRangeAreRefused) {
  EXPECT_FALSE(AacAuDepacketizer::create({17, 3, 3}, 1024).ok());
  EXPECT_FALSE(AacAuDepacketizer::create({0, 3, 3}, 1024).ok());
  EXPECT_FALSE(AacAuDepacketizer::create({13, 9, 3}, 1024).ok());
  EXPECT_FALSE(AacAuDepacketizer::create({13, 3, 3}, 0).ok());
  EXPECT_TRUE(AacAuDepacketizer::create({6, 2, 2}, 1024).ok());  // AAC-lbr
}

TEST(AacAuDepacketizerCreateTest, LowBitrateModeReadsSixBitSizes) {
  auto depacketizer = AacAuDepacketizer::create({6, 2, 2}, 1024).value();
  // two units of 3 and 2 bytes: headers-length 16, headers 000011 00 | 000010 00
  const ByteVector payload = {0x00, 0x10, 0x0c, 0x08, 1, 1, 1, 2, 2};
  auto out = depacketizer->push(audio_packet(payload, 0, 0));
  ASSERT_TRUE(out.ok()) << out.error();
  ASSERT_EQ(out->size(), 2u);
  EXPECT_EQ((*out)[0].data.size(), 3u);
  EXPECT_EQ((*out)[1].timestamp, 1024u);
}

}  // namespace
}  // namespace callcast::transcode::aac_au_depacketizer_test
