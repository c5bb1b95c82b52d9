#include "support/xvfb_display.hpp"

#include <chrono>
#include <cmath>
#include <csignal>

#include "support/media_tools.hpp"

namespace callcast::test {

namespace {

constexpr int kWidth = 1280;
constexpr int kHeight = 720;

}  // namespace

XvfbDisplay::XvfbDisplay(const std::filesystem::path& dir) : dir_(dir) {
  const std::string resolution = std::to_string(kWidth) + "x" + std::to_string(kHeight) + "x24";
  ChildOptions xvfb;
  // -displayfd: Xvfb picks a free display itself and writes its number once it accepts clients;
  // its listening socket appears earlier, while it is still setting up, and a client that comes
  // then can be refused. -br: a black root window (the default weave pattern is not "blank").
  // -noreset: an X server resets when its last client leaves and refuses connections meanwhile;
  // the blank screenshot, and autovideosink probing xvimagesink before ximagesink, are such last
  // clients, and the sink opening the display right after was refused ("Could not open display").
  xvfb.argv = {"Xvfb",     "-displayfd", "1",   "-screen", "0",
               resolution, "-nolisten",  "tcp", "-br",     "-noreset"};
  xvfb.pipe_stdout = true;
  xvfb.stderr_file = dir_ / "xvfb.err";
  server_ = std::make_unique<ChildProcess>(std::move(xvfb));
  if (!server_->started()) {
    error_ = "cannot start Xvfb (Debian: xvfb): " + server_->error();
    return;
  }
  const auto line = server_->read_stdout_line(std::chrono::seconds(15));
  if (!line || line->empty() || line->find_first_not_of("0123456789") != std::string::npos) {
    error_ = "Xvfb did not come up: " + server_->stderr_tail();
    return;
  }
  number_ = std::stoi(*line);
}

XvfbDisplay::~XvfbDisplay() {
  if (server_ && server_->started()) server_->terminate(SIGTERM, std::chrono::seconds(3));
}

std::optional<double> XvfbDisplay::luma_variance(const std::filesystem::path& png) {
  const std::string size = std::to_string(kWidth) + "x" + std::to_string(kHeight);
  if (!png.empty()) {
    run_tool({"ffmpeg", "-nostdin", "-y", "-loglevel", "error", "-f", "x11grab", "-draw_mouse", "0",
              "-video_size", size, "-i", name(), "-frames:v", "1", png.string()},
             dir_, "x11grab-png", std::chrono::seconds(15));
  }
  const std::filesystem::path raw = dir_ / "x11grab.gray";
  const ToolRun grab = run_tool(
      {"ffmpeg",      "-nostdin", "-y",          "-loglevel", "error", "-f",        "x11grab",
       "-draw_mouse", "0",        "-video_size", size,        "-i",    name(),      "-frames:v",
       "1",           "-f",       "rawvideo",    "-pix_fmt",  "gray",  raw.string()},
      dir_, "x11grab", std::chrono::seconds(15));
  if (!grab.ok()) return std::nullopt;
  const std::string pixels = file_tail(raw, static_cast<std::size_t>(kWidth) * kHeight);
  if (pixels.size() != static_cast<std::size_t>(kWidth) * kHeight) return std::nullopt;
  double sum = 0;
  double squares = 0;
  for (const char c : pixels) {
    const double v = static_cast<unsigned char>(c);
    sum += v;
    squares += v * v;
  }
  const double n = static_cast<double>(pixels.size());
  const double mean = sum / n;
  return squares / n - mean * mean;
}

}  // namespace callcast::test
