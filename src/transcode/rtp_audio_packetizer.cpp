#include "transcode/rtp_audio_packetizer.hpp"

#include <algorithm>
#include <random>

namespace callcast::transcode {

OutputRtpStream OutputRtpStream::random(std::uint8_t payload_type) {
  std::random_device entropy;
  OutputRtpStream stream;
  stream.payload_type = payload_type;
  stream.ssrc = entropy();
  stream.first_sequence_number = static_cast<std::uint16_t>(entropy());
  stream.first_timestamp = entropy();
  return stream;
}

RtpAudioPacketizer::RtpAudioPacketizer(const OutputRtpStream& stream)
    : payload_type_(static_cast<std::uint8_t>(stream.payload_type & 0x7f)),
      ssrc_(stream.ssrc),
      next_sequence_(stream.first_sequence_number) {}

rtp::Bytes RtpAudioPacketizer::write(rtp::Bytes payload, std::uint32_t timestamp, bool marker) {
  if (payload.size() > kMaxPacketSize - kHeaderSize) return {};
  buffer_[0] = 0x80;  // V=2, no padding, extension or CSRC
  buffer_[1] = static_cast<std::uint8_t>((marker ? 0x80 : 0) | payload_type_);
  rtp::write_u16(&buffer_[2], next_sequence_++);
  rtp::write_u32(&buffer_[4], timestamp);
  rtp::write_u32(&buffer_[8], ssrc_);
  std::copy(payload.begin(), payload.end(), buffer_.begin() + kHeaderSize);
  return rtp::Bytes(buffer_.data(), kHeaderSize + payload.size());
}

}  // namespace callcast::transcode
