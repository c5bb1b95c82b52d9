#include "transcode/audio_encoder.hpp"

extern "C" {
#include <libavutil/opt.h>
}

namespace callcast::transcode {

namespace {

const char* encoder_name(TargetAudioCodec codec) {
  switch (codec) {
    case TargetAudioCodec::pcmu:
      return "pcm_mulaw";
    case TargetAudioCodec::pcma:
      return "pcm_alaw";
    case TargetAudioCodec::g722:
      return "g722";
    case TargetAudioCodec::opus:
      return "libopus";
  }
  return "";
}

}  // namespace

Result<std::unique_ptr<AudioEncoder>, std::string> AudioEncoder::create(
    const TargetAudioFormat& format) {
  const char* name = encoder_name(format.codec);
  const AVCodec* codec = avcodec_find_encoder_by_name(name);
  if (codec == nullptr) return fail(std::string("libavcodec has no ") + name + " encoder");
  const bool opus = format.codec == TargetAudioCodec::opus;
  if (opus && format.channels != 1 && format.channels != 2) {
    return fail("Opus target must be mono or stereo");
  }

  std::unique_ptr<AudioEncoder> encoder(new AudioEncoder());
  encoder->context_.reset(avcodec_alloc_context3(codec));
  encoder->frame_.reset(av_frame_alloc());
  encoder->packet_.reset(av_packet_alloc());
  if (!encoder->context_ || !encoder->frame_ || !encoder->packet_) return fail("out of memory");
  AVCodecContext& context = *encoder->context_;
  context.thread_count = 1;
  context.sample_fmt = AV_SAMPLE_FMT_S16;
  context.sample_rate = static_cast<int>(coded_sample_rate(format.codec));
  context.time_base = AVRational{1, context.sample_rate};
  av_channel_layout_default(&context.ch_layout, opus ? format.channels : 1);
  AVDictionary* options = nullptr;
  if (opus) {
    context.bit_rate = format.bitrate != 0 ? format.bitrate : 32000 * format.channels;
    av_dict_set(&options, "frame_duration", "20", 0);
    av_dict_set(&options, "application", "audio", 0);  // a broadcast: music as well as speech
  }
  const int opened = avcodec_open2(&context, codec, &options);
  av_dict_free(&options);
  if (opened < 0) return fail(std::string("cannot open ") + name + ": " + av_error_text(opened));

  const int frame_samples =
      context.sample_rate * static_cast<int>(TargetAudioFormat::kFrameMilliseconds) / 1000;
  if (context.frame_size != 0 && context.frame_size != frame_samples) {
    return fail(std::string(name) + " wants frames of " + std::to_string(context.frame_size) +
                " samples, not 20 ms");
  }
  encoder->frame_samples_ = frame_samples;
  encoder->frame_ticks_ =
      rtp_clock_rate(format.codec) * TargetAudioFormat::kFrameMilliseconds / 1000;

  AVFrame& frame = *encoder->frame_;
  frame.format = context.sample_fmt;
  frame.nb_samples = frame_samples;
  frame.sample_rate = context.sample_rate;
  if (av_channel_layout_copy(&frame.ch_layout, &context.ch_layout) < 0 ||
      av_frame_get_buffer(&frame, 0) < 0) {
    return fail("out of memory");
  }
  return encoder;
}

Result<AVFrame*, std::string> AudioEncoder::input_frame() {
  // Only copies when the encoder kept a reference to the previous frame (none of ours does).
  const int writable = av_frame_make_writable(frame_.get());
  if (writable < 0) return fail("encoder frame: " + av_error_text(writable));
  frame_->nb_samples = frame_samples_;
  return frame_.get();
}

Result<bool, std::string> AudioEncoder::send() {
  frame_->pts = next_pts_;
  next_pts_ += frame_samples_;
  const int sent = avcodec_send_frame(context_.get(), frame_.get());
  if (sent < 0) return fail("encoder refused a frame: " + av_error_text(sent));
  return true;
}

void AudioEncoder::drain() {
  avcodec_send_frame(context_.get(), nullptr);
}

rtp::Bytes AudioEncoder::receive() {
  av_packet_unref(packet_.get());
  if (avcodec_receive_packet(context_.get(), packet_.get()) < 0) return {};
  return rtp::Bytes(packet_->data, static_cast<std::size_t>(packet_->size));
}

}  // namespace callcast::transcode
