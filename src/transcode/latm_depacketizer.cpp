#include "transcode/latm_depacketizer.hpp"

namespace callcast::transcode {

Result<std::unique_ptr<LatmDepacketizer>, std::string> LatmDepacketizer::create(
    const StreamMuxConfig& config, std::uint32_t frame_duration) {
  if (frame_duration == 0) return fail("access unit duration is 0");
  if (config.sub_frames == 0 || config.sub_frames > kMaxAccessUnitsPerPacket) {
    return fail("numSubFrames out of range");
  }
  return std::unique_ptr<LatmDepacketizer>(new LatmDepacketizer(config, frame_duration));
}

LatmDepacketizer::LatmDepacketizer(const StreamMuxConfig& config, std::uint32_t frame_duration)
    : FragmentingDepacketizer(kMaxElementBytes),
      sub_frames_(config.sub_frames),
      other_data_bytes_((config.other_data_bits + 7) / 8),
      frame_duration_(frame_duration) {}

Result<std::span<const AccessUnit>, std::string> LatmDepacketizer::assemble(
    const AudioRtpPacket& packet) {
  if (packet.payload.empty()) return fail("empty LATM payload");
  if (in_fragment_ && packet.timestamp != fragment_timestamp_) {
    drop_fragment();  // the previous element's last fragment never came
  }
  if (!in_fragment_ && packet.marker) return parse_elements(packet.payload, packet.timestamp);

  if (!in_fragment_) {
    in_fragment_ = true;
    fragment_timestamp_ = packet.timestamp;
    fragment_.clear();
  }
  if (packet.payload.size() > kMaxElementBytes - fragment_.size()) {
    return fail("fragmented AudioMuxElement longer than 16 KiB");
  }
  fragment_.insert(fragment_.end(), packet.payload.begin(), packet.payload.end());
  if (!packet.marker) return std::span<const AccessUnit>{};
  in_fragment_ = false;
  return parse_elements(rtp::Bytes(fragment_.data(), fragment_.size()), fragment_timestamp_);
}

Result<std::span<const AccessUnit>, std::string> LatmDepacketizer::parse_elements(
    rtp::Bytes data, std::uint32_t timestamp) {
  std::size_t offset = 0;
  std::size_t count = 0;
  while (offset < data.size()) {
    for (std::size_t sub_frame = 0; sub_frame < sub_frames_; ++sub_frame) {
      std::size_t length = 0;
      std::uint8_t byte = 0;
      do {
        if (offset >= data.size()) return fail("PayloadLengthInfo runs past the payload");
        byte = data[offset++];
        length += byte;
      } while (byte == 0xff);
      if (length == 0) return fail("PayloadLengthInfo of 0 bytes");
      if (length > data.size() - offset) {
        return fail("PayloadMux of " + std::to_string(length) + " bytes runs past the payload");
      }
      if (length > kMaxAccessUnitBytes) return fail("AAC access unit larger than 8 KiB");
      if (count == kMaxAccessUnitsPerPacket) return fail("more than 64 access units in a packet");
      units_[count] = {data.subspan(offset, length),
                       timestamp + static_cast<std::uint32_t>(count) * frame_duration_};
      ++count;
      offset += length;
    }
    if (other_data_bytes_ > data.size() - offset) return fail("other data runs past the payload");
    offset += other_data_bytes_;
  }
  return std::span<const AccessUnit>(units_.data(), count);
}

}  // namespace callcast::transcode
