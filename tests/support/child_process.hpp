#pragma once
// A program the end-to-end tests start (callcastd, ffmpeg, ffprobe, gst-launch-1.0) and must
// never leave behind: the destructor kills it by PID, and the kernel kills it if the test
// process dies first (PR_SET_PDEATHSIG). Output goes to files so that a failing test can show it.
//
// PR_SET_PDEATHSIG fires when the *thread* that forked exits, so start children from the test's
// main thread (or from a thread that outlives them).
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace callcast::test {

// How a child ended, as waitpid(2) reported it.
struct ExitStatus {
  bool exited = false;  // exited normally; `code` holds its exit code
  int code = -1;
  int signal = 0;  // the signal that killed it, when !exited

  bool success() const { return exited && code == 0; }
  std::string describe() const;  // "exit 0", "killed by signal 9 (Killed)"
};

struct ChildOptions {
  std::vector<std::string> argv;       // argv[0] is looked up in PATH when it has no '/'
  std::filesystem::path stdout_file;   // empty: /dev/null (unless pipe_stdout)
  std::filesystem::path stderr_file;   // empty: /dev/null
  bool pipe_stdout = false;            // read it with read_stdout_line()
  std::vector<std::string> extra_env;  // "NAME=value" added to the environment (replacing NAME)
};

class ChildProcess {
 public:
  using Duration = std::chrono::milliseconds;

  // Starts the program; started() is false (and error() says why) when it could not be run.
  explicit ChildProcess(ChildOptions options);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool started() const { return pid_ > 0; }
  const std::string& error() const { return error_; }
  pid_t pid() const { return pid_; }
  const ChildOptions& options() const { return options_; }
  std::string command_line() const;  // for messages

  // True while the child has not exited (reaps it when it has).
  bool running();
  // Waits up to `timeout` for the child to exit; its status, or nullopt if still running.
  std::optional<ExitStatus> wait_for(Duration timeout);
  // The status once it exited (nullopt while running).
  const std::optional<ExitStatus>& status() const { return status_; }

  // Sends `signal`, waits up to `grace`, then SIGKILLs. Returns how it ended.
  ExitStatus terminate(int signal = 15, Duration grace = std::chrono::seconds(3));
  bool send_signal(int signal);

  // One line (without '\n') from the piped stdout, or nullopt on timeout / EOF.
  std::optional<std::string> read_stdout_line(Duration timeout);

  // The end of the stdout/stderr files, for failure messages.
  std::string stderr_tail(std::size_t max_bytes = 8000) const;
  std::string stdout_tail(std::size_t max_bytes = 8000) const;

 private:
  void reap(int wait_status);

  ChildOptions options_;
  pid_t pid_ = -1;
  int stdout_pipe_ = -1;
  std::string stdout_buffer_;
  std::optional<ExitStatus> status_;
  std::string error_;
};

// A whole file ("" when it cannot be read): a child's output, a log.
std::string file_text(const std::filesystem::path& path);
// The last `max_bytes` of a file ("" when it cannot be read).
std::string file_tail(const std::filesystem::path& path, std::size_t max_bytes);

}  // namespace callcast::test
