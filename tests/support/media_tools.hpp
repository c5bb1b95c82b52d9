#pragma once
// Third-party peers for the end-to-end tests: ffmpeg publishing a test pattern with a tone,
// ffmpeg / ffprobe / GStreamer playing over UDP, and ffprobe judging what they decoded.
// Command lines are built here once; the tests start them with ChildProcess.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "support/child_process.hpp"

namespace callcast::test {

constexpr int kPublishFps = 25;  // testsrc2 rate; one keyframe per second (-g 25)

// ffmpeg encodes testsrc2 640x360@25 (H.264, keyframe every second) and, with `audio`, a 440 Hz
// sine (AAC 48 kHz), and publishes them with ANNOUNCE/SETUP/RECORD over RTSP interleaved TCP.
ChildOptions ffmpeg_publisher(const std::string& publish_url, const std::filesystem::path& dir,
                              bool audio = true, const std::string& name = "publisher");
// The same with a choice of audio codec ("aac" or "libopus") and RTSP lower transport for the
// RECORD ("tcp": interleaved, "udp": mode=record with client_port).
ChildOptions ffmpeg_publisher_over(const std::string& publish_url, const std::filesystem::path& dir,
                                   const std::string& audio_codec, const std::string& transport);
// GStreamer's rtspclientsink in its default configuration (the payloaders it picks itself: AAC
// as MP4A-LATM, RFC 6416) publishes a live test pattern (H.264) and tone (`audio_encoder`:
// "avenc_aac" or "opusenc") over RTSP/TCP; gst-launch-1.0 -e, so SIGINT ends it with EOS.
ChildOptions gst_rtspclientsink_publisher(const std::string& publish_url,
                                          const std::string& audio_encoder,
                                          const std::filesystem::path& dir,
                                          const std::string& name = "rtspclientsink");
// ffmpeg encodes the same pattern (video only) and sends plain RTP to 127.0.0.1:rtp_port,
// writing its SDP to `sdp_file`: the source of the tests' own raw publisher.
ChildOptions ffmpeg_rtp_source(std::uint16_t rtp_port, const std::filesystem::path& sdp_file,
                               const std::filesystem::path& dir);
// ffmpeg plays over UDP and copies `seconds` of both streams into `output` (Matroska). Leading
// non-keyframes are kept (-copyinkf), so the recording starts with whatever arrived first.
ChildOptions ffmpeg_recorder(const std::string& play_url, const std::filesystem::path& output,
                             int seconds, const std::filesystem::path& dir, const std::string& name,
                             const std::string& transport = "udp");
// ffprobe plays over UDP for `seconds` and prints every decoded frame (JSON on stdout).
ChildOptions ffprobe_live_viewer(const std::string& play_url, int seconds,
                                 const std::filesystem::path& dir, const std::string& name);
// gst-launch-1.0 -e: rtspsrc over UDP, H.264 and AAC depayloaded into Matroska. Stop it with
// SIGINT so that it ends the file properly (EOS).
ChildOptions gst_recorder(const std::string& play_url, const std::filesystem::path& output,
                          const std::filesystem::path& dir, const std::string& name);

// Runs a tool to completion (bounded); its exit status and output.
struct ToolRun {
  std::optional<ExitStatus> status;  // nullopt: killed after the timeout
  std::string out;
  std::string err;
  std::string command;
  bool ok() const { return status && status->success(); }
};
ToolRun run_tool(std::vector<std::string> argv, const std::filesystem::path& dir,
                 const std::string& name, std::chrono::milliseconds timeout);

// What was decoded from one source, per medium.
struct DecodedMedia {
  std::string error;  // non-empty when probing failed
  int video_frames = 0;
  int audio_frames = 0;
  std::optional<bool> first_video_keyframe;
  double video_first_s = 0;  // earliest and latest video timestamp seen
  double video_last_s = 0;
  std::string decoder_errors;  // ffprobe's error lines about the streams (empty: clean)

  // Seconds of publisher time the video covers: first to last frame plus one frame.
  double video_window_s() const;
  // Frames the publisher sent in that window.
  double published_frames() const { return video_window_s() * kPublishFps; }
  std::string describe() const;
};
// Decodes every frame of a recording with ffprobe (-show_frames).
DecodedMedia decode_file(const std::filesystem::path& file, const std::filesystem::path& dir);
// Parses ffprobe_live_viewer's output.
DecodedMedia decoded_from_ffprobe_json(const std::string& json, const std::string& stderr_text);

// The time of every decoded video frame of a recording, in decoding order (empty on failure).
std::vector<double> video_frame_times(const std::filesystem::path& file,
                                      const std::filesystem::path& dir);
// The largest step between consecutive times (0 for fewer than two) and where it starts.
struct LargestGap {
  double seconds = 0;
  double after_s = 0;  // the time of the frame before the gap
};
LargestGap largest_gap(const std::vector<double>& times);

// Whether the first video packet stored in a recording is flagged as a keyframe (nullopt: no
// video packet, or ffprobe failed).
std::optional<bool> first_video_packet_is_keyframe(const std::filesystem::path& file,
                                                   const std::filesystem::path& dir);

// Codec names of a file's streams ("h264", "aac"), via ffprobe -show_streams.
std::vector<std::string> stream_codecs(const std::filesystem::path& file,
                                       const std::filesystem::path& dir);

// Empty when every tool the tests run is installed, else which are missing.
std::string missing_tools();

}  // namespace callcast::test
