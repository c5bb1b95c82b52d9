#include "transcode/latm_depacketizer.hpp"

#include <gtest/gtest.h>

#include "transcode/config_hex.hpp"
#include "unit/transcode/aac_payload_writer.hpp"
#include "unit/transcode/captured_stream.hpp"

namespace callcast::transcode::latm_depacketizer_test {
namespace {

using test::audio_packet;
using test::ByteVector;

std::unique_ptr<LatmDepacketizer> make(std::string_view config_hex) {
  auto config = StreamMuxConfig::parse(*decode_config_hex(config_hex));
  EXPECT_TRUE(config.ok());
  return LatmDepacketizer::create(*config, 1024).value();
}

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
  return units;
}

TEST(LatmCaptureTest, GStreamerCaptureGivesTheSameUnitsAsItsRfc3640Capture) {
  // Same deterministic encoder input: rtpmp4apay and rtpmp4gpay carry the very same frames.
  const auto latm = units_of_capture("aac_latm_48k_stereo");
  EXPECT_GE(latm.size(), 46u);
  EXPECT_EQ(latm, units_of_capture("aac_hbr_48k_stereo"));
}

TEST(LatmCaptureTest, FragmentedCaptureGivesTheSameUnits) {
  EXPECT_EQ(units_of_capture("aac_latm_48k_stereo_mtu300"),
            units_of_capture("aac_latm_48k_stereo"));
}

TEST(LatmCaptureTest, OurWriterMatchesGStreamerByteForByte) {
  const auto capture = test::load_capture("aac_latm_48k_stereo");
  const auto units = units_of_capture("aac_latm_48k_stereo");
  ASSERT_EQ(units.size(), capture.packets.size());
  for (std::size_t i = 0; i < units.size(); ++i) {
    const auto packet = capture.packet(i);
    EXPECT_EQ(test::latm_payload(std::span(&units[i], 1)),
              ByteVector(packet.payload.begin(), packet.payload.end()))
        << i;
  }
}

TEST(LatmDepacketizerTest, LongLengthsUseRunsOf255) {
  auto depacketizer = make("40002320adca00");
  const std::vector<ByteVector> units = {ByteVector(600, 9)};
  const ByteVector payload = test::latm_payload(units);
  EXPECT_EQ(payload[0], 0xff);
  EXPECT_EQ(payload[1], 0xff);
  EXPECT_EQ(payload[2], 600 - 510);
  auto out = depacketizer->push(audio_packet(payload, 7, 1));
  ASSERT_TRUE(out.ok()) << out.error();
  ASSERT_EQ(out->size(), 1u);
  EXPECT_EQ((*out)[0].data.size(), 600u);
}

TEST(LatmDepacketizerTest, SeveralElementsInOnePacketFollowEachOtherInTime) {
  auto depacketizer = make("40002320adca00");
  const std::vector<ByteVector> units = {ByteVector(3, 1), ByteVector(255, 2), ByteVector(4, 3)};
  auto out = depacketizer->push(audio_packet(test::latm_payload(units), 100, 1));
  ASSERT_TRUE(out.ok()) << out.error();
  ASSERT_EQ(out->size(), 3u);
  EXPECT_EQ((*out)[1].data.size(), 255u);
  EXPECT_EQ((*out)[2].timestamp, 100u + 2048u);
}

TEST(LatmDepacketizerTest, SubFramesAndOtherDataOfTheConfigAreFollowed) {
  auto depacketizer = make("430023203fe100");  // 4 sub-frames, 16 bits of other data
  ByteVector payload = test::latm_payload(std::vector<ByteVector>{
      ByteVector(2, 1), ByteVector(3, 2), ByteVector(4, 3), ByteVector(5, 4)});
  payload.push_back(0xaa);  // other data
  payload.push_back(0xbb);
  auto out = depacketizer->push(audio_packet(payload, 0, 1));
  ASSERT_TRUE(out.ok()) << out.error();
  ASSERT_EQ(out->size(), 4u);
  EXPECT_EQ((*out)[3].data.size(), 5u);
  payload.pop_back();  // other data cut short
  EXPECT_FALSE(depacketizer->push(audio_packet(payload, 0, 2)).ok());
}

TEST(LatmDepacketizerTest, LostFragmentDropsTheElement) {
  auto depacketizer = make("40002320adca00");
  const ByteVector payload = test::latm_payload(std::vector<ByteVector>{ByteVector(600, 5)});
  const ByteVector first(payload.begin(), payload.begin() + 300);
  const ByteVector last(payload.begin() + 300, payload.end());
  EXPECT_TRUE(depacketizer->push(audio_packet(first, 0, 1, false))->empty());
  auto whole = depacketizer->push(audio_packet(last, 0, 2, true));
  ASSERT_TRUE(whole.ok()) << whole.error();
  EXPECT_EQ(whole->size(), 1u);

  EXPECT_TRUE(depacketizer->push(audio_packet(first, 1024, 3, false))->empty());
  auto after_loss = depacketizer->push(audio_packet(last, 1024, 5, true));  // 4 lost
  EXPECT_FALSE(after_loss.ok());  // the tail alone is not an element
  EXPECT_EQ(depacketizer->counters().broken_fragments, 1u);
  EXPECT_EQ(depacketizer->counters().lost, 1u);
}

TEST(LatmDepacketizerTest, LyingLengthsAreRefused) {
  auto depacketizer = make("40002320adca00");
  std::uint16_t sequence = 0;
  const auto error = [&](const ByteVector& payload) {
    auto out = depacketizer->push(audio_packet(payload, 0, sequence++));
    return out.ok() ? std::string() : out.error();
  };
  EXPECT_NE(error({}).find("empty"), std::string::npos);
  EXPECT_NE(error({0xff, 0xff}).find("runs past"), std::string::npos);
  EXPECT_NE(error({0x05, 1, 2}).find("runs past"), std::string::npos);
  EXPECT_NE(error({0x00}).find("0 bytes"), std::string::npos);
  EXPECT_NE(error({0x01, 1, 0x03}).find("runs past"), std::string::npos);  // second element short
  EXPECT_EQ(depacketizer->counters().malformed, 5u);
}

TEST(LatmDepacketizerTest, OversizedFragmentedElementIsRefused) {
  auto depacketizer = make("40002320adca00");
  const ByteVector chunk(1400, 0xff);
  std::uint16_t sequence = 0;
  bool refused = false;
  for (int i = 0; i < 20 && !refused; ++i) {
    refused = !depacketizer->push(audio_packet(chunk, 0, sequence++, false)).ok();
  }
  EXPECT_TRUE(refused);
}

}  // namespace
}  // namespace callcast::transcode::latm_depacketizer_test
