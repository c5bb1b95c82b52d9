#pragma once
// The callcastd a benchmark runs against: started as a child process on ports the OS picks,
// found through its ready line on stdout
//
//   callcastd ready rtsp=127.0.0.1:41234 http=127.0.0.1:40111 rtp=50000-50001 sip=127.0.0.1:45060
//
// and stopped at the end: SIGTERM, then SIGKILL when it has not exited within a bound. The
// destructor stops it too, so a run that fails half-way leaves no server behind; the child also
// gets SIGTERM if the benchmark itself dies (PR_SET_PDEATHSIG).
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/result.hpp"
#include "loadgen/server_process.hpp"

namespace callcast::loadgen {

// The addresses of the ready line that a SIP benchmark needs (http= and sip=; rtsp= when given).
struct CallcastdEndpoints {
  core::HostPort rtsp;
  core::HostPort http;
  core::HostPort sip;
};

class CallcastdProcess {
 public:
  // Runs `binary` with `args`, its stderr (the log) into `log_file`, and waits at most
  // `ready_timeout` for the ready line. The error says why, with the log's tail.
  static Result<std::unique_ptr<CallcastdProcess>, std::string> start(
      const std::filesystem::path& binary, const std::vector<std::string>& args,
      const std::filesystem::path& log_file, std::chrono::milliseconds ready_timeout);
  CallcastdProcess(const CallcastdProcess&) = delete;
  CallcastdProcess& operator=(const CallcastdProcess&) = delete;

  pid_t pid() const { return process_->pid(); }
  const CallcastdEndpoints& endpoints() const { return endpoints_; }

  // SIGTERM, wait up to `grace`, then SIGKILL. Describes how it ended ("exit 0", "killed by
  // signal 9 after SIGTERM timed out"). Does nothing the second time.
  std::string stop(std::chrono::milliseconds grace) { return process_->stop(grace); }

  // The last `bytes` of the server's log, for error messages.
  std::string log_tail(std::size_t bytes = 4000) const { return process_->log_tail(bytes); }

 private:
  CallcastdProcess(std::unique_ptr<ServerProcess> process, CallcastdEndpoints endpoints)
      : process_(std::move(process)), endpoints_(std::move(endpoints)) {}

  std::unique_ptr<ServerProcess> process_;  // the child, its stdout and its log
  CallcastdEndpoints endpoints_;
};

}  // namespace callcast::loadgen
