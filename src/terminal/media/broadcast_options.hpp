#pragma once
// What a master terminal broadcasts (steps 705, 708): its picture source(s), its sound, the
// encoding, and the parsing of the command line's --source / --audio values.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace callcast::terminal {

struct SourceSpec {
  enum class Kind { test, file, v4l2 };
  Kind kind;
  std::string path;  // the file or the /dev/videoN device; empty for test
};
// "test" | "file:PATH" | "v4l2:/dev/videoN"
Result<SourceSpec, std::string> parse_source(std::string_view text);

enum class AudioSource { test, alsa, file, none };  // file: the audio track of the file source
// "test" | "alsa" | "file" | "none"
Result<AudioSource, std::string> parse_audio_source(std::string_view text);

enum class AudioCodec { aac, opus };

struct BroadcastOptions {
  SourceSpec source{SourceSpec::Kind::test, ""};
  std::optional<SourceSpec> source2;  // camera switch ([0155])
  AudioSource audio = AudioSource::test;
  AudioCodec audio_codec = AudioCodec::aac;
  int width = 1280, height = 720, fps = 30;
  int bitrate_kbps = 2000;  // the start, and the ceiling of what the server may ask for
  // The floor of what the server may ask for (REMB/TMMBR, issue 12 item 4); 0: a quarter of
  // bitrate_kbps (min_bitrate_kbps_of).
  int min_bitrate_kbps = 0;
  int keyframe_interval_s = 2;
  bool clock_overlay = true;  // visible running wall clock (clockoverlay) on test sources
  bool stamp_clock = true;    // the machine-readable frame clock, for glass-to-glass latency
  // How long to keep trying to get the RTSP connection back after it broke while streaming
  // (the streaming server keeps the group for media.publisher_grace_s, 5 s by default); 0 ends
  // the broadcast at the first loss.
  std::chrono::milliseconds reconnect_for{5000};
};

// The floor the encoder's bitrate may be lowered to.
int min_bitrate_kbps_of(const BroadcastOptions& options);

// nullopt when `options` can be broadcast as far as can be told before building the pipeline
// (sizes, rates, the source files and devices exist); else the line that says what is wrong.
std::optional<std::string> broadcast_options_error(const BroadcastOptions& options);

}  // namespace callcast::terminal
