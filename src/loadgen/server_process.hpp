#pragma once
// The server a media benchmark run measures (callcastd, the gst-rtsp-server peer or the
// kernel's batched-send ceiling), started as a child pinned to the given CPUs before it execs (so
// every thread it ever starts inherits the mask), with its stderr in a log file and its first
// stdout line (the ready line) returned. Stopped with SIGTERM, then SIGKILL after a grace period;
// the destructor stops it, and PR_SET_PDEATHSIG stops it if the benchmark dies.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace callcast::loadgen {

class ServerProcess {
 public:
  static Result<std::unique_ptr<ServerProcess>, std::string> start(
      const std::filesystem::path& binary, const std::vector<std::string>& args,
      const std::vector<int>& cpus, const std::filesystem::path& log_file,
      std::chrono::milliseconds ready_timeout);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& ready_line() const { return ready_line_; }
  bool running();
  // "exit 0", "killed by signal 9 after SIGTERM timed out"; "already stopped" the second time.
  std::string stop(std::chrono::milliseconds grace);
  std::string log_tail(std::size_t bytes = 3000) const;

 private:
  ServerProcess(pid_t pid, int stdout_fd, std::filesystem::path log_file)
      : pid_(pid), stdout_fd_(stdout_fd), log_file_(std::move(log_file)) {}

  pid_t pid_ = -1;
  int stdout_fd_ = -1;  // kept open so that the server never gets SIGPIPE on stdout
  std::filesystem::path log_file_;
  std::string ready_line_;
};

}  // namespace callcast::loadgen
