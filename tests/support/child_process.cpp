#include "support/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string_view>
#include <thread>

extern char** environ;

namespace callcast::test {

namespace {

using Clock = std::chrono::steady_clock;

std::string find_in_path(const std::string& program) {
  if (program.find('/') != std::string::npos) return program;
  const char* path = std::getenv("PATH");
  std::string_view dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  while (!dirs.empty()) {
    const auto colon = dirs.find(':');
    const std::string dir(dirs.substr(0, colon));
    dirs = colon == std::string_view::npos ? std::string_view{} : dirs.substr(colon + 1);
    const std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

// Only async-signal-safe calls between fork() and exec(): the test process has threads.
[[noreturn]] void exec_child(const char* executable, char* const* argv, char* const* envp,
                             const char* stdout_path, int stdout_pipe_write,
                             const char* stderr_path, int error_pipe_write, pid_t parent) {
  auto die = [error_pipe_write](int error) {
    const int saved = error;
    (void)!::write(error_pipe_write, &saved, sizeof saved);
    ::_exit(127);
  };
  // Die with the test: the kernel sends SIGKILL when the forking thread's process goes away.
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) die(errno);
  if (::getppid() != parent) ::_exit(127);  // the parent died before prctl took effect
  // Its own process group: a Ctrl-C aimed at the test does not reach it twice.
  (void)::setpgid(0, 0);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::signal(SIGPIPE, SIG_DFL);

  const int in = ::open("/dev/null", O_RDONLY);
  if (in < 0 || ::dup2(in, 0) < 0) die(errno);
  int out = stdout_pipe_write;
  if (out < 0) out = ::open(stdout_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (out < 0 || ::dup2(out, 1) < 0) die(errno);
  const int err = ::open(stderr_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (err < 0 || ::dup2(err, 2) < 0) die(errno);
  ::execve(executable, argv, envp);
  die(errno);
  ::_exit(127);
}

}  // namespace

std::string ExitStatus::describe() const {
  if (exited) return "exit " + std::to_string(code);
  return "killed by signal " + std::to_string(signal) + " (" + ::strsignal(signal) + ")";
}

std::string file_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string file_tail(const std::filesystem::path& path, std::size_t max_bytes) {
  std::string text = file_text(path);
  if (text.size() > max_bytes) {
    text = "[...]" + text.substr(text.size() - max_bytes);
  }
  return text;
}

ChildProcess::ChildProcess(ChildOptions options) : options_(std::move(options)) {
  if (options_.argv.empty()) {
    error_ = "empty argv";
    return;
  }
  const std::string executable = find_in_path(options_.argv[0]);
  if (executable.empty()) {
    error_ = options_.argv[0] + ": not found in PATH";
    return;
  }
  // Everything the child needs is built before fork().
  std::vector<char*> argv;
  for (auto& arg : options_.argv)
    argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_storage = options_.extra_env;
  std::vector<char*> envp;
  // A variable in extra_env replaces the inherited one of that name (getenv finds the first).
  auto overridden = [&](std::string_view entry) {
    const std::string_view name = entry.substr(0, entry.find('=') + 1);
    return std::any_of(env_storage.begin(), env_storage.end(),
                       [&](const std::string& e) { return e.starts_with(name); });
  };
  for (char** e = environ; e && *e; ++e)
    if (!overridden(*e)) envp.push_back(*e);
  for (auto& e : env_storage)
    envp.push_back(e.data());
  envp.push_back(nullptr);
  const std::string stdout_path =
      options_.stdout_file.empty() ? "/dev/null" : options_.stdout_file.string();
  const std::string stderr_path =
      options_.stderr_file.empty() ? "/dev/null" : options_.stderr_file.string();

  int out_pipe[2] = {-1, -1};
  if (options_.pipe_stdout && ::pipe2(out_pipe, O_CLOEXEC) != 0) {
    error_ = std::string("pipe2: ") + std::strerror(errno);
    return;
  }
  // exec() failures come back through this pipe; a successful exec closes it (O_CLOEXEC).
  int error_pipe[2] = {-1, -1};
  if (::pipe2(error_pipe, O_CLOEXEC) != 0) {
    error_ = std::string("pipe2: ") + std::strerror(errno);
    if (out_pipe[0] >= 0) {
      ::close(out_pipe[0]);
      ::close(out_pipe[1]);
    }
    return;
  }
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    exec_child(executable.c_str(), argv.data(), envp.data(), stdout_path.c_str(), out_pipe[1],
               stderr_path.c_str(), error_pipe[1], parent);
  }
  ::close(error_pipe[1]);
  if (out_pipe[1] >= 0) ::close(out_pipe[1]);
  if (pid < 0) {
    error_ = std::string("fork: ") + std::strerror(errno);
    ::close(error_pipe[0]);
    if (out_pipe[0] >= 0) ::close(out_pipe[0]);
    return;
  }
  pid_ = pid;
  stdout_pipe_ = out_pipe[0];
  int exec_errno = 0;
  ssize_t got = 0;
  do {
    got = ::read(error_pipe[0], &exec_errno, sizeof exec_errno);
  } while (got < 0 && errno == EINTR);
  ::close(error_pipe[0]);
  if (got == static_cast<ssize_t>(sizeof exec_errno)) {
    error_ = executable + ": cannot run: " + std::strerror(exec_errno);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    reap(status);
    pid_ = -1;
  }
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !status_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (stdout_pipe_ >= 0) ::close(stdout_pipe_);
}

std::string ChildProcess::command_line() const {
  std::string line;
  for (const auto& arg : options_.argv) {
    if (!line.empty()) line += ' ';
    line += arg;
  }
  return line;
}

void ChildProcess::reap(int wait_status) {
  ExitStatus status;
  if (WIFEXITED(wait_status)) {
    status.exited = true;
    status.code = WEXITSTATUS(wait_status);
  } else if (WIFSIGNALED(wait_status)) {
    status.signal = WTERMSIG(wait_status);
  }
  status_ = status;
}

bool ChildProcess::running() {
  if (pid_ <= 0 || status_) return false;
  int status = 0;
  const pid_t done = ::waitpid(pid_, &status, WNOHANG);
  if (done == pid_) {
    reap(status);
    return false;
  }
  return true;
}

std::optional<ExitStatus> ChildProcess::wait_for(Duration timeout) {
  const auto deadline = Clock::now() + timeout;
  while (running()) {
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return status_;
}

bool ChildProcess::send_signal(int signal) {
  if (!running()) return false;
  return ::kill(pid_, signal) == 0;
}

ExitStatus ChildProcess::terminate(int signal, Duration grace) {
  if (pid_ <= 0) return ExitStatus{};
  if (running()) {
    ::kill(pid_, signal);
    if (!wait_for(grace)) {
      ::kill(pid_, SIGKILL);
      (void)wait_for(std::chrono::seconds(10));
    }
  }
  return status_.value_or(ExitStatus{});
}

std::optional<std::string> ChildProcess::read_stdout_line(Duration timeout) {
  if (stdout_pipe_ < 0) return std::nullopt;
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const auto newline = stdout_buffer_.find('\n');
    if (newline != std::string::npos) {
      std::string line = stdout_buffer_.substr(0, newline);
      stdout_buffer_.erase(0, newline + 1);
      return line;
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return std::nullopt;
    pollfd fd{stdout_pipe_, POLLIN, 0};
    const int ready = ::poll(&fd, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return std::nullopt;
    char chunk[4096];
    const ssize_t got = ::read(stdout_pipe_, chunk, sizeof chunk);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return std::nullopt;  // EOF: the child closed stdout (or exited)
    stdout_buffer_.append(chunk, static_cast<std::size_t>(got));
  }
}

std::string ChildProcess::stderr_tail(std::size_t max_bytes) const {
  return options_.stderr_file.empty() ? std::string() : file_tail(options_.stderr_file, max_bytes);
}

std::string ChildProcess::stdout_tail(std::size_t max_bytes) const {
  return options_.stdout_file.empty() ? std::string() : file_tail(options_.stdout_file, max_bytes);
}

}  // namespace callcast::test
