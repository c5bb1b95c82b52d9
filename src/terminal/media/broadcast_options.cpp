#include "terminal/media/broadcast_options.hpp"

#include <algorithm>
#include <filesystem>
#include <system_error>

namespace callcast::terminal {

Result<SourceSpec, std::string> parse_source(std::string_view text) {
  if (text == "test") return SourceSpec{SourceSpec::Kind::test, ""};
  if (text.starts_with("file:")) {
    const std::string_view path = text.substr(5);
    if (path.empty()) return fail("source file: needs a path, e.g. file:clip.mp4");
    return SourceSpec{SourceSpec::Kind::file, std::string(path)};
  }
  if (text.starts_with("v4l2:")) {
    const std::string_view device = text.substr(5);
    if (!device.starts_with("/dev/video") || device.size() == 10) {
      return fail("source v4l2: needs a device such as v4l2:/dev/video0, not '" +
                  std::string(device) + "'");
    }
    return SourceSpec{SourceSpec::Kind::v4l2, std::string(device)};
  }
  return fail("unknown source '" + std::string(text) +
              "': expected test, file:PATH or v4l2:/dev/videoN");
}

Result<AudioSource, std::string> parse_audio_source(std::string_view text) {
  if (text == "test") return AudioSource::test;
  if (text == "alsa") return AudioSource::alsa;
  if (text == "file") return AudioSource::file;
  if (text == "none") return AudioSource::none;
  return fail("unknown audio source '" + std::string(text) +
              "': expected test, alsa, file or none");
}

int min_bitrate_kbps_of(const BroadcastOptions& options) {
  if (options.min_bitrate_kbps > 0) return options.min_bitrate_kbps;
  return std::max(16, options.bitrate_kbps / 4);
}

std::optional<std::string> broadcast_options_error(const BroadcastOptions& options) {
  if (options.width < 16 || options.height < 16 || options.width % 2 != 0 ||
      options.height % 2 != 0) {
    return "bad picture size " + std::to_string(options.width) + "x" +
           std::to_string(options.height) + ": needs even numbers of at least 16";
  }
  if (options.fps < 1 || options.fps > 120) return "bad frame rate: 1 to 120 fps";
  if (options.bitrate_kbps < 16) return "bad bitrate: at least 16 kbit/s";
  if (options.min_bitrate_kbps != 0 &&
      (options.min_bitrate_kbps < 16 || options.min_bitrate_kbps > options.bitrate_kbps)) {
    return "bad minimum bitrate: at least 16 kbit/s and at most the bitrate";
  }
  if (options.keyframe_interval_s < 1) return "bad keyframe interval: at least 1 s";
  for (const auto* source : {&options.source, options.source2 ? &*options.source2 : nullptr}) {
    if (source == nullptr) continue;
    std::error_code ec;
    if (source->kind == SourceSpec::Kind::file &&
        !std::filesystem::is_regular_file(source->path, ec)) {
      return "source file not found: " + source->path;
    }
    if (source->kind == SourceSpec::Kind::v4l2 && !std::filesystem::exists(source->path, ec)) {
      return "v4l2 device not found: " + source->path;
    }
  }
  if (options.audio == AudioSource::file && options.source.kind != SourceSpec::Kind::file) {
    return "--audio file takes the sound of a file source; the source is not a file";
  }
  return std::nullopt;
}

}  // namespace callcast::terminal
