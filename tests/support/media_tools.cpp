#include "support/media_tools.hpp"

#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sstream>

namespace callcast::test {

namespace {

std::vector<std::string> ffmpeg_base() {
  return {"ffmpeg", "-hide_banner", "-nostdin", "-nostats", "-loglevel", "info"};
}

std::vector<std::string> test_pattern_input() {
  return {"-re", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=" + std::to_string(kPublishFps)};
}

std::vector<std::string> h264_encoder() {
  return {"-c:v",     "libx264",     "-preset", "ultrafast",
          "-tune",    "zerolatency", "-g",      std::to_string(kPublishFps),
          "-pix_fmt", "yuv420p"};
}

void append(std::vector<std::string>& out, const std::vector<std::string>& more) {
  out.insert(out.end(), more.begin(), more.end());
}

ChildOptions options_for(std::vector<std::string> argv, const std::filesystem::path& dir,
                         const std::string& name) {
  ChildOptions options;
  options.argv = std::move(argv);
  options.stdout_file = dir / (name + ".out");
  options.stderr_file = dir / (name + ".err");
  return options;
}

// A frame's time: best_effort_timestamp_time, else pts_time, else pkt_dts_time.
std::optional<double> frame_time(const nlohmann::json& frame) {
  for (const char* key : {"best_effort_timestamp_time", "pts_time", "pkt_dts_time"}) {
    if (!frame.contains(key) || !frame[key].is_string()) continue;
    const std::string text = frame[key].get<std::string>();
    char* end = nullptr;
    const double value = std::strtod(text.c_str(), &end);
    if (end != text.c_str() && *end == '\0') return value;
  }
  return std::nullopt;
}

// ffprobe's complaints about the media ("[h264 @ 0x...] non-existing PPS 0 referenced"), not
// about the network ("[rtsp @ ...] ..." notes at the end of a live session).
std::string decoder_complaints(const std::string& stderr_text) {
  std::istringstream lines(stderr_text);
  std::string line;
  std::string out;
  while (std::getline(lines, line)) {
    if (line.find("[h264") != std::string::npos || line.find("[aac") != std::string::npos) {
      out += line + "\n";
    }
  }
  return out;
}

}  // namespace

namespace {

// The test pattern (and a tone, unless `audio_codec` is empty) published with RECORD over
// `transport`.
std::vector<std::string> publisher_argv(const std::string& publish_url,
                                        const std::string& audio_codec,
                                        const std::string& transport) {
  auto argv = ffmpeg_base();
  append(argv, test_pattern_input());
  if (!audio_codec.empty()) {
    append(argv, {"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"});
  }
  append(argv, h264_encoder());
  if (audio_codec.empty()) {
    argv.push_back("-an");
  } else {
    append(argv, {"-c:a", audio_codec, "-b:a", "64k"});
  }
  append(argv, {"-f", "rtsp", "-rtsp_transport", transport, publish_url});
  return argv;
}

}  // namespace

ChildOptions ffmpeg_publisher_over(const std::string& publish_url, const std::filesystem::path& dir,
                                   const std::string& audio_codec, const std::string& transport) {
  return options_for(publisher_argv(publish_url, audio_codec, transport), dir,
                     "publisher-" + transport + "-" + audio_codec);
}

ChildOptions ffmpeg_publisher(const std::string& publish_url, const std::filesystem::path& dir,
                              bool audio, const std::string& name) {
  return options_for(publisher_argv(publish_url, audio ? "aac" : "", "tcp"), dir, name);
}

ChildOptions ffmpeg_rtp_source(std::uint16_t rtp_port, const std::filesystem::path& sdp_file,
                               const std::filesystem::path& dir) {
  auto argv = ffmpeg_base();
  append(argv, test_pattern_input());
  argv.push_back("-an");
  append(argv, h264_encoder());
  append(argv, {"-f", "rtp", "-payload_type", "96", "-sdp_file", sdp_file.string(),
                "rtp://127.0.0.1:" + std::to_string(rtp_port) + "?pkt_size=1200"});
  return options_for(std::move(argv), dir, "rtp-source");
}

ChildOptions ffmpeg_recorder(const std::string& play_url, const std::filesystem::path& output,
                             int seconds, const std::filesystem::path& dir, const std::string& name,
                             const std::string& transport) {
  auto argv = ffmpeg_base();
  append(argv, {"-rtsp_transport", transport, "-i", play_url, "-t", std::to_string(seconds), "-c",
                "copy", "-copyinkf", "-y", output.string()});
  return options_for(std::move(argv), dir, name);
}

ChildOptions ffprobe_live_viewer(const std::string& play_url, int seconds,
                                 const std::filesystem::path& dir, const std::string& name) {
  return options_for(
      {"ffprobe", "-v", "error", "-rtsp_transport", "udp", "-read_intervals",
       "%+" + std::to_string(seconds), "-show_entries",
       "frame=media_type,key_frame,best_effort_timestamp_time,pts_time", "-of", "json", play_url},
      dir, name);
}

ChildOptions gst_rtspclientsink_publisher(const std::string& publish_url,
                                          const std::string& audio_encoder,
                                          const std::filesystem::path& dir,
                                          const std::string& name) {
  return options_for({"gst-launch-1.0",
                      "-e",
                      "rtspclientsink",
                      "name=sink",
                      "location=" + publish_url,
                      "protocols=tcp",
                      "videotestsrc",
                      "is-live=true",
                      "!",
                      "video/x-raw,width=320,height=240,framerate=25/1",
                      "!",
                      "x264enc",
                      "tune=zerolatency",
                      "speed-preset=ultrafast",
                      "key-int-max=25",
                      "!",
                      "video/x-h264,profile=baseline",
                      "!",
                      "queue",
                      "!",
                      "sink.",
                      "audiotestsrc",
                      "is-live=true",
                      "!",
                      "audioconvert",
                      "!",
                      "audioresample",
                      "!",
                      audio_encoder,
                      "!",
                      "queue",
                      "!",
                      "sink."},
                     dir, name);
}

ChildOptions gst_recorder(const std::string& play_url, const std::filesystem::path& output,
                          const std::filesystem::path& dir, const std::string& name) {
  // rtspsrc exposes one pad per stream; each branch takes the pad whose caps it accepts.
  return options_for({"gst-launch-1.0",
                      "-e",
                      "matroskamux",
                      "name=mux",
                      "!",
                      "filesink",
                      "location=" + output.string(),
                      "rtspsrc",
                      "location=" + play_url,
                      "protocols=udp",
                      "latency=200",
                      "name=src",
                      "src.",
                      "!",
                      "queue",
                      "!",
                      "rtph264depay",
                      "!",
                      "h264parse",
                      "!",
                      "mux.",
                      "src.",
                      "!",
                      "queue",
                      "!",
                      "rtpmp4gdepay",
                      "!",
                      "aacparse",
                      "!",
                      "mux."},
                     dir, name);
}

ToolRun run_tool(std::vector<std::string> argv, const std::filesystem::path& dir,
                 const std::string& name, std::chrono::milliseconds timeout) {
  ChildProcess child(options_for(std::move(argv), dir, name));
  ToolRun run;
  run.command = child.command_line();
  if (!child.started()) {
    run.err = child.error();
    return run;
  }
  run.status = child.wait_for(timeout);
  if (!run.status) child.terminate(SIGKILL, std::chrono::seconds(1));
  run.out = file_tail(child.options().stdout_file, 64 * 1024 * 1024);
  run.err = file_tail(child.options().stderr_file, 64 * 1024);
  return run;
}

double DecodedMedia::video_window_s() const {
  if (video_frames == 0) return 0;
  return video_last_s - video_first_s + 1.0 / kPublishFps;
}

std::string DecodedMedia::describe() const {
  std::ostringstream out;
  if (!error.empty()) out << "error: " << error << "; ";
  out << video_frames << " video frames over " << video_window_s() << " s (" << published_frames()
      << " published), " << audio_frames << " audio frames, first video frame "
      << (first_video_keyframe ? (*first_video_keyframe ? "a keyframe" : "NOT a keyframe")
                               : "absent");
  if (!decoder_errors.empty()) out << "; decoder errors:\n" << decoder_errors;
  return out.str();
}

DecodedMedia decoded_from_ffprobe_json(const std::string& json, const std::string& stderr_text) {
  DecodedMedia media;
  media.decoder_errors = decoder_complaints(stderr_text);
  const auto document = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded() || !document.is_object()) {
    media.error = "ffprobe printed no JSON: " + json.substr(0, 300) + " " + stderr_text;
    return media;
  }
  if (!document.contains("frames") || !document["frames"].is_array()) return media;
  bool have_time = false;
  for (const auto& frame : document["frames"]) {
    const std::string type = frame.value("media_type", "");
    if (type == "audio") {
      ++media.audio_frames;
      continue;
    }
    if (type != "video") continue;
    ++media.video_frames;
    if (!media.first_video_keyframe) media.first_video_keyframe = frame.value("key_frame", 0) == 1;
    if (auto t = frame_time(frame)) {
      media.video_first_s = have_time ? std::min(media.video_first_s, *t) : *t;
      media.video_last_s = have_time ? std::max(media.video_last_s, *t) : *t;
      have_time = true;
    }
  }
  return media;
}

DecodedMedia decode_file(const std::filesystem::path& file, const std::filesystem::path& dir) {
  if (!std::filesystem::exists(file) || std::filesystem::file_size(file) == 0) {
    DecodedMedia media;
    media.error = file.string() + " is missing or empty";
    return media;
  }
  const auto run = run_tool({"ffprobe", "-v", "error", "-show_entries",
                             "frame=media_type,key_frame,best_effort_timestamp_time,pts_time",
                             "-of", "json", file.string()},
                            dir, "probe-" + file.stem().string(), std::chrono::seconds(60));
  if (!run.ok()) {
    DecodedMedia media;
    media.error =
        run.command + " -> " + (run.status ? run.status->describe() : "timed out") + ": " + run.err;
    return media;
  }
  return decoded_from_ffprobe_json(run.out, run.err);
}

std::vector<double> video_frame_times(const std::filesystem::path& file,
                                      const std::filesystem::path& dir) {
  std::vector<double> times;
  const auto run =
      run_tool({"ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                "frame=best_effort_timestamp_time,pts_time", "-of", "json", file.string()},
               dir, "frame-times-" + file.stem().string(), std::chrono::seconds(60));
  const auto document = nlohmann::json::parse(run.out, nullptr, /*allow_exceptions=*/false);
  if (!run.ok() || document.is_discarded() || !document.contains("frames")) return times;
  for (const auto& frame : document["frames"]) {
    if (auto time = frame_time(frame)) times.push_back(*time);
  }
  return times;
}

LargestGap largest_gap(const std::vector<double>& times) {
  LargestGap gap;
  for (std::size_t i = 1; i < times.size(); ++i) {
    if (times[i] - times[i - 1] > gap.seconds) gap = {times[i] - times[i - 1], times[i - 1]};
  }
  return gap;
}

std::optional<bool> first_video_packet_is_keyframe(const std::filesystem::path& file,
                                                   const std::filesystem::path& dir) {
  const auto run = run_tool({"ffprobe", "-v", "error", "-select_streams", "v:0", "-read_intervals",
                             "%+#1", "-show_entries", "packet=flags", "-of", "json", file.string()},
                            dir, "first-packet-" + file.stem().string(), std::chrono::seconds(30));
  const auto document = nlohmann::json::parse(run.out, nullptr, /*allow_exceptions=*/false);
  if (!run.ok() || document.is_discarded() || !document.contains("packets") ||
      !document["packets"].is_array() || document["packets"].empty()) {
    return std::nullopt;
  }
  // "K_" for a keyframe, "__" otherwise (a "D" marks a discarded packet).
  return document["packets"][0].value("flags", "").starts_with("K");
}

std::vector<std::string> stream_codecs(const std::filesystem::path& file,
                                       const std::filesystem::path& dir) {
  const auto run = run_tool({"ffprobe", "-v", "error", "-show_entries", "stream=codec_name", "-of",
                             "json", file.string()},
                            dir, "streams-" + file.stem().string(), std::chrono::seconds(30));
  std::vector<std::string> codecs;
  const auto document = nlohmann::json::parse(run.out, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded() || !document.contains("streams")) return codecs;
  for (const auto& stream : document["streams"])
    codecs.push_back(stream.value("codec_name", ""));
  return codecs;
}

std::string missing_tools() {
  std::string missing;
  for (const char* tool : {"ffmpeg", "ffprobe", "gst-launch-1.0"}) {
    const std::string command = std::string("command -v ") + tool + " >/dev/null 2>&1";
    if (std::system(command.c_str()) != 0)
      missing += std::string(missing.empty() ? "" : ", ") + tool;
  }
  return missing;
}

}  // namespace callcast::test
