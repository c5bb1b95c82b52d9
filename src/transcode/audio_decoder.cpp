#include "transcode/audio_decoder.hpp"

#include <cstring>

namespace callcast::transcode {

Result<std::unique_ptr<AudioDecoder>, std::string> AudioDecoder::create(
    const SourceAudioFormat& format) {
  const bool aac = format.codec != SourceAudioCodec::opus;
  const AVCodec* codec = avcodec_find_decoder(aac ? AV_CODEC_ID_AAC : AV_CODEC_ID_OPUS);
  if (codec == nullptr)
    return fail("libavcodec has no " + std::string(aac ? "AAC" : "Opus") + " decoder");
  std::unique_ptr<AudioDecoder> decoder(new AudioDecoder());
  decoder->context_.reset(avcodec_alloc_context3(codec));
  decoder->packet_.reset(av_packet_alloc());
  decoder->frame_.reset(av_frame_alloc());
  if (!decoder->context_ || !decoder->packet_ || !decoder->frame_) return fail("out of memory");
  AVCodecContext& context = *decoder->context_;
  context.thread_count = 1;  // runs on the group's shard thread; no threads of libavcodec's own
  if (aac) {
    const auto& config = format.audio.bytes;
    context.extradata =
        static_cast<std::uint8_t*>(av_mallocz(config.size() + AV_INPUT_BUFFER_PADDING_SIZE));
    if (context.extradata == nullptr) return fail("out of memory");
    std::memcpy(context.extradata, config.data(), config.size());
    context.extradata_size = static_cast<int>(config.size());
    context.sample_rate = static_cast<int>(format.audio.sample_rate);
    av_channel_layout_default(&context.ch_layout, format.audio.channels);
  } else {
    context.sample_rate = 48000;
    av_channel_layout_default(&context.ch_layout, 2);
  }
  const int opened = avcodec_open2(&context, codec, nullptr);
  if (opened < 0) return fail("cannot open the decoder: " + av_error_text(opened));
  if (av_new_packet(decoder->packet_.get(), static_cast<int>(kMaxAccessUnitBytes)) < 0) {
    return fail("out of memory");
  }
  return decoder;
}

Result<bool, std::string> AudioDecoder::send(rtp::Bytes access_unit) {
  if (access_unit.empty() || access_unit.size() > kMaxAccessUnitBytes) {
    return fail("access unit size out of range");
  }
  AVPacket& packet = *packet_;
  // Reuse the buffer unless the decoder still references it (then one allocation, rare).
  if (packet.buf == nullptr || !av_buffer_is_writable(packet.buf) ||
      packet.buf->size <
          static_cast<std::size_t>(kMaxAccessUnitBytes) + AV_INPUT_BUFFER_PADDING_SIZE) {
    av_packet_unref(&packet);
    if (av_new_packet(&packet, static_cast<int>(kMaxAccessUnitBytes)) < 0) {
      return fail("out of memory");
    }
  }
  std::memcpy(packet.buf->data, access_unit.data(), access_unit.size());
  std::memset(packet.buf->data + access_unit.size(), 0, AV_INPUT_BUFFER_PADDING_SIZE);
  packet.data = packet.buf->data;
  packet.size = static_cast<int>(access_unit.size());
  const int sent = avcodec_send_packet(context_.get(), &packet);
  if (sent < 0) return fail("decoder refused the access unit: " + av_error_text(sent));
  return true;
}

const AVFrame* AudioDecoder::receive() {
  error_.clear();
  av_frame_unref(frame_.get());
  const int received = avcodec_receive_frame(context_.get(), frame_.get());
  if (received == AVERROR(EAGAIN)) return nullptr;
  if (received < 0) {
    error_ = "decoding failed: " + av_error_text(received);
    return nullptr;
  }
  return frame_.get();
}

}  // namespace callcast::transcode
