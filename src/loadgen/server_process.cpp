#include "loadgen/server_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace callcast::loadgen {
namespace {

using Clock = std::chrono::steady_clock;

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

// Only async-signal-safe calls between fork and exec: everything is prepared before.
[[noreturn]] void exec_child(const std::vector<char*>& argv, const cpu_set_t& cpus, bool pin,
                             int stdout_fd, int log_fd, pid_t parent) {
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != parent) _exit(127);
  if (pin) sched_setaffinity(0, sizeof cpus, &cpus);
  const int null_fd = open("/dev/null", O_RDONLY);
  if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
  dup2(stdout_fd, STDOUT_FILENO);
  dup2(log_fd, STDERR_FILENO);
  execv(argv[0], argv.data());
  const char message[] = "callcast-bench: cannot exec the server\n";
  (void)!write(log_fd, message, sizeof message - 1);
  _exit(127);
}

}  // namespace

Result<std::unique_ptr<ServerProcess>, std::string> ServerProcess::start(
    const std::filesystem::path& binary, const std::vector<std::string>& args,
    const std::vector<int>& cpus, const std::filesystem::path& log_file,
    std::chrono::milliseconds ready_timeout) {
  if (access(binary.c_str(), X_OK) != 0) {
    return fail("not found or not executable: " + binary.string());
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
  for (auto& word : words)
    argv.push_back(word.data());
  argv.push_back(nullptr);
  cpu_set_t set;
  CPU_ZERO(&set);
  for (const int cpu : cpus)
    CPU_SET(static_cast<unsigned>(cpu), &set);

  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    close(log_fd);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    return fail(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) exec_child(argv, set, !cpus.empty(), pipe_fds[1], log_fd, parent);
  close(pipe_fds[1]);
  close(log_fd);
  std::unique_ptr<ServerProcess> process(new ServerProcess(pid, pipe_fds[0], log_file));

  std::string received;
  const auto deadline = Clock::now() + ready_timeout;
  while (received.find('\n') == std::string::npos) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      return fail(binary.filename().string() + " printed no ready line within " +
                  std::to_string(ready_timeout.count()) + " ms; its log:\n" + process->log_tail());
    }
    pollfd waiting{process->stdout_fd_, POLLIN, 0};
    const int ready = poll(&waiting, 1, static_cast<int>(left));
    if (ready <= 0) continue;
    char chunk[512];
    const ssize_t got = read(process->stdout_fd_, chunk, sizeof chunk);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      const std::string how = process->stop(std::chrono::seconds(2));
      return fail(binary.filename().string() + " ended before it was ready (" + how +
                  "); its log:\n" + process->log_tail());
    }
    received.append(chunk, static_cast<std::size_t>(got));
  }
  process->ready_line_ = received.substr(0, received.find('\n'));
  return process;
}

ServerProcess::~ServerProcess() {
  stop(std::chrono::seconds(5));
}

bool ServerProcess::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  return waitpid(pid_, &status, WNOHANG) == 0;
}

std::string ServerProcess::stop(std::chrono::milliseconds grace) {
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

std::string ServerProcess::log_tail(std::size_t bytes) const {
  std::ifstream in(log_file_, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  std::string all = text.str();
  if (all.size() > bytes) all.erase(0, all.size() - bytes);
  return all;
}

}  // namespace callcast::loadgen
