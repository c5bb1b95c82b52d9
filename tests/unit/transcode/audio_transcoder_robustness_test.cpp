// What the shard thread relies on: random input never crashes a transcoder nor stops it, and a
// steady stream costs no allocation of ours per packet (this binary counts operator new).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <random>

#include "transcode/audio_transcoder.hpp"
#include "unit/transcode/aac_payload_writer.hpp"
#include "unit/transcode/captured_stream.hpp"

extern "C" {
#include <libavutil/log.h>
}

namespace {
std::atomic<std::size_t> allocations{0};
}  // namespace

void* operator new(std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* memory = std::malloc(size == 0 ? 1 : size)) return memory;
  throw std::bad_alloc();
}
void operator delete(void* memory) noexcept {
  std::free(memory);
}
void operator delete(void* memory, std::size_t) noexcept {
  std::free(memory);
}

namespace callcast::transcode {
namespace {

TargetAudioFormat pcmu() {
  TargetAudioFormat target;
  target.codec = TargetAudioCodec::pcmu;
  return target;
}

class AudioTranscoderRobustnessTest : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() { av_log_set_level(AV_LOG_QUIET); }
};

TEST_P(AudioTranscoderRobustnessTest, RandomPacketsAreCountedAndRealOnesStillComeThrough) {
  const auto capture = test::load_capture(GetParam());
  auto transcoder = AudioTranscoder::create(capture.format(), pcmu()).value();
  std::size_t emitted = 0;
  const AudioTranscoder::PacketSink sink = [&](rtp::Bytes packet) {
    ++emitted;
    EXPECT_GE(packet.size(), 12u);
  };
  std::mt19937 random(7);
  std::uint16_t sequence = 0;
  std::uint32_t timestamp = 0;
  for (int i = 0; i < 3000; ++i) {
    test::ByteVector payload(random() % 400);
    for (auto& byte : payload)
      byte = static_cast<std::uint8_t>(random());
    if (i % 3 == 0 && payload.size() >= 4) {  // plausible headers around random units
      payload[0] = 0;
      payload[1] = 16;
      payload[2] = static_cast<std::uint8_t>((payload.size() - 4) >> 5);
      payload[3] = static_cast<std::uint8_t>((payload.size() - 4) << 3);
    }
    sequence = static_cast<std::uint16_t>(sequence + random() % 3);
    timestamp += static_cast<std::uint32_t>(random() % 4) * 1024u;
    if (random() % 50 == 0) timestamp += static_cast<std::uint32_t>(random());
    transcoder->push(test::audio_packet(payload, timestamp, sequence, random() % 4 != 0), sink);
  }
  const auto& counters = transcoder->counters();
  EXPECT_EQ(counters.input_packets, 3000u);
  EXPECT_EQ(counters.output_packets, emitted);

  // The real stream afterwards (its own sequence numbers and timestamps: a new timeline).
  const std::size_t before = emitted;
  for (std::size_t i = 0; i < capture.packets.size(); ++i)
    transcoder->push(capture.packet(i), sink);
  EXPECT_GE(emitted - before, 45u);
}

TEST_P(AudioTranscoderRobustnessTest, SteadyStreamAllocatesNothingOfOursPerPacket) {
  const auto capture = test::load_capture(GetParam());
  auto transcoder = AudioTranscoder::create(capture.format(), pcmu()).value();
  std::size_t emitted = 0;
  const AudioTranscoder::PacketSink sink = [&](rtp::Bytes) { ++emitted; };
  std::vector<AudioRtpPacket> packets;
  for (std::size_t i = 0; i < capture.packets.size(); ++i)
    packets.push_back(capture.packet(i));
  for (std::size_t i = 0; i < 10; ++i)
    transcoder->push(packets[i], sink);  // warm-up
  const std::size_t before = allocations.load();
  for (std::size_t i = 10; i < packets.size(); ++i)
    transcoder->push(packets[i], sink);
  EXPECT_EQ(allocations.load() - before, 0u);
  EXPECT_GT(emitted, 40u);
}

INSTANTIATE_TEST_SUITE_P(Sources, AudioTranscoderRobustnessTest,
                         ::testing::Values("aac_hbr_48k_stereo_mtu300", "aac_latm_48k_stereo",
                                           "opus_48k_stereo"));

}  // namespace
}  // namespace callcast::transcode
