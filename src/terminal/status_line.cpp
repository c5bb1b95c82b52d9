#include "terminal/status_line.hpp"

#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace callcast::terminal {

StatusLine::StatusLine(std::FILE* out, bool interactive, std::chrono::milliseconds plain_interval)
    : out_(out), interactive_(interactive), plain_interval_(plain_interval) {}

StatusLine::~StatusLine() {
  finish();
}

bool StatusLine::is_interactive(std::FILE* out) {
  const char* term = std::getenv("TERM");
  return isatty(fileno(out)) == 1 && term != nullptr && std::strcmp(term, "dumb") != 0;
}

void StatusLine::clear_line() {
  if (interactive_ && shown_) std::fputs("\r\033[K", out_);
}

void StatusLine::event(std::string_view text) {
  clear_line();
  std::fprintf(out_, "%.*s\n", static_cast<int>(text.size()), text.data());
  if (interactive_ && shown_) {
    std::fputs(current_.c_str(), out_);
  }
  std::fflush(out_);
}

void StatusLine::error(std::string_view text, std::FILE* to) {
  finish();
  std::fflush(out_);
  std::fprintf(to, "%.*s\n", static_cast<int>(text.size()), text.data());
  std::fflush(to);
}

void StatusLine::update(std::string_view text) {
  current_.assign(text);
  if (interactive_) {
    clear_line();
    std::fputs(current_.c_str(), out_);
    shown_ = true;
    std::fflush(out_);
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  if (last_plain_ != std::chrono::steady_clock::time_point{} &&
      now - last_plain_ < plain_interval_) {
    return;
  }
  last_plain_ = now;
  std::fprintf(out_, "status: %s\n", current_.c_str());
  std::fflush(out_);
}

void StatusLine::finish() {
  if (interactive_ && shown_) {
    std::fputc('\n', out_);
    std::fflush(out_);
  }
  shown_ = false;
}

}  // namespace callcast::terminal
