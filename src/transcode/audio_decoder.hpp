#pragma once
// The source side of a transcoder: libavcodec's AAC or Opus decoder, configured from the
// publisher's SDP (the AudioSpecificConfig as extradata for AAC). One access unit in, its PCM
// frames out, in the decoder's own format (planar float for both).
#include <memory>
#include <string>

#include "core/result.hpp"
#include "rtp/byte_io.hpp"
#include "transcode/av_handles.hpp"
#include "transcode/source_audio_format.hpp"

namespace callcast::transcode {

class AudioDecoder {
 public:
  static Result<std::unique_ptr<AudioDecoder>, std::string> create(const SourceAudioFormat& format);

  // Gives the decoder one access unit; an error (corrupt data) leaves the decoder usable.
  Result<bool, std::string> send(rtp::Bytes access_unit);
  // The next decoded frame (valid until the next call), or nullptr when the unit is used up.
  // A decoding error also ends the frames of the unit: error() then says what it was.
  const AVFrame* receive();
  const std::string& error() const { return error_; }

 private:
  AudioDecoder() = default;

  CodecContextPtr context_;
  PacketPtr packet_;  // one padded buffer, reused while the decoder holds no reference to it
  FramePtr frame_;
  std::string error_;
};

}  // namespace callcast::transcode
