#include "transcode/audio_transcoder.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <tuple>

#include "rtp/rtp_packet_view.hpp"
#include "unit/transcode/aac_payload_writer.hpp"
#include "unit/transcode/captured_stream.hpp"
#include "unit/transcode/output_audio.hpp"

extern "C" {
#include <libavutil/log.h>
}

namespace callcast::transcode {
namespace {

using test::ByteVector;
using test::CapturedStream;

// Sequence numbers start just before the 16-bit wrap, timestamps just before the 32-bit one.
constexpr std::uint32_t kSsrc = 0xcafebabe;
constexpr std::uint16_t kFirstSequence = 65530;
constexpr std::uint32_t kFirstTimestamp = 4294960000u;

TargetAudioFormat target_of(TargetAudioCodec codec) {
  TargetAudioFormat target;
  target.codec = codec;
  target.payload_type = static_payload_type(codec).value_or(111);
  return target;
}

struct OutputPacket {
  std::uint16_t sequence_number;
  std::uint32_t timestamp;
  bool marker;
  std::uint8_t payload_type;
  std::uint32_t ssrc;
};

OutputPacket header_of(const ByteVector& bytes) {
  const auto view = rtp::RtpPacketView::parse(bytes);
  EXPECT_TRUE(view.has_value());
  return {view->sequence_number(), view->timestamp(), view->marker(), view->payload_type(),
          view->ssrc()};
}

class AudioTranscoderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { av_log_set_level(AV_LOG_FATAL); }  // corrupt input is expected

  std::unique_ptr<AudioTranscoder> make(const SourceAudioFormat& source, TargetAudioCodec codec) {
    const TargetAudioFormat target = target_of(codec);
    auto made = AudioTranscoder::create(
        source, target, {target.payload_type, kSsrc, kFirstSequence, kFirstTimestamp});
    EXPECT_TRUE(made.ok()) << (made.ok() ? "" : made.error());
    return made.ok() ? std::move(made).value() : nullptr;
  }

  AudioTranscoder::PacketSink collect(std::vector<ByteVector>& into) {
    return [&into](rtp::Bytes packet) { into.emplace_back(packet.begin(), packet.end()); };
  }

  // Transcodes a capture; `edit` may change a packet (its bytes) or drop it (returns false).
  std::vector<ByteVector> transcode(
      const CapturedStream& capture, TargetAudioCodec codec,
      const std::function<bool(std::size_t, ByteVector&)>& edit = nullptr) {
    transcoder_ = make(capture.format(), codec);
    std::vector<ByteVector> out;
    const auto sink = collect(out);
    for (std::size_t i = 0; i < capture.packets.size(); ++i) {
      ByteVector bytes = capture.packets[i];
      if (edit && !edit(i, bytes)) continue;
      const auto view = rtp::RtpPacketView::parse(bytes);
      EXPECT_TRUE(view.has_value());
      transcoder_->push(*view, sink);
    }
    transcoder_->finish(sink);
    return out;
  }

