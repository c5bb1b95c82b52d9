#include "loadgen/media_clip.hpp"

#include <array>
#include <fstream>
#include <iterator>

#include "rtp/h264.hpp"

namespace callcast::loadgen {
namespace {

using rtp::kNalAud;
using rtp::kNalIdr;
using rtp::kNalPps;
using rtp::kNalSei;
using rtp::kNalSlice;
using rtp::kNalSps;

bool is_slice(std::uint8_t type) {
  return type == kNalSlice || type == kNalIdr;
}

Result<ByteVector, std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return fail("cannot read " + path.string() + " (build the clip, or name it with --clip)");
  return ByteVector(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// ISO/IEC 13818-7 Table 35 (sampling_frequency_index).
constexpr std::array<std::uint32_t, 13> kAdtsRates = {
    96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350};

}  // namespace

std::vector<std::span<const std::uint8_t>> split_annex_b(std::span<const std::uint8_t> stream) {
  std::vector<std::span<const std::uint8_t>> nals;
  const std::size_t size = stream.size();
  std::size_t start = std::string::npos;  // first byte of the current NAL unit
  std::size_t i = 0;
  while (i + 3 <= size) {
    if (stream[i] == 0 && stream[i + 1] == 0 && stream[i + 2] == 1) {
      if (start != std::string::npos) {
        std::size_t end = i;
        while (end > start && stream[end - 1] == 0)
          --end;  // the leading zero of a 4-byte start code, and trailing_zero_8bits
        if (end > start) nals.push_back(stream.subspan(start, end - start));
      }
      i += 3;
      start = i;
      continue;
    }
    ++i;
  }
  if (start != std::string::npos && start < size) nals.push_back(stream.subspan(start));
  return nals;
}

std::vector<H264AccessUnit> group_access_units(
    std::span<const std::span<const std::uint8_t>> nals) {
  std::vector<H264AccessUnit> units;
  bool have_slice = false;  // the open access unit already holds a slice
  for (const auto nal : nals) {
    const std::uint8_t type = rtp::nal_unit_type(nal);
    const bool starts_unit =
        units.empty() ||
        (have_slice && (type == kNalAud || type == kNalSei || type == kNalSps || type == kNalPps ||
                        (is_slice(type) && nal.size() > 1 && (nal[1] & 0x80) != 0)));
    if (starts_unit) {
      units.emplace_back();
      have_slice = false;
    }
    if (type == kNalAud) continue;
    units.back().nal_units.emplace_back(nal.begin(), nal.end());
    if (is_slice(type)) have_slice = true;
    if (type == kNalIdr) units.back().keyframe = true;
  }
  std::erase_if(units, [](const H264AccessUnit& unit) { return unit.nal_units.empty(); });
  return units;
}

Result<std::vector<ByteVector>, std::string> split_adts(std::span<const std::uint8_t> stream,
                                                        MediaClip& clip) {
  // ADTS fixed + variable header (ISO/IEC 13818-7 §6.2.1), 7 bytes, 9 with the CRC:
  //   syncword(12) id(1) layer(2) protection_absent(1) profile(2) sampling_frequency_index(4)
  //   private(1) channel_configuration(3) original(1) home(1) copyright_id(2)
  //   aac_frame_length(13) buffer_fullness(11) number_of_raw_data_blocks(2)
  std::vector<ByteVector> frames;
  std::size_t at = 0;
  int rate_index = -1;
  int channel_config = -1;
  int profile = -1;
  while (at < stream.size()) {
    if (stream.size() - at < 7) return fail("truncated ADTS header at byte " + std::to_string(at));
    const std::uint8_t* h = stream.data() + at;
    if (h[0] != 0xff || (h[1] & 0xf0) != 0xf0) {
      return fail("no ADTS sync word at byte " + std::to_string(at));
    }
    const bool crc = (h[1] & 0x01) == 0;
    const int this_profile = h[2] >> 6;
    const int this_rate = (h[2] >> 2) & 0x0f;
    const int this_channels = ((h[2] & 0x01) << 2) | (h[3] >> 6);
    const std::size_t length =
        (std::size_t{h[3] & 0x03u} << 11) | (std::size_t{h[4]} << 3) | (h[5] >> 5);
    const std::size_t header = crc ? 9 : 7;
    if ((h[6] & 0x03) != 0) return fail("ADTS frame with several raw data blocks");
    if (length <= header || length > stream.size() - at) {
      return fail("bad ADTS frame length " + std::to_string(length) + " at byte " +
                  std::to_string(at));
    }
    if (this_rate >= static_cast<int>(kAdtsRates.size())) return fail("bad ADTS sample rate");
    if (rate_index < 0) {
      rate_index = this_rate;
      channel_config = this_channels;
      profile = this_profile;
    } else if (rate_index != this_rate || channel_config != this_channels) {
      return fail("ADTS stream changes sample rate or channels at byte " + std::to_string(at));
    }
    frames.emplace_back(h + header, h + length);
    at += length;
  }
  if (frames.empty()) return fail("no ADTS frame");
  clip.sample_rate = kAdtsRates[static_cast<std::size_t>(rate_index)];
  clip.channels = static_cast<std::uint32_t>(channel_config);
  // AudioSpecificConfig: audioObjectType(5) = profile + 1, samplingFrequencyIndex(4),
  // channelConfiguration(4), GASpecificConfig(3) = 0.
  const unsigned config = (static_cast<unsigned>(profile + 1) << 11) |
                          (static_cast<unsigned>(rate_index) << 7) |
                          (static_cast<unsigned>(channel_config) << 3);
  clip.audio_specific_config = {static_cast<std::uint8_t>(config >> 8),
                                static_cast<std::uint8_t>(config)};
  return frames;
}

Result<MediaClip, std::string> load_media_clip(const std::filesystem::path& dir) {
  MediaClip clip;
  auto video = read_file(dir / "video.h264");
  if (!video) return fail(video.error());
  const auto nals = split_annex_b(*video);
  clip.video = group_access_units(nals);
  if (clip.video.empty()) return fail((dir / "video.h264").string() + ": no H.264 access unit");
  for (const auto& nal : nals) {
    if (clip.sps.empty() && rtp::nal_unit_type(nal) == kNalSps)
      clip.sps.assign(nal.begin(), nal.end());
    if (clip.pps.empty() && rtp::nal_unit_type(nal) == kNalPps)
      clip.pps.assign(nal.begin(), nal.end());
  }
  if (clip.sps.empty() || clip.pps.empty()) {
    return fail((dir / "video.h264").string() + ": no SPS or PPS");
  }
  if (!clip.video.front().keyframe) {
    return fail((dir / "video.h264").string() + ": does not start with a keyframe");
  }
  auto audio = read_file(dir / "audio.aac");
  if (!audio) return fail(audio.error());
  auto frames = split_adts(*audio, clip);
  if (!frames) return fail((dir / "audio.aac").string() + ": " + frames.error());
  clip.audio_frames = std::move(frames).value();
  return clip;
}

}  // namespace callcast::loadgen
