#pragma once
// RFC 6416 (MP4A-LATM, cpresent=0) AAC depacketizer: what GStreamer's rtpmp4apay and so
// rtspclientsink send. The payload is one or more AudioMuxElements (ISO/IEC 14496-3 §1.7.3)
// without their StreamMuxConfig, which came out of band in the fmtp's config=:
//
//   AudioMuxElement(muxConfigPresent=0), per sub-frame (numSubFrames + 1 of them):
//     PayloadLengthInfo: bytes of 0xFF, each adding 255, then one byte < 255 adding itself
//     PayloadMux:        that many bytes, one AAC access unit
//   then otherDataLenBits of other data, then byte alignment.
//
// An AudioMuxElement larger than a packet is fragmented (§6.2): the marker bit is set on the
// packet holding its last fragment, and on every packet holding only whole elements; fragments
// share a timestamp. The timestamp is that of the first access unit; the others follow it
// frame_duration apart. A lost fragment drops the element.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "transcode/fragmenting_depacketizer.hpp"
#include "transcode/stream_mux_config.hpp"

namespace callcast::transcode {

class LatmDepacketizer final : public FragmentingDepacketizer {
 public:
  // Bound on one AudioMuxElement reassembled from fragments.
  static constexpr std::size_t kMaxElementBytes = 2 * kMaxAccessUnitBytes;

  static Result<std::unique_ptr<LatmDepacketizer>, std::string> create(
      const StreamMuxConfig& config, std::uint32_t frame_duration);

 private:
  LatmDepacketizer(const StreamMuxConfig& config, std::uint32_t frame_duration);
  Result<std::span<const AccessUnit>, std::string> assemble(const AudioRtpPacket& packet) override;
  Result<std::span<const AccessUnit>, std::string> parse_elements(rtp::Bytes data,
                                                                  std::uint32_t timestamp);

  std::size_t sub_frames_;
  std::size_t other_data_bytes_;
  std::uint32_t frame_duration_;
  std::array<AccessUnit, kMaxAccessUnitsPerPacket> units_{};
};

}  // namespace callcast::transcode