  std::unique_ptr<AudioTranscoder> transcoder_;
};

// The capture's duration: from its first timestamp to the end of its last access unit.
double input_seconds(const CapturedStream& capture, std::uint32_t unit_ticks) {
  const auto first = capture.packet(0).timestamp;
  const auto last = capture.packet(capture.packets.size() - 1).timestamp;
  return (static_cast<double>(last - first) + unit_ticks) / capture.clock_rate;
}

// The stream is one RTP stream: our SSRC and payload type, sequence numbers one apart (across
// the wrap), timestamps one frame apart, the marker only on the first packet.
void expect_continuous_stream(const std::vector<ByteVector>& packets, TargetAudioCodec codec) {
  const TargetAudioFormat target = target_of(codec);
  const std::uint32_t frame = rtp_clock_rate(codec) * 20 / 1000;
  for (std::size_t i = 0; i < packets.size(); ++i) {
    const auto header = header_of(packets[i]);
    EXPECT_EQ(header.ssrc, kSsrc);
    EXPECT_EQ(header.payload_type, target.payload_type);
    EXPECT_EQ(header.sequence_number, static_cast<std::uint16_t>(kFirstSequence + i));
    EXPECT_EQ(header.timestamp, kFirstTimestamp + static_cast<std::uint32_t>(i) * frame) << i;
    EXPECT_EQ(header.marker, i == 0) << i;
  }
}

void expect_tone(const test::OutputAudio& audio, std::size_t begin, std::size_t end,
                 const std::string& what) {
  const double tone = test::tone_power(audio.samples, begin, end, audio.sample_rate, 440);
  for (const double other : {250.0, 1000.0, 2000.0, 3000.0}) {
    EXPECT_GT(tone, 100 * test::tone_power(audio.samples, begin, end, audio.sample_rate, other))
        << what << ": 440 Hz against " << other << " Hz";
  }
  EXPECT_GT(test::mean_square(audio.samples, begin, end), 0.05) << what << ": too quiet";
}

// RMS difference of two timelines over [begin, end).
double rms_difference(const test::OutputAudio& a, const test::OutputAudio& b, std::size_t begin,
                      std::size_t end) {
  double sum = 0;
  for (std::size_t i = begin; i < end; ++i) {
    const double d = a.samples.at(i) - b.samples.at(i);
    sum += d * d;
  }
  return std::sqrt(sum / static_cast<double>(end - begin));
}

class EveryPairTest
    : public AudioTranscoderTest,
      public ::testing::WithParamInterface<std::tuple<std::string, TargetAudioCodec>> {};

TEST_P(EveryPairTest, CapturedToneComesOutWholeAsOneStream) {
  const auto& [name, codec] = GetParam();
  const auto capture = test::load_capture(name);
  const auto packets = transcode(capture, codec);
  ASSERT_GT(packets.size(), 40u);
  expect_continuous_stream(packets, codec);

  const auto audio = test::decode_output(codec, packets);
  EXPECT_EQ(audio.decode_errors, 0);
  const std::uint32_t unit_ticks =
      capture.format().access_unit_duration != 0 ? capture.format().access_unit_duration : 960;
  // Samples out ~ samples in: within two output frames (the last one is padded) and the
  // resampler's delay.
  EXPECT_NEAR(audio.seconds(), input_seconds(capture, unit_ticks), 0.045);
  expect_tone(audio, audio.samples.size() / 4, audio.samples.size() * 3 / 4, name);
  EXPECT_EQ(transcoder_->counters().decode_errors, 0u);
  EXPECT_EQ(transcoder_->counters().malformed_packets, 0u);
  EXPECT_EQ(transcoder_->counters().gaps_filled, 0u);
  EXPECT_EQ(transcoder_->counters().timestamp_jumps, 0u);
  EXPECT_EQ(transcoder_->counters().output_packets, packets.size());
}

INSTANTIATE_TEST_SUITE_P(
    CapturesAndTargets, EveryPairTest,
    ::testing::Combine(::testing::Values("aac_hbr_48k_stereo", "aac_hbr_48k_stereo_mtu300",
                                         "aac_latm_48k_stereo", "aac_latm_48k_stereo_mtu300",
                                         "aac_latm_44k_mono", "opus_48k_stereo"),
                       ::testing::Values(TargetAudioCodec::pcmu, TargetAudioCodec::pcma,
                                         TargetAudioCodec::g722, TargetAudioCodec::opus)),
    [](const auto& pair) {
      return std::get<0>(pair.param) + "_to_" + std::string(encoding_name(std::get<1>(pair.param)));
    });

TEST_F(AudioTranscoderTest, LostPacketLeavesASilentGapOfItsLengthNotAShift) {
  const auto capture = test::load_capture("aac_hbr_48k_stereo");
  constexpr std::size_t kLost = 20;
  const auto clean =
      test::decode_output(TargetAudioCodec::pcmu, transcode(capture, TargetAudioCodec::pcmu));
  const auto lossy_packets = transcode(capture, TargetAudioCodec::pcmu,
                                       [](std::size_t i, ByteVector&) { return i != kLost; });
  expect_continuous_stream(lossy_packets, TargetAudioCodec::pcmu);
  EXPECT_EQ(transcoder_->counters().gaps_filled, 1u);
  EXPECT_EQ(transcoder_->counters().silence_ticks, 1024u);  // one unit, sender jitter aside
  const auto lossy = test::decode_output(TargetAudioCodec::pcmu, lossy_packets);
  EXPECT_EQ(lossy.samples.size(), clean.samples.size());  // nothing shorter

  // Where the lost unit belonged (8 kHz output, 48 kHz input clock): silence.
  const auto lost_ts = capture.packet(kLost).timestamp - capture.packet(0).timestamp;
  const auto gap_begin = static_cast<std::size_t>(lost_ts / 6);
  const std::size_t gap_end = gap_begin + 1024 / 6;
  EXPECT_LT(test::mean_square(lossy.samples, gap_begin + 20, gap_end - 20),
            0.01 * test::mean_square(clean.samples, gap_begin + 20, gap_end - 20));
  // Two frames later the audio is the clean run's, sample for sample: it was not shifted.
  const std::size_t after = gap_end + 2 * 171;
  EXPECT_LT(rms_difference(clean, lossy, after, clean.samples.size() - 200), 0.01);
  EXPECT_GT(rms_difference(clean, lossy, gap_begin, gap_end), 0.1);
}

TEST_F(AudioTranscoderTest, LostOpusPacketLeavesASilentGapOfItsLength) {
  const auto capture = test::load_capture("opus_48k_stereo");
  const auto clean =
      test::decode_output(TargetAudioCodec::g722, transcode(capture, TargetAudioCodec::g722));
  const auto lossy_packets = transcode(capture, TargetAudioCodec::g722,
                                       [](std::size_t i, ByteVector&) { return i != 20; });
  expect_continuous_stream(lossy_packets, TargetAudioCodec::g722);
  EXPECT_EQ(transcoder_->counters().gaps_filled, 1u);
  EXPECT_EQ(transcoder_->counters().silence_ticks, 960u);  // one 20 ms Opus packet
  const auto lossy = test::decode_output(TargetAudioCodec::g722, lossy_packets);
  EXPECT_EQ(lossy.samples.size(), clean.samples.size());
}

TEST_F(AudioTranscoderTest, LongLossJumpsTheTimestampWithTheMarkerAndKeepsTime) {
  const auto capture = test::load_capture("aac_hbr_48k_stereo");
  const auto clean =
      test::decode_output(TargetAudioCodec::pcmu, transcode(capture, TargetAudioCodec::pcmu));
  // 10 units (213 ms) lost: more than the 100 ms filled with silence.
  const auto lossy_packets =
      transcode(capture, TargetAudioCodec::pcmu,
                [](std::size_t i, ByteVector&) { return i < 10 || i >= 20; });
  EXPECT_EQ(transcoder_->counters().timestamp_jumps, 1u);
  EXPECT_EQ(transcoder_->counters().gaps_filled, 0u);
  std::size_t markers = 0;
  std::uint32_t largest_step = 0;
  for (std::size_t i = 0; i < lossy_packets.size(); ++i) {
    const auto header = header_of(lossy_packets[i]);
    EXPECT_EQ(header.sequence_number, static_cast<std::uint16_t>(kFirstSequence + i));
    if (header.marker) ++markers;
    if (i > 0) {
      const std::uint32_t step = header.timestamp - header_of(lossy_packets[i - 1]).timestamp;
      EXPECT_GE(step, 160u);
      largest_step = std::max(largest_step, step);
    }
  }
  EXPECT_EQ(markers, 2u);
  // The jump covers the loss (213 ms = 1706 ticks at 8 kHz) less the padded frame before it.
  EXPECT_GT(largest_step, 1706u - 160u);
  EXPECT_LT(largest_step, 1706u + 160u);
  const auto lossy = test::decode_output(TargetAudioCodec::pcmu, lossy_packets);
  EXPECT_NEAR(static_cast<double>(lossy.samples.size()), static_cast<double>(clean.samples.size()),
              160);
  const auto resume_ts = capture.packet(20).timestamp - capture.packet(0).timestamp;
  const auto resume = static_cast<std::size_t>(resume_ts / 6);
  // In place to the output clock's tick (125 us at 8 kHz: a sine at 440 Hz off by half a tick
  // differs by 0.1 RMS; one shifted by a 20 ms frame by 0.8).
  EXPECT_LT(rms_difference(clean, lossy, resume + 2 * 171,
                           std::min(clean.samples.size(), lossy.samples.size()) - 200),
            0.1);
}

TEST_F(AudioTranscoderTest, MalformedAndCorruptPacketsAreCountedAndTheStreamGoesOn) {
  const auto capture = test::load_capture("aac_hbr_48k_stereo");
  const auto clean_packets = transcode(capture, TargetAudioCodec::pcmu);
  const auto packets =
      transcode(capture, TargetAudioCodec::pcmu, [](std::size_t i, ByteVector& bytes) {
        if (i == 30) bytes.resize(12 + 1);  // payload shorter than its AU-headers-length
        if (i == 12 || i == 13) {           // the access unit's bytes scrambled
          for (std::size_t k = 12 + 4; k < bytes.size(); ++k)
            bytes[k] ^= 0x5a;
        }
        return true;
      });
  EXPECT_EQ(transcoder_->counters().malformed_packets, 1u);
  EXPECT_FALSE(transcoder_->last_error().empty());
  EXPECT_GE(transcoder_->counters().gaps_filled, 1u);
  EXPECT_EQ(packets.size(), clean_packets.size());
  expect_continuous_stream(packets, TargetAudioCodec::pcmu);
  const auto audio = test::decode_output(TargetAudioCodec::pcmu, packets);
  expect_tone(audio, audio.samples.size() * 3 / 5, audio.samples.size() - 400, "after errors");
}

TEST_F(AudioTranscoderTest, TimestampWrapIsFollowed) {
  const auto capture = test::load_capture("aac_latm_48k_stereo");
  const std::uint32_t base = capture.packet(0).timestamp;
  const auto packets =
      transcode(capture, TargetAudioCodec::g722, [&](std::size_t, ByteVector& bytes) {
        const std::uint32_t ts = rtp::read_u32(&bytes[4]);
        rtp::set_timestamp(bytes, ts - base + 0xffff0000u);  // wraps 65536 ticks (1.4 s) in
        return true;
      });
  EXPECT_EQ(transcoder_->counters().timeline_resets, 0u);
  EXPECT_EQ(transcoder_->counters().timestamp_jumps, 0u);
  expect_continuous_stream(packets, TargetAudioCodec::g722);
}

TEST_F(AudioTranscoderTest, NewInputTimelineContinuesTheOutputWithTheMarker) {
  const auto capture = test::load_capture("aac_hbr_48k_stereo");
  const auto packets =
      transcode(capture, TargetAudioCodec::pcma, [](std::size_t i, ByteVector& bytes) {
        if (i >= 25) rtp::set_timestamp(bytes, rtp::read_u32(&bytes[4]) + 0x40000000u);
        return true;
      });
  EXPECT_EQ(transcoder_->counters().timeline_resets, 1u);
  std::size_t markers = 0;
  for (std::size_t i = 0; i < packets.size(); ++i) {
    const auto header = header_of(packets[i]);
    markers += header.marker ? 1 : 0;
    EXPECT_EQ(header.timestamp, kFirstTimestamp + static_cast<std::uint32_t>(i) * 160);
  }
  EXPECT_EQ(markers, 2u);
}

TEST_F(AudioTranscoderTest, SourceChangeKeepsTheOutputStream) {
  const auto first = test::load_capture("aac_hbr_48k_stereo");
  const auto second = test::load_capture("aac_latm_44k_mono");
  transcoder_ = make(first.format(), TargetAudioCodec::pcmu);
  std::vector<ByteVector> out;
  const auto sink = collect(out);
  for (std::size_t i = 0; i < 25; ++i)
    transcoder_->push(first.packet(i), sink);
  ASSERT_TRUE(transcoder_->change_source(second.format(), sink).ok());
  const std::size_t before_change = out.size();
  for (std::size_t i = 0; i < second.packets.size(); ++i)
    transcoder_->push(second.packet(i), sink);
  transcoder_->finish(sink);

  EXPECT_EQ(transcoder_->counters().source_changes, 1u);
  EXPECT_GE(transcoder_->counters().format_changes, 1u);  // 48 kHz stereo -> 44.1 kHz mono
  std::size_t markers = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const auto header = header_of(out[i]);
    EXPECT_EQ(header.ssrc, kSsrc);
    EXPECT_EQ(header.sequence_number, static_cast<std::uint16_t>(kFirstSequence + i));
    EXPECT_EQ(header.timestamp, kFirstTimestamp + static_cast<std::uint32_t>(i) * 160);
    if (header.marker) {
      ++markers;
      EXPECT_TRUE(i == 0 || i == before_change) << i;
    }
  }
  EXPECT_EQ(markers, 2u);
  const auto audio = test::decode_output(TargetAudioCodec::pcmu, out);
  const std::size_t change = before_change * 160;
  expect_tone(audio, change / 4, change * 3 / 4, "first source");
  expect_tone(audio, change + 800, audio.samples.size() - 800, "second source");
}

