#pragma once
// The benchmark's pre-encoded clip (made at build time by ffmpeg, see CMakeLists.txt): an H.264
// Annex B elementary stream (ITU-T H.264 Annex B: NAL units behind 00 00 01 / 00 00 00 01 start
// codes) at a fixed frame rate, and an AAC-LC stream in ADTS frames (ISO/IEC 13818-7 §6.2). It is
// read once, split into access units and raw AAC frames, and never touched on the send path.
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace callcast::loadgen {

using ByteVector = std::vector<std::uint8_t>;

// One picture: its NAL units (without start codes) in decoding order, access unit delimiters
// dropped (they carry nothing a relay or a viewer needs).
struct H264AccessUnit {
  std::vector<ByteVector> nal_units;
  bool keyframe = false;  // holds an IDR slice
};

struct MediaClip {
  std::vector<H264AccessUnit> video;
  std::uint32_t frame_rate = 30;  // access units per second (the encoder's constant rate)
  ByteVector sps;                 // the first sequence and picture parameter sets of the stream
  ByteVector pps;
  std::vector<ByteVector> audio_frames;  // raw AAC frames (ADTS header stripped), 1024 samples
  std::uint32_t sample_rate = 48000;
  std::uint32_t channels = 2;
  ByteVector audio_specific_config;  // ISO/IEC 14496-3 AudioSpecificConfig, for the SDP
};

// NAL units of an Annex B byte stream, without start codes (trailing zero bytes belong to the
// next start code and are dropped).
std::vector<std::span<const std::uint8_t>> split_annex_b(std::span<const std::uint8_t> stream);

// Groups NAL units into access units (H.264 §7.4.1.2.3): a new one starts at an access unit
// delimiter, SEI, SPS or PPS after a slice, or at a slice whose first_mb_in_slice is 0 after a
// slice.
std::vector<H264AccessUnit> group_access_units(std::span<const std::span<const std::uint8_t>> nals);

// Raw AAC frames of an ADTS stream; fails on a bad sync word, a length that overruns the stream,
// or a change of sample rate or channels half-way. Fills rate, channels and the config of `clip`.
Result<std::vector<ByteVector>, std::string> split_adts(std::span<const std::uint8_t> stream,
                                                        MediaClip& clip);

// Reads DIR/video.h264 and DIR/audio.aac. Errors name the file and what is wrong with it.
Result<MediaClip, std::string> load_media_clip(const std::filesystem::path& dir);

}  // namespace callcast::loadgen
