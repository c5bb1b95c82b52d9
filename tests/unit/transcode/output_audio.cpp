#include "unit/transcode/output_audio.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "rtp/rtp_packet_view.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
}

namespace callcast::transcode::test {

namespace {

AVCodecID decoder_for(TargetAudioCodec codec) {
  switch (codec) {
    case TargetAudioCodec::pcmu:
      return AV_CODEC_ID_PCM_MULAW;
    case TargetAudioCodec::pcma:
      return AV_CODEC_ID_PCM_ALAW;
    case TargetAudioCodec::g722:
      return AV_CODEC_ID_ADPCM_G722;
    case TargetAudioCodec::opus:
      return AV_CODEC_ID_OPUS;
  }
  return AV_CODEC_ID_NONE;
}

float sample_at(const AVFrame& frame, int channel, int index) {
  const auto format = static_cast<AVSampleFormat>(frame.format);
  const int channels = frame.ch_layout.nb_channels;
  switch (format) {
    case AV_SAMPLE_FMT_S16:
      return reinterpret_cast<const std::int16_t*>(frame.data[0])[index * channels + channel] /
             32768.0f;
    case AV_SAMPLE_FMT_S16P:
      return reinterpret_cast<const std::int16_t*>(frame.extended_data[channel])[index] / 32768.0f;
    case AV_SAMPLE_FMT_FLT:
      return reinterpret_cast<const float*>(frame.data[0])[index * channels + channel];
    case AV_SAMPLE_FMT_FLTP:
      return reinterpret_cast<const float*>(frame.extended_data[channel])[index];
    default:
      ADD_FAILURE() << "unexpected sample format " << format;
      return 0;
  }
}

}  // namespace

std::int64_t OutputAudio::index_of(std::uint32_t timestamp, TargetAudioCodec codec) const {
  const auto ticks = static_cast<std::int32_t>(timestamp - first_timestamp);
  return std::int64_t{ticks} * sample_rate / rtp_clock_rate(codec);
}

OutputAudio decode_output(TargetAudioCodec codec, const std::vector<ByteVector>& packets) {
  OutputAudio out;
  const AVCodec* decoder = avcodec_find_decoder(decoder_for(codec));
  AVCodecContext* context = avcodec_alloc_context3(decoder);
  context->sample_rate = static_cast<int>(coded_sample_rate(codec));
  av_channel_layout_default(&context->ch_layout, codec == TargetAudioCodec::opus ? 2 : 1);
  EXPECT_EQ(avcodec_open2(context, decoder, nullptr), 0);
  AVPacket* packet = av_packet_alloc();
  AVFrame* frame = av_frame_alloc();
  out.sample_rate = static_cast<int>(coded_sample_rate(codec));
  bool first = true;
  for (const auto& bytes : packets) {
    const auto view = rtp::RtpPacketView::parse(bytes);
    EXPECT_TRUE(view.has_value());
    if (!view) continue;
    if (first) out.first_timestamp = view->timestamp();
    first = false;
    const std::int64_t at = out.index_of(view->timestamp(), codec);
    av_new_packet(packet, static_cast<int>(view->payload().size()));
    std::copy(view->payload().begin(), view->payload().end(), packet->data);
    if (avcodec_send_packet(context, packet) < 0) ++out.decode_errors;
    av_packet_unref(packet);
    std::int64_t offset = 0;
    while (avcodec_receive_frame(context, frame) == 0) {
      if (at + offset + frame->nb_samples > static_cast<std::int64_t>(out.samples.size())) {
        out.samples.resize(static_cast<std::size_t>(at + offset + frame->nb_samples), 0.0f);
      }
      for (int i = 0; i < frame->nb_samples; ++i) {
        float mix = 0;
        for (int c = 0; c < frame->ch_layout.nb_channels; ++c)
          mix += sample_at(*frame, c, i);
        out.samples[static_cast<std::size_t>(at + offset + i)] =
            mix / static_cast<float>(frame->ch_layout.nb_channels);
      }
      offset += frame->nb_samples;
      av_frame_unref(frame);
    }
  }
  av_frame_free(&frame);
  av_packet_free(&packet);
  avcodec_free_context(&context);
  return out;
}

double tone_power(const std::vector<float>& samples, std::size_t begin, std::size_t end,
                  int sample_rate, double frequency) {
  const double coefficient = 2 * std::cos(2 * std::numbers::pi * frequency / sample_rate);
  double previous = 0;
  double before = 0;
  for (std::size_t i = begin; i < end && i < samples.size(); ++i) {
    const double current = samples[i] + coefficient * previous - before;
    before = previous;
    previous = current;
  }
  const double n = static_cast<double>(end - begin);
  return (previous * previous + before * before - coefficient * previous * before) / (n * n);
}

double mean_square(const std::vector<float>& samples, std::size_t begin, std::size_t end) {
  double sum = 0;
  for (std::size_t i = begin; i < end && i < samples.size(); ++i)
    sum += samples[i] * samples[i];
  return end > begin ? sum / static_cast<double>(end - begin) : 0;
}

}  // namespace callcast::transcode::test
