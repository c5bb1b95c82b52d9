#pragma once
// The terminal's status output. On a terminal the status refreshes in place on one line (carriage
// return + erase), and events print above it; otherwise (a pipe, a log file) every event is one
// plain line and the status is printed as a plain line at most every `plain_interval`.
#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>

namespace callcast::terminal {

class StatusLine {
 public:
  // `out`: where to write (stderr in the program); `interactive`: refresh in place.
  StatusLine(std::FILE* out, bool interactive,
             std::chrono::milliseconds plain_interval = std::chrono::seconds(5));
  ~StatusLine();
  StatusLine(const StatusLine&) = delete;
  StatusLine& operator=(const StatusLine&) = delete;

  // Whether `out` is a terminal (isatty) and TERM is not "dumb".
  static bool is_interactive(std::FILE* out);

  // A permanent line ("step 707: live"), printed above the status.
  void event(std::string_view text);
  // The line that says why the program failed ("error: ..."), on `to` (stderr in the program,
  // where nothing else is printed by default): the status line above it stays as it was.
  void error(std::string_view text, std::FILE* to);
  // The current status ("live 00:12 2013 kbps 360 frames").
  void update(std::string_view text);
  // Leaves the status line as it is and moves below it (at exit).
  void finish();

 private:
  void clear_line();

  std::FILE* out_;
  bool interactive_;
  std::chrono::milliseconds plain_interval_;
  std::chrono::steady_clock::time_point last_plain_{};
  std::string current_;
  bool shown_ = false;
};

}  // namespace callcast::terminal