TEST_F(AudioTranscoderTest, OutputTimestampTranslatesInputTimeForSenderReports) {
  const auto capture = test::load_capture("aac_hbr_48k_stereo");
  transcoder_ = make(capture.format(), TargetAudioCodec::opus);
  EXPECT_FALSE(transcoder_->output_timestamp(0).has_value());
  std::vector<ByteVector> out;
  const auto sink = collect(out);
  for (std::size_t i = 0; i < capture.packets.size(); ++i)
    transcoder_->push(capture.packet(i), sink);
  const std::uint32_t first_input = capture.packet(0).timestamp;
  EXPECT_EQ(transcoder_->output_timestamp(first_input), kFirstTimestamp);
  // One second of input is one second of output at the 48 kHz Opus clock, across the wrap.
  EXPECT_EQ(transcoder_->output_timestamp(first_input + 48000), kFirstTimestamp + 48000u);
  EXPECT_EQ(transcoder_->output_timestamp(first_input - 4800), kFirstTimestamp - 4800u);
}

TEST_F(AudioTranscoderTest, CreateRefusesAPayloadTypeOutOfRange) {
  const auto capture = test::load_capture("opus_48k_stereo");
  TargetAudioFormat target = target_of(TargetAudioCodec::pcmu);
  target.payload_type = 128;
  EXPECT_FALSE(AudioTranscoder::create(capture.format(), target).ok());
  target = target_of(TargetAudioCodec::opus);
  target.channels = 3;
  EXPECT_FALSE(AudioTranscoder::create(capture.format(), target).ok());
}

TEST_F(AudioTranscoderTest, StereoOpusTargetCarriesTheTone) {
  const auto capture = test::load_capture("aac_latm_48k_stereo");
  TargetAudioFormat target = target_of(TargetAudioCodec::opus);
  target.channels = 2;
  auto made = AudioTranscoder::create(capture.format(), target);
  ASSERT_TRUE(made.ok()) << made.error();
  std::vector<ByteVector> out;
  const auto sink = collect(out);
  for (std::size_t i = 0; i < capture.packets.size(); ++i)
    (*made)->push(capture.packet(i), sink);
  (*made)->finish(sink);
  const auto audio = test::decode_output(TargetAudioCodec::opus, out);
  expect_tone(audio, audio.samples.size() / 4, audio.samples.size() * 3 / 4, "stereo opus");
  EXPECT_NE(header_of(out[0]).ssrc, 0u);
}

}  // namespace
}  // namespace callcast::transcode
