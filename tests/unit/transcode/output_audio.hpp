#pragma once
// Test-side check of a transcoder's output: the RTP packets it emitted, decoded back with
// libavcodec and laid on a timeline by their RTP timestamps (so a gap stays a gap and a shift
// shows), plus the tone measure (Goertzel) the tests judge the audio by.
#include <cstdint>
#include <vector>

#include "transcode/target_audio_format.hpp"
#include "unit/transcode/aac_payload_writer.hpp"

namespace callcast::transcode::test {

struct OutputAudio {
  int sample_rate = 0;
  std::vector<float> samples;  // mono mix, index 0 at the first packet's timestamp
  std::uint32_t first_timestamp = 0;
  int decode_errors = 0;

  double seconds() const { return static_cast<double>(samples.size()) / sample_rate; }
  // Index of the sample for an RTP timestamp of the stream.
  std::int64_t index_of(std::uint32_t timestamp, TargetAudioCodec codec) const;
};

OutputAudio decode_output(TargetAudioCodec codec, const std::vector<ByteVector>& packets);

// Goertzel power of `frequency` over samples[begin, end).
double tone_power(const std::vector<float>& samples, std::size_t begin, std::size_t end,
                  int sample_rate, double frequency);
double mean_square(const std::vector<float>& samples, std::size_t begin, std::size_t end);

}  // namespace callcast::transcode::test
