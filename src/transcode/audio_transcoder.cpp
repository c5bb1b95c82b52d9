#include "transcode/audio_transcoder.hpp"

#include <algorithm>
#include <cstdlib>

extern "C" {
#include <libavutil/channel_layout.h>
#include <libavutil/samplefmt.h>
}

namespace callcast::transcode {

namespace {

constexpr std::size_t kZeroBytes = 32 * 1024;
constexpr int kMaxChannels = 8;

// v * numerator / denominator rounded to nearest, for negative v too.
std::int64_t scale_rounded(std::int64_t v, std::int64_t numerator, std::int64_t denominator) {
  const std::int64_t scaled = v * numerator;
  return scaled >= 0 ? (scaled + denominator / 2) / denominator
                     : -((-scaled + denominator / 2) / denominator);
}

std::int64_t milliseconds_to_ticks(std::uint32_t milliseconds, std::uint32_t clock) {
  return std::int64_t{milliseconds} * clock / 1000;
}

}  // namespace

Result<std::unique_ptr<AudioTranscoder>, std::string> AudioTranscoder::create(
    const SourceAudioFormat& source, const TargetAudioFormat& target) {
  return create(source, target, OutputRtpStream::random(target.payload_type));
}

Result<std::unique_ptr<AudioTranscoder>, std::string> AudioTranscoder::create(
    const SourceAudioFormat& source, const TargetAudioFormat& target,
    const OutputRtpStream& output) {
  if (output.payload_type != target.payload_type || target.payload_type > 127) {
    return fail("output payload type must be the target's, 0 to 127");
  }
  std::unique_ptr<AudioTranscoder> transcoder(new AudioTranscoder(source, target, output));
  auto initialised = transcoder->init(source);
  if (!initialised) return fail(initialised.error());
  auto encoder = AudioEncoder::create(target);
  if (!encoder) return fail(encoder.error());
  transcoder->encoder_ = std::move(*encoder);
  const AudioEncoder& made = *transcoder->encoder_;
  transcoder->fifo_.reset(av_audio_fifo_alloc(made.sample_format(),
                                              made.channel_layout().nb_channels,
                                              made.sample_rate()));  // 1 s: never grows
  if (!transcoder->fifo_) return fail("out of memory");
  return transcoder;
}

AudioTranscoder::AudioTranscoder(const SourceAudioFormat& source, const TargetAudioFormat& target,
                                 const OutputRtpStream& output)
    : source_(source),
      target_(target),
      packetizer_(output),
      zeros_(kZeroBytes, 0),
      next_output_(output.first_timestamp) {}

AudioTranscoder::~AudioTranscoder() {
  if (converted_ != nullptr) av_freep(&converted_[0]);
  av_freep(&converted_);
  av_channel_layout_uninit(&resampler_layout_);
}

Result<bool, std::string> AudioTranscoder::init(const SourceAudioFormat& source) {
  auto depacketizer = source.make_depacketizer();
  if (!depacketizer) return fail(depacketizer.error());
  auto decoder = AudioDecoder::create(source);
  if (!decoder) return fail(decoder.error());
  depacketizer_ = std::move(*depacketizer);
  decoder_ = std::move(*decoder);
  source_ = source;
  return true;
}

std::int64_t AudioTranscoder::unwrap(std::uint32_t timestamp) {
  if (!last_input_) {
    last_input_ = timestamp;
  } else {
    const auto delta =
        static_cast<std::int32_t>(timestamp - static_cast<std::uint32_t>(*last_input_));
    *last_input_ += delta;
  }
  return *last_input_;
}

std::int64_t AudioTranscoder::map_to_output(std::int64_t input_ticks) const {
  return anchor_output_ + scale_rounded(input_ticks - anchor_input_, rtp_clock_rate(target_.codec),
                                        source_.clock_rate);
}

std::optional<std::uint32_t> AudioTranscoder::output_timestamp(std::uint32_t input) const {
  if (!timeline_started_ || !last_input_) return std::nullopt;
  const std::int64_t unwrapped =
      *last_input_ + static_cast<std::int32_t>(input - static_cast<std::uint32_t>(*last_input_));
  return static_cast<std::uint32_t>(map_to_output(unwrapped));
}

void AudioTranscoder::push(const AudioRtpPacket& packet, const PacketSink& emit) {
  if (finished_) return;
  ++counters_.input_packets;
  auto units = depacketizer_->push(packet);
  if (!units) {
    ++counters_.malformed_packets;
    record_error(units.error());
    return;
  }
  for (const AccessUnit& unit : *units)
    take_access_unit(unit, emit);
}

void AudioTranscoder::take_access_unit(const AccessUnit& unit, const PacketSink& emit) {
  ++counters_.access_units;
  std::int64_t ticks = unwrap(unit.timestamp);
  auto sent = decoder_->send(unit.data);
  if (!sent) {
    ++counters_.decode_errors;
    record_error(sent.error());
    return;  // the gap it leaves is filled when the next frame comes
  }
  while (const AVFrame* frame = decoder_->receive()) {
    take_frame(*frame, ticks, emit);
    if (frame->sample_rate > 0) {
      ticks += std::int64_t{frame->nb_samples} * source_.clock_rate / frame->sample_rate;
    }
  }
  if (!decoder_->error().empty()) {
    ++counters_.decode_errors;
    record_error(decoder_->error());
  }
}

void AudioTranscoder::take_frame(const AVFrame& frame, std::int64_t ticks, const PacketSink& emit) {
  if (frame.nb_samples <= 0 || frame.sample_rate <= 0 || frame.ch_layout.nb_channels <= 0 ||
      frame.ch_layout.nb_channels > kMaxChannels) {
    ++counters_.decode_errors;
    record_error("decoded frame with no samples or more than 8 channels");
    return;
  }
  if (!ensure_resampler(frame)) return;
  counters_.decoded_samples += static_cast<std::uint64_t>(frame.nb_samples);
  const std::uint32_t clock = source_.clock_rate;
  const std::int64_t frame_ticks = std::int64_t{frame.nb_samples} * clock / frame.sample_rate;

  if (!timeline_started_) {
    timeline_started_ = true;
    anchor_input_ = ticks;
    anchor_output_ = next_output_;
    expected_input_ = ticks;
    marker_pending_ = true;
  }

  const std::int64_t early_or_late = ticks - expected_input_;
  const std::int64_t tolerance = milliseconds_to_ticks(kJitterToleranceMs, clock);
  std::int64_t skip = 0;
  if (early_or_late > tolerance) {
    if (early_or_late > milliseconds_to_ticks(kMaxTimestampJumpMs, clock)) {
      restart_timeline(ticks, emit);
    } else if (early_or_late > milliseconds_to_ticks(kMaxFilledGapMs, clock)) {
      send_buffered(emit);
      next_output_ = std::max(next_output_, map_to_output(ticks));
      marker_pending_ = true;
      ++counters_.timestamp_jumps;
    } else {
      // AAC units have one duration: a gap is a whole number of them, give or take the
      // sender's rounding of its timestamps (GStreamer's step 1023 to 1025), which is dropped.
      std::int64_t gap = early_or_late;
      const std::int64_t unit = source_.access_unit_duration;
      if (unit > 0) {
        const std::int64_t whole = (gap + unit / 2) / unit * unit;
        if (whole > 0 && std::abs(gap - whole) <= tolerance) gap = whole;
      }
      if (!resample_silence(gap * frame.sample_rate / clock)) return;
      ++counters_.gaps_filled;
      counters_.silence_ticks += static_cast<std::uint64_t>(gap);
    }
  } else if (early_or_late < -tolerance) {
    if (-early_or_late > milliseconds_to_ticks(kMaxBackwardMs, clock)) {
      restart_timeline(ticks, emit);
    } else {
      skip = -early_or_late * frame.sample_rate / clock;
      if (skip >= frame.nb_samples) {
        ++counters_.late_frames;
        return;
      }
      counters_.overlap_dropped_samples += static_cast<std::uint64_t>(skip);
    }
  }

  const std::uint8_t* planes[kMaxChannels] = {};
  const int bytes_per_sample = av_get_bytes_per_sample(static_cast<AVSampleFormat>(frame.format));
  const bool planar = av_sample_fmt_is_planar(static_cast<AVSampleFormat>(frame.format)) != 0;
  const int channels = frame.ch_layout.nb_channels;
  for (int channel = 0; channel < (planar ? channels : 1); ++channel) {
    planes[channel] =
        frame.extended_data[channel] + skip * bytes_per_sample * (planar ? 1 : channels);
  }
  if (!resample(planes, frame.nb_samples - static_cast<int>(skip))) return;
  expected_input_ = ticks + frame_ticks;
  encode_ready(emit);
}

bool AudioTranscoder::ensure_resampler(const AVFrame& frame) {
  if (resampler_ && frame.sample_rate == resampler_rate_ && frame.format == resampler_format_ &&
      av_channel_layout_compare(&frame.ch_layout, &resampler_layout_) == 0) {
    return true;
  }
  if (resampler_) {
    flush_resampler();
    ++counters_.format_changes;
  }
  SwrContext* context = nullptr;
  const int allocated = swr_alloc_set_opts2(
      // FFmpeg 5.1 takes the layouts as non-const pointers; it only reads them.
      &context, const_cast<AVChannelLayout*>(&encoder_->channel_layout()),
      encoder_->sample_format(), encoder_->sample_rate(),
      const_cast<AVChannelLayout*>(&frame.ch_layout), static_cast<AVSampleFormat>(frame.format),
      frame.sample_rate, 0, nullptr);
  resampler_.reset(context);
  if (allocated < 0 || swr_init(context) < 0) {
    resampler_.reset();
    ++counters_.encode_errors;
    record_error("cannot resample the decoded format");
    return false;
  }
  resampler_rate_ = frame.sample_rate;
  resampler_format_ = frame.format;
  av_channel_layout_uninit(&resampler_layout_);
  av_channel_layout_copy(&resampler_layout_, &frame.ch_layout);
  return true;
}

bool AudioTranscoder::resample(const std::uint8_t** planes, int samples) {
  const int needed = swr_get_out_samples(resampler_.get(), samples);
  if (needed > converted_capacity_) {  // grows to its steady size on the first frames only
    if (converted_ != nullptr) av_freep(&converted_[0]);
    av_freep(&converted_);
    converted_capacity_ = 0;
    if (av_samples_alloc_array_and_samples(&converted_, nullptr,
                                           encoder_->channel_layout().nb_channels, needed,
                                           encoder_->sample_format(), 0) < 0) {
      ++counters_.encode_errors;
      record_error("out of memory");
      return false;
    }
    converted_capacity_ = needed;
  }
  const int converted =
      swr_convert(resampler_.get(), converted_, converted_capacity_, planes, samples);
  if (converted < 0) {
    ++counters_.encode_errors;
    record_error("resampling failed: " + av_error_text(converted));
    return false;
  }
  if (converted > 0 && av_audio_fifo_write(fifo_.get(), reinterpret_cast<void**>(converted_),
                                           converted) < converted) {
    ++counters_.encode_errors;
    record_error("sample FIFO write failed");
    return false;
  }
  return true;
}

bool AudioTranscoder::resample_silence(std::int64_t samples) {
  const auto format = static_cast<AVSampleFormat>(resampler_format_);
  const int bytes_per_sample = av_get_bytes_per_sample(format);
  const bool planar = av_sample_fmt_is_planar(format) != 0;
  const int channels = resampler_layout_.nb_channels;
  const std::int64_t chunk =
      static_cast<std::int64_t>(zeros_.size()) / (bytes_per_sample * (planar ? 1 : channels));
  const std::uint8_t* planes[kMaxChannels] = {};
  for (int channel = 0; channel < kMaxChannels; ++channel)
    planes[channel] = zeros_.data();
  while (samples > 0) {
    const auto now = static_cast<int>(std::min(samples, chunk));
    if (!resample(planes, now)) return false;
    samples -= now;
  }
  return true;
}

void AudioTranscoder::flush_resampler() {
  if (!resampler_ || converted_ == nullptr) return;
  int converted = 0;
  while ((converted = swr_convert(resampler_.get(), converted_, converted_capacity_, nullptr, 0)) >
         0) {
    av_audio_fifo_write(fifo_.get(), reinterpret_cast<void**>(converted_), converted);
  }
  swr_init(resampler_.get());  // clean state for what follows the flush
}

void AudioTranscoder::send_buffered(const PacketSink& emit) {
  flush_resampler();
  const int frame_samples = encoder_->frame_samples();
  const int partial = av_audio_fifo_size(fifo_.get()) % frame_samples;
  if (partial != 0) {
    void* planes[kMaxChannels] = {};
    for (auto& plane : planes)
      plane = zeros_.data();
    av_audio_fifo_write(fifo_.get(), planes, frame_samples - partial);
  }
  encode_ready(emit);
}

void AudioTranscoder::restart_timeline(std::int64_t ticks, const PacketSink& emit) {
  send_buffered(emit);
  anchor_input_ = ticks;
  anchor_output_ = next_output_;
  expected_input_ = ticks;
  marker_pending_ = true;
  ++counters_.timeline_resets;
}

void AudioTranscoder::encode_ready(const PacketSink& emit) {
  const int frame_samples = encoder_->frame_samples();
  while (av_audio_fifo_size(fifo_.get()) >= frame_samples) {
    auto frame = encoder_->input_frame();
    if (!frame || pending_count_ == kMaxPendingFrames) {
      ++counters_.encode_errors;
      record_error(frame ? "encoder holds too many frames" : frame.error());
      av_audio_fifo_drain(fifo_.get(), frame_samples);
      continue;
    }
    av_audio_fifo_read(fifo_.get(), reinterpret_cast<void**>((*frame)->data), frame_samples);
    pending_[(pending_head_ + pending_count_) % kMaxPendingFrames] = {
        static_cast<std::uint32_t>(next_output_), marker_pending_};
    ++pending_count_;
    marker_pending_ = false;
    next_output_ += encoder_->frame_ticks();
    auto sent = encoder_->send();
    if (!sent) {
      --pending_count_;
      ++counters_.encode_errors;
      record_error(sent.error());
      continue;
    }
    emit_payloads(emit);
  }
}

void AudioTranscoder::emit_payloads(const PacketSink& emit) {
  for (rtp::Bytes payload = encoder_->receive(); !payload.empty(); payload = encoder_->receive()) {
    PendingFrame frame{static_cast<std::uint32_t>(next_output_), false};
    if (pending_count_ > 0) {
      frame = pending_[pending_head_];
      pending_head_ = (pending_head_ + 1) % kMaxPendingFrames;
      --pending_count_;
    } else {
      next_output_ += encoder_->frame_ticks();  // the encoder's tail at finish()
    }
    const rtp::Bytes packet = packetizer_.write(payload, frame.timestamp, frame.marker);
    if (packet.empty()) {
      ++counters_.encode_errors;
      record_error("encoded payload larger than a packet");
      continue;
    }
    ++counters_.output_packets;
    counters_.output_bytes += packet.size();
    emit(packet);
  }
}

Result<bool, std::string> AudioTranscoder::change_source(const SourceAudioFormat& source,
                                                         const PacketSink& emit) {
  auto depacketizer = source.make_depacketizer();
  if (!depacketizer) return fail(depacketizer.error());
  auto decoder = AudioDecoder::create(source);
  if (!decoder) return fail(decoder.error());
  if (timeline_started_) send_buffered(emit);
  depacketizer_ = std::move(*depacketizer);
  decoder_ = std::move(*decoder);
  source_ = source;
  last_input_.reset();
  timeline_started_ = false;  // the next frame anchors the new source where the output is
  ++counters_.source_changes;
  return true;
}

void AudioTranscoder::finish(const PacketSink& emit) {
  if (finished_) return;
  finished_ = true;
  if (timeline_started_) send_buffered(emit);
  encoder_->drain();
  emit_payloads(emit);
}

}  // namespace callcast::transcode
