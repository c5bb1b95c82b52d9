#pragma once
// A virtual X display (Xvfb) for the tests of `callcast watch --display` and of the players that
// need a screen (ffplay, VLC): started on a free display number, stopped with the object, and
// read back through ffmpeg's x11grab to check that a picture is shown.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "support/child_process.hpp"

namespace callcast::test {

class XvfbDisplay {
 public:
  // Starts Xvfb (1280x720x24); ok() is false and error() says why when it cannot.
  explicit XvfbDisplay(const std::filesystem::path& dir);
  ~XvfbDisplay();
  XvfbDisplay(const XvfbDisplay&) = delete;
  XvfbDisplay& operator=(const XvfbDisplay&) = delete;

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  std::string name() const { return ":" + std::to_string(number_); }  // the DISPLAY value

  // The variance of the luma of one screenshot (0 for a blank screen); nullopt when the grab
  // failed. Saves the shot as PNG to `png` when not empty.
  std::optional<double> luma_variance(const std::filesystem::path& png = {});

 private:
  std::filesystem::path dir_;
  int number_ = 0;
  std::unique_ptr<ChildProcess> server_;
  std::string error_;
};

}  // namespace callcast::test
