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

}  // namespace
}  // namespace callcast::terminal
