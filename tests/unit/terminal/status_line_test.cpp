// The status output: refreshed in place on a terminal, plain rate-limited lines otherwise.
#include "terminal/status_line.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace callcast::terminal {
namespace {

// What a StatusLine wrote into a memory stream.
class Captured {
 public:
  Captured() : file_(open_memstream(&data_, &size_)) {}
  ~Captured() {
    if (file_ != nullptr) std::fclose(file_);
    std::free(data_);
  }
  Captured(const Captured&) = delete;
  Captured& operator=(const Captured&) = delete;
  std::FILE* file() { return file_; }
  std::string text() {
    std::fflush(file_);
    return std::string(data_, size_);
  }

 private:
  char* data_ = nullptr;
  std::size_t size_ = 0;
  std::FILE* file_;
};

TEST(StatusLine, OnATerminalTheStatusRefreshesInPlaceUnderEvents) {
  Captured out;
  {
    StatusLine status(out.file(), true);
    status.update("calling");
    status.update("LIVE 00:01");
    status.event("step 707: live");
  }
  EXPECT_EQ(out.text(), "calling\r\033[KLIVE 00:01\r\033[Kstep 707: live\nLIVE 00:01\n");
}

TEST(StatusLine, OffATerminalStatusLinesAreRateLimitedAndEventsAlwaysShow) {
  Captured out;
  {
    StatusLine status(out.file(), false, std::chrono::hours(1));
    status.update("calling");
    status.update("LIVE 00:01");  // within the interval: not printed
    status.event("step 707: live");
  }
  EXPECT_EQ(out.text(), "status: calling\nstep 707: live\n");
}

// A failure's line goes to its own stream (stderr in the program) and nothing else does: the
// status stays on the other one, ended by a newline on a terminal.
TEST(StatusLine, TheErrorLineGoesAloneToItsOwnStream) {
  Captured out;
  Captured errors;
  {
    StatusLine status(out.file(), true);
    status.update("registering");
    status.error("error: wrong password for 1001, or no such user (403 Forbidden)", errors.file());
  }
  EXPECT_EQ(out.text(), "registering\n");
  EXPECT_EQ(errors.text(), "error: wrong password for 1001, or no such user (403 Forbidden)\n");
}

}  // namespace
}  // namespace callcast::terminal
