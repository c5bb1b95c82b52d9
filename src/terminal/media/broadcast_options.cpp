#include "terminal/media/broadcast_options.hpp"

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

}  // namespace callcast::terminal
