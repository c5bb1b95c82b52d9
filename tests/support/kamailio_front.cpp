#include "support/kamailio_front.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "support/wait_until.hpp"

namespace callcast::test {

namespace {

using namespace std::chrono_literals;

constexpr auto kRpcTimeout = 5s;

bool installed(const char* tool) {
  const std::string command = std::string("command -v ") + tool + " >/dev/null 2>&1";
  return std::system(command.c_str()) == 0;
}

std::string trimmed(std::string text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string::npos) return {};
  const auto last = text.find_last_not_of(" \t\r");
  return text.substr(first, last - first + 1);
}

}  // namespace

std::optional<std::string> KamailioFront::unavailable_reason() {
  // kamailio and kamcmd live in /usr/sbin, which is not always in a test's PATH.
  for (const char* tool : {"/usr/sbin/kamailio", "/usr/sbin/kamcmd"}) {
    if (!installed(tool)) return std::string(tool) + " is not installed (Debian package kamailio)";
  }
  return std::nullopt;
}

KamailioFront::KamailioFront(std::filesystem::path dir, KamailioFrontOptions options)
    : dir_(std::move(dir)), options_(std::move(options)), log_path_(dir_ / "kamailio.log") {}

KamailioFront::~KamailioFront() {
  if (!process_) return;
  const ExitStatus status = stop();
  if (::testing::Test::HasFailure()) {
    std::fprintf(stderr, "[e2e] kamailio ended: %s; its log (%s):\n%s\n[e2e] end of kamailio log\n",
                 status.describe().c_str(), log_path_.c_str(), log_tail().c_str());
  }
}

::testing::AssertionResult KamailioFront::start() {
  std::filesystem::create_directories(dir_);
  ChildOptions child;
  child.argv = options_.exec_prefix;
  for (const std::string& arg :
       {options_.script.string(), std::string("--listen"), options_.listen, std::string("--port"),
        std::to_string(options_.port), std::string("--service-number"), options_.service_number,
        std::string("--ping-interval"), std::to_string(options_.ping_interval_s),
        std::string("--dir"), dir_.string()}) {
    child.argv.push_back(arg);
  }
  for (const std::string& node : options_.nodes) {
    child.argv.emplace_back("--node");
    child.argv.push_back(node);
  }
  child.stdout_file = dir_ / "kamailio.out";
  child.stderr_file = log_path_;
  process_ = std::make_unique<ChildProcess>(std::move(child));
  if (!process_->started()) {
    return ::testing::AssertionFailure() << "cannot start kamailio: " << process_->error();
  }
  const bool answers = wait_until(
      [&] { return !process_->running() || node_flags().size() == options_.nodes.size(); }, 10s,
      100ms);
  if (!answers || !process_->running()) {
    return ::testing::AssertionFailure()
           << "kamailio did not answer on its control socket with " << options_.nodes.size()
           << " nodes (" << (process_->running() ? "still running" : process_->status()->describe())
           << "); command: " << process_->command_line() << "\nlog:\n"
           << log_tail();
  }
  return ::testing::AssertionSuccess();
}

ExitStatus KamailioFront::stop() {
  if (!process_) return {};
  return process_->terminate(SIGTERM, 5s);
}

std::optional<std::string> KamailioFront::rpc(const std::vector<std::string>& command) const {
  ChildOptions child;
  child.argv = {"/usr/sbin/kamcmd", "-s", "unix:" + (dir_ / "kamailio_ctl").string()};
  child.argv.insert(child.argv.end(), command.begin(), command.end());
  child.stdout_file = dir_ / "kamcmd.out";
  child.stderr_file = dir_ / "kamcmd.err";
  ChildProcess kamcmd(child);
  if (!kamcmd.started()) return std::nullopt;
  const auto status = kamcmd.wait_for(kRpcTimeout);
  if (!status || !status->success()) return std::nullopt;
  return file_text(child.stdout_file);
}

std::map<std::string, std::string> KamailioFront::node_flags() const {
  std::map<std::string, std::string> flags;
  const auto listing = rpc({"dispatcher.list"});
  if (!listing) return flags;
  std::istringstream lines(*listing);
  std::string line;
  std::string uri;
  while (std::getline(lines, line)) {
    line = trimmed(line);
    if (line.rfind("URI: ", 0) == 0) uri = line.substr(5);
    if (line.rfind("FLAGS: ", 0) == 0 && !uri.empty()) {
      flags[uri] = line.substr(7);
      uri.clear();
    }
  }
  return flags;
}

std::optional<int> KamailioFront::hash_slot(const std::string& key, std::size_t nodes) const {
  // "s:" makes kamcmd send the number as a string, not an integer.
  const auto answer = rpc({"dispatcher.hash", std::to_string(nodes), "s:" + key});
  if (!answer) return std::nullopt;
  const auto at = answer->find("slot:");
  if (at == std::string::npos) return std::nullopt;
  try {
    return std::stoi(answer->substr(at + 5));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::vector<std::string> KamailioFront::dispatched_nodes(const std::string& method,
                                                         const std::string& key) const {
  std::vector<std::string> nodes;
  const std::string needle = "callcast: dispatch " + method + " key=" + key + " node=";
  std::istringstream lines(file_text(log_path_));
  std::string line;
  while (std::getline(lines, line)) {
    const auto at = line.find(needle);
    if (at == std::string::npos) continue;
    const std::string rest = line.substr(at + needle.size());
    nodes.push_back(rest.substr(0, rest.find(' ')));
  }
  return nodes;
}

std::string KamailioFront::log_tail(std::size_t max_bytes) const {
  return file_tail(log_path_, max_bytes);
}

bool KamailioFront::wait_for_log(const std::string& text, std::chrono::milliseconds timeout) const {
  return wait_until([&] { return file_tail(log_path_, 1 << 24).find(text) != std::string::npos; },
                    timeout, 50ms);
}

}  // namespace callcast::test
