#include "callcastd_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace callcast::bench {
namespace {

using Clock = std::chrono::steady_clock;

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

// Only async-signal-safe calls between fork and exec: everything is prepared before.
[[noreturn]] void exec_child(const std::vector<char*>& argv, int stdout_fd, int log_fd,
                             pid_t parent) {
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != parent) _exit(127);  // the parent died before prctl took effect
  const int null_fd = open("/dev/null", O_RDONLY);
  if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
  dup2(stdout_fd, STDOUT_FILENO);
  dup2(log_fd, STDERR_FILENO);
  execv(argv[0], argv.data());
  const char message[] = "callcast-bench: cannot exec callcastd\n";
  (void)!write(log_fd, message, sizeof message - 1);
  _exit(127);
}

}  // namespace

Result<CallcastdEndpoints, std::string> parse_ready_line(const std::string& line) {
  std::istringstream words(line);
  std::string word;
  words >> word;
  if (word != "callcastd") return fail("not a ready line: " + line);
  words >> word;
  if (word != "ready") return fail("not a ready line: " + line);
  CallcastdEndpoints endpoints;
  bool have_http = false;
  bool have_sip = false;
  while (words >> word) {
    const auto equals = word.find('=');
    if (equals == std::string::npos) continue;
    const std::string key = word.substr(0, equals);
    core::HostPort* target = key == "rtsp"   ? &endpoints.rtsp
                             : key == "http" ? &endpoints.http
                             : key == "sip"  ? &endpoints.sip
                                             : nullptr;
    if (target == nullptr) continue;  // rtp= and fields of later versions
    auto parsed = core::parse_host_port(word.substr(equals + 1));
    if (!parsed) return fail("ready line field " + word + ": " + parsed.error());
    *target = *parsed;
    have_http = have_http || key == "http";
    have_sip = have_sip || key == "sip";
  }
  if (!have_http || !have_sip) return fail("ready line without http= or sip=: " + line);
  return endpoints;
}

Result<std::unique_ptr<CallcastdProcess>, std::string> CallcastdProcess::start(
    const std::filesystem::path& binary, const std::vector<std::string>& args,
    const std::filesystem::path& log_file, std::chrono::milliseconds ready_timeout) {
  if (access(binary.c_str(), X_OK) != 0) {
    return fail("callcastd not found or not executable: " + binary.string() +
                " (build it, or name it with --callcastd)");
  }
  const int log_fd = open(log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (log_fd < 0) return fail("cannot create " + log_file.string() + ": " + std::strerror(errno));
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    close(log_fd);
    return fail(std::string("pipe: ") + std::strerror(errno));
  }
  std::vector<std::string> words = {binary.string()};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& word : words) {
    argv.push_back(word.data());
  }
  argv.push_back(nullptr);

  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    close(log_fd);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    return fail(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) exec_child(argv, pipe_fds[1], log_fd, parent);
  close(pipe_fds[1]);
  close(log_fd);
  std::unique_ptr<CallcastdProcess> process(new CallcastdProcess(pid, pipe_fds[0], log_file));

  // The ready line, or EOF (callcastd failed: its log says why), or the timeout.
  std::string received;
  const auto deadline = Clock::now() + ready_timeout;
  while (received.find('\n') == std::string::npos) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      return fail("callcastd printed no ready line within " +
                  std::to_string(ready_timeout.count()) + " ms; its log:\n" + process->log_tail());
    }
    pollfd waiting{process->stdout_fd_, POLLIN, 0};
    const int ready = poll(&waiting, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    char chunk[512];
    const ssize_t got = read(process->stdout_fd_, chunk, sizeof chunk);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      const std::string how = process->stop(std::chrono::seconds(2));
      return fail("callcastd ended before it was ready (" + how + "); its log:\n" +
                  process->log_tail());
    }
    received.append(chunk, static_cast<std::size_t>(got));
  }
  auto endpoints = parse_ready_line(received.substr(0, received.find('\n')));
  if (!endpoints) return fail(endpoints.error());
  process->endpoints_ = *endpoints;
  return process;
}

CallcastdProcess::~CallcastdProcess() {
  stop(std::chrono::seconds(5));
}

std::string CallcastdProcess::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return "already stopped";
  kill(pid_, SIGTERM);
  int status = 0;
  std::string how;
  const auto deadline = Clock::now() + grace;
  for (;;) {
    const pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      how = describe_status(status);
      break;
    }
    if (done < 0 && errno != EINTR) {
      how = std::string("waitpid: ") + std::strerror(errno);
      break;
    }
    if (Clock::now() >= deadline) {
      kill(pid_, SIGKILL);
      while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
      how = describe_status(status) + " after SIGTERM timed out";
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  pid_ = -1;
  if (stdout_fd_ >= 0) close(stdout_fd_);
  stdout_fd_ = -1;
  return how;
}

std::string CallcastdProcess::log_tail(std::size_t bytes) const {
  std::ifstream in(log_file_, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  std::string all = text.str();
  if (all.size() > bytes) all.erase(0, all.size() - bytes);
  return all;
}

}  // namespace callcast::bench
