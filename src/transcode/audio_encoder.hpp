#pragma once
// The target side of a transcoder: libavcodec's pcm_mulaw, pcm_alaw, g722 or libopus encoder,
// fed 20 ms frames of 16-bit PCM at the codec's rate, giving one RTP payload per frame.
#include <cstdint>
#include <memory>
#include <string>

#include "core/result.hpp"
#include "rtp/byte_io.hpp"
#include "transcode/av_handles.hpp"
#include "transcode/target_audio_format.hpp"

namespace callcast::transcode {

class AudioEncoder {
 public:
  static Result<std::unique_ptr<AudioEncoder>, std::string> create(const TargetAudioFormat& format);

  int sample_rate() const { return context_->sample_rate; }
  const AVChannelLayout& channel_layout() const { return context_->ch_layout; }
  AVSampleFormat sample_format() const { return context_->sample_fmt; }
  int frame_samples() const { return frame_samples_; }        // 20 ms at sample_rate()
  std::uint32_t frame_ticks() const { return frame_ticks_; }  // 20 ms at the RTP clock

  // The frame to fill with frame_samples() samples before send(); writable.
  Result<AVFrame*, std::string> input_frame();
  Result<bool, std::string> send();
  // Asks for what the encoder still holds (at the end of the stream); send() is unusable after.
  void drain();
  // The next encoded payload (valid until the next call), or empty when there is none yet.
  rtp::Bytes receive();

 private:
  AudioEncoder() = default;

  CodecContextPtr context_;
  FramePtr frame_;
  PacketPtr packet_;
  int frame_samples_ = 0;
  std::uint32_t frame_ticks_ = 0;
  std::int64_t next_pts_ = 0;
};

}  // namespace callcast::transcode
