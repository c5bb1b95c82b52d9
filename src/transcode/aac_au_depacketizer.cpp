#include "transcode/aac_au_depacketizer.hpp"

#include "transcode/bit_reader.hpp"

namespace callcast::transcode {

Result<std::unique_ptr<AacAuDepacketizer>, std::string> AacAuDepacketizer::create(
    const AuHeaderLayout& layout, std::uint32_t frame_duration) {
  const bool headerless =
      layout.size_length == 0 && layout.index_length == 0 && layout.index_delta_length == 0;
  if (!headerless && (layout.size_length == 0 || layout.size_length > 16)) {
    return fail("sizelength must be 1 to 16 (constantsize is not supported)");
  }
  if (layout.index_length > 8 || layout.index_delta_length > 8) {
    return fail("indexlength and indexdeltalength must be 0 to 8");
  }
  if (frame_duration == 0) return fail("access unit duration is 0");
  return std::unique_ptr<AacAuDepacketizer>(new AacAuDepacketizer(layout, frame_duration));
}

AacAuDepacketizer::AacAuDepacketizer(const AuHeaderLayout& layout, std::uint32_t frame_duration)
    : FragmentingDepacketizer(kMaxAccessUnitBytes),
      layout_(layout),
      frame_duration_(frame_duration) {}

Result<std::span<const AccessUnit>, std::string> AacAuDepacketizer::assemble(
    const AudioRtpPacket& packet) {
  const rtp::Bytes payload = packet.payload;
  if (layout_.size_length == 0) {  // no AU header section: one unit, ended by the marker
    return add_fragment(packet, payload, 0);
  }

  if (payload.size() < 2) return fail("RFC 3640 payload shorter than its AU-headers-length");
  const std::size_t header_bits = rtp::read_u16(payload.data());
  const std::size_t first_bits = layout_.size_length + layout_.index_length;
  const std::size_t next_bits = layout_.size_length + layout_.index_delta_length;
  if (header_bits < first_bits || (header_bits - first_bits) % next_bits != 0) {
    return fail("AU-headers-length " + std::to_string(header_bits) +
                " is not a whole number of AU headers");
  }
  const std::size_t count = 1 + (header_bits - first_bits) / next_bits;
  if (count > kMaxAccessUnitsPerPacket) return fail("more than 64 AU headers in one packet");
  const std::size_t header_bytes = (header_bits + 7) / 8;
  if (payload.size() < 2 + header_bytes) return fail("AU headers run past the payload");

  BitReader headers(payload.subspan(2, header_bytes));
  std::size_t total = 0;
  for (std::size_t i = 0; i < count; ++i) {
    sizes_[i] = headers.read(layout_.size_length);
    const std::uint32_t index =
        headers.read(i == 0 ? layout_.index_length : layout_.index_delta_length);
    if (index != 0) return fail("interleaved access units (non-zero AU-Index) are not supported");
    if (sizes_[i] == 0) return fail("AU-size 0");
    if (sizes_[i] > kMaxAccessUnitBytes) return fail("AU-size larger than 8 KiB");
    total += sizes_[i];
  }
  const rtp::Bytes data = payload.subspan(2 + header_bytes);

  if (count == 1 && (in_fragment_ || sizes_[0] > data.size())) {
    return add_fragment(packet, data, sizes_[0]);
  }
  if (in_fragment_) drop_fragment();  // a fragmented unit interrupted by whole units
  if (total != data.size()) {
    return fail("AU sizes add up to " + std::to_string(total) + " bytes, the data section holds " +
                std::to_string(data.size()));
  }
  std::size_t offset = 0;
  for (std::size_t i = 0; i < count; ++i) {
    units_[i] = {data.subspan(offset, sizes_[i]),
                 packet.timestamp + static_cast<std::uint32_t>(i) * frame_duration_};
    offset += sizes_[i];
  }
  return std::span<const AccessUnit>(units_.data(), count);
}

Result<std::span<const AccessUnit>, std::string> AacAuDepacketizer::add_fragment(
    const AudioRtpPacket& packet, rtp::Bytes data, std::size_t unit_size) {
  if (in_fragment_ &&
      (packet.timestamp != fragment_timestamp_ || unit_size != fragment_unit_size_)) {
    drop_fragment();  // the rest of the previous unit never came
  }
  if (!in_fragment_) {
    if (packet.marker && (unit_size == 0 || data.size() == unit_size)) {
      if (data.empty()) return fail("empty access unit");
      units_[0] = {data, packet.timestamp};  // whole, no copy
      return std::span<const AccessUnit>(units_.data(), 1);
    }
    in_fragment_ = true;
    fragment_unit_size_ = unit_size;
    fragment_timestamp_ = packet.timestamp;
    fragment_.clear();
  }
  const std::size_t limit = unit_size == 0 ? kMaxAccessUnitBytes : unit_size;
  if (data.size() > limit - fragment_.size()) {
    return fail("fragments of an access unit are longer than its AU-size");
  }
  fragment_.insert(fragment_.end(), data.begin(), data.end());
  if (!packet.marker) return std::span<const AccessUnit>{};
  in_fragment_ = false;
  if (unit_size != 0 && fragment_.size() != unit_size) {
    fragment_.clear();
    return fail("last fragment ends before the access unit's AU-size");
  }
  if (fragment_.empty()) return fail("empty access unit");
  units_[0] = {rtp::Bytes(fragment_.data(), fragment_.size()), fragment_timestamp_};
  return std::span<const AccessUnit>(units_.data(), 1);
}

}  // namespace callcast::transcode
