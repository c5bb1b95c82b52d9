// What a user reads when something fails (issue 10, item 8): every row of the README's terminal
// error table ("The terminal: `callcast`") is run against the real `callcast` and callcastd, and
// the terminal's stderr must be exactly that row's line, nothing before or after it (no sofia-sip
// line, no GStreamer line, no log line: the terminal runs with its default --log-level).
//
// The table is read from README.md itself, so the two cannot drift: a row without a scenario
// here, or a scenario without a row, fails the suite. In a row's line `...` stands for what
// varies (ports, URLs with tokens, the server's own words).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "support/terminal_e2e.hpp"
#include "support/wait_until.hpp"

namespace callcast::test {
namespace {

using namespace std::chrono_literals;

struct ErrorRow {
  std::string what;  // first column: the case
  std::string line;  // second column: the first `...` span, what stderr must hold
};

// gtest prints a parameter with this, not as bytes.
void PrintTo(const ErrorRow& row, std::ostream* out) {
  *out << row.what;
}

// The rows of the table headed "| what happened | the line |" in README.md.
std::vector<ErrorRow> readme_error_rows() {
  std::ifstream in(CALLCAST_README);
  std::vector<ErrorRow> rows;
  std::string text;
  bool in_table = false;
  while (std::getline(in, text)) {
    if (text.starts_with("| what happened | the line |")) {
      in_table = true;
      continue;
    }
    if (!in_table) continue;
    if (!text.starts_with("|")) break;
    if (text.starts_with("|---")) continue;
    const auto second = text.find(" | ");
    const auto open = text.find('`', second);
    const auto close = open == std::string::npos ? open : text.find('`', open + 1);
    if (second == std::string::npos || close == std::string::npos) continue;
    rows.push_back({text.substr(2, second - 2), text.substr(open + 1, close - open - 1)});
  }
  return rows;
}

// `pattern` with each "..." matching any text (at least one character), the rest literally.
bool matches(std::string_view pattern, std::string_view text) {
  const auto star = pattern.find("...");
  if (star == std::string_view::npos) return pattern == text;
  if (text.substr(0, star) != pattern.substr(0, star)) return false;
  const std::string_view rest = pattern.substr(star + 3);
  for (std::size_t skip = star + 1; skip <= text.size(); ++skip) {
    if (matches(rest, text.substr(skip))) return true;
  }
  return false;
}

TEST(ReadmeErrorTable, WildcardsMatchWhatVariesOnly) {
  EXPECT_TRUE(matches("error: a (1)", "error: a (1)"));
  EXPECT_FALSE(matches("error: a (1)", "error: a (2)"));
  EXPECT_TRUE(matches("error: x ... y", "error: x 127.0.0.1:5 y"));
  EXPECT_FALSE(matches("error: x ... y", "error: x  y"));
  EXPECT_TRUE(matches("a ... b ... c", "a 1 b 2 c"));
  EXPECT_FALSE(matches("a ... b", "a 1 b\nmore"));
}

// A port on 127.0.0.1 that nothing listens on (UDP), found by binding and releasing it.
std::uint16_t unused_udp_port() {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

// A UDP socket that receives and never answers: a SIP server that is there but silent.
class SilentServer {
 public:
  SilentServer() : fd_(socket(AF_INET, SOCK_DGRAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t length = sizeof address;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }
  ~SilentServer() { close(fd_); }
  SilentServer(const SilentServer&) = delete;
  SilentServer& operator=(const SilentServer&) = delete;
  std::uint16_t port() const { return port_; }

 private:
  int fd_;
  std::uint16_t port_ = 0;
};

// A directory holding every GStreamer plugin of the system but the one named: what a machine
// without that package looks like to GStreamer (GST_PLUGIN_SYSTEM_PATH_1_0 points there).
std::filesystem::path plugins_without(const std::filesystem::path& dir, const std::string& file) {
  const std::filesystem::path system = "/usr/lib/x86_64-linux-gnu/gstreamer-1.0";
  const auto plugins = dir / "gst-plugins";
  std::filesystem::create_directories(plugins);
  for (const auto& entry : std::filesystem::directory_iterator(system)) {
    if (entry.path().filename() == file || entry.path().extension() != ".so") continue;
    std::filesystem::create_symlink(entry.path(), plugins / entry.path().filename());
  }
  return plugins;
}

class TerminalErrorsTest : public TerminalE2eTest, public ::testing::WithParamInterface<ErrorRow> {
 protected:
  TerminalErrorsTest() : TerminalE2eTest(CALLCASTD_PATH, CALLCAST_PATH) {}

  // One group at most, so that a second broadcaster finds the media side full; for the refused
  // media connection, RTSP URLs that name an address where nothing listens.
  std::string extra_config() const override { return "[media]\nmax_groups = 1\n"; }
  ServerOptions server_options() const override {
    ServerOptions options = TerminalE2eTest::server_options();
    if (GetParam().what == "the RTSP server refuses the media connection") {
      options.extra_args = {"--public-host", "127.0.0.2"};
    }
    return options;
  }

  std::string server_address() {
    return "127.0.0.1:" + std::to_string(signaling_server().sip_port());
  }

  // `callcast ...` as a user runs it: no --log-level, so stderr holds only what a user reads.
  ChildProcess& run(std::vector<std::string> args, const std::string& name,
                    std::vector<std::string> env = {}) {
    std::vector<std::string> argv = {CALLCAST_PATH};
    argv.insert(argv.end(), args.begin(), args.end());
    ChildOptions child = terminal_child(std::move(argv), name);
    child.extra_env = std::move(env);
    return spawn(std::move(child));
  }
  ChildProcess& run_watch(const std::string& target, const std::string& viewer,
                          const std::string& server, const std::string& password = kPassword) {
    return run({"watch", target, "--number", viewer, "--password", password, "--server", server},
               "watch-" + viewer);
  }
  ChildProcess& run_broadcast(const std::string& master, std::vector<std::string> extra = {},
                              std::vector<std::string> env = {}) {
    std::vector<std::string> args = {"broadcast", "--number",  master,           "--password",
                                     kPassword,   "--server",  server_address(), "--size",
                                     kTestSize,   "--bitrate", kTestBitrate,     "--no-forwarding"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run(std::move(args), "broadcast-" + master + "-" + std::to_string(++runs_),
               std::move(env));
  }

  // A broadcaster that is live (fails the test otherwise), with the usual log lines.
  ChildProcess& live_broadcaster(const std::string& master) { return start_live_broadcast(master); }

  // SIGKILL of callcastd (no goodbye on SIP or RTSP: as a crash), and a new one on the same
  // addresses when `restart`.
  void crash_server(bool restart) {
    signaling_server().keep_addresses();
    ASSERT_EQ(::kill(signaling_server().pid(), SIGKILL), 0);
    signaling_server().stop();  // reaps it
    if (restart) {
      ASSERT_TRUE(signaling_server().start());
    }
  }

  int runs_ = 0;

 public:
  // What each row of the table does to make the terminal print its line; the terminal it
  // returns is the one whose stderr is judged. Keyed by the row's first column.
  using Scenario = std::function<ChildProcess&(TerminalErrorsTest&)>;
  static const std::map<std::string, Scenario>& scenarios();
};

const std::map<std::string, TerminalErrorsTest::Scenario>& TerminalErrorsTest::scenarios() {
  static const std::map<std::string, Scenario> all = {
      {"wrong password or unknown user",
       [](TerminalErrorsTest& t) -> ChildProcess& {
         return t.run_watch(kMaster, kViewer, t.server_address(), "not-the-password");
       }},
      {"nothing listens at the SIP server's address, or no route to it",
       [](TerminalErrorsTest& t) -> ChildProcess& {
         return t.run_watch(kMaster, kViewer, "127.0.0.1:" + std::to_string(unused_udp_port()));
       }},
      {"the SIP server does not answer",
       [](TerminalErrorsTest& t) -> ChildProcess& {
         static SilentServer silent;  // outlives the terminal; one per test process
         return t.run_watch(kMaster, kViewer, "127.0.0.1:" + std::to_string(silent.port()));
       }},
      {"calling a number that is not broadcasting",
       [](TerminalErrorsTest& t) -> ChildProcess& {
         return t.run_watch(kOther, kViewer, t.server_address());
       }},
      {"calling a number the server does not know",
       [](TerminalErrorsTest& t) -> ChildProcess& {
         return t.run_watch("13600000009", kViewer, t.server_address());
       }},
      {"a second broadcast from the same number",
       [](TerminalErrorsTest& t) -> ChildProcess& {
         t.live_broadcaster(kMaster);
         return t.run_broadcast(kMaster);
       }},
      {"the media side is overloaded",
       [](TerminalErrorsTest& t) -> ChildProcess& {
         t.live_broadcaster(kViewer);  // the one group max_groups allows
         return t.run_broadcast(kMaster);
       }},
      {"the RTSP server refuses the media connection",
       [](TerminalErrorsTest& t) -> ChildProcess& { return t.run_broadcast(kMaster); }},
      {"the media connection is lost and does not come back in time",
       [](TerminalErrorsTest& t) -> ChildProcess& {
         ChildProcess& master = t.run_broadcast(kMaster);
         EXPECT_TRUE(t.wait_for_output(master, "step 707", 20s));
         EXPECT_TRUE(t.api().wait_until_live(kMaster, 10s));
         t.crash_server(false);
         // It tries for 5 s against a closed port, then gives up; the server comes back after.
         EXPECT_TRUE(wait_until([&] { return !master.running(); }, 20s));
         EXPECT_TRUE(t.signaling_server().start());
         return master;
       }},
      {"the streaming server no longer takes the group (restarted, group closed)",
       [](TerminalErrorsTest& t) -> ChildProcess& {
         ChildProcess& master = t.run_broadcast(kMaster);
         EXPECT_TRUE(t.wait_for_output(master, "step 707", 20s));
         EXPECT_TRUE(t.api().wait_until_live(kMaster, 10s));
         t.crash_server(true);  // back within the grace, but without the group
         return master;
       }},
      {"`callcast watch 777` (the service number)",
       [](TerminalErrorsTest& t) -> ChildProcess& {
         return t.run_watch(kServiceNumber, kViewer, t.server_address());
       }},
      {"a viewer's stream breaks and no BYE says why (the server is gone)",
       [](TerminalErrorsTest& t) -> ChildProcess& {
         t.live_broadcaster(kMaster);
         ChildProcess& viewer = t.run_watch(kMaster, kViewer, t.server_address());
         EXPECT_TRUE(wait_until(
             [&] { return t.output(viewer).find("step 714: first frame") != std::string::npos; },
             20s));
         t.crash_server(false);  // SIP and RTSP gone at once: nobody sends the BYE
         EXPECT_TRUE(wait_until([&] { return !viewer.running(); }, 20s));
         EXPECT_TRUE(t.signaling_server().start());
         return viewer;
       }},
      {"a source that does not exist (no call is made)",
       [](TerminalErrorsTest& t) -> ChildProcess& {
         return t.run_broadcast(kMaster, {"--source", "file:/path/clip.mp4"});
       }},
      {"a GStreamer plugin is missing",
       [](TerminalErrorsTest& t) -> ChildProcess& {
         const auto plugins = plugins_without(t.dir(), "libgstx264.so");
         return t.run_broadcast(
             kMaster, {},
             {"GST_PLUGIN_SYSTEM_PATH_1_0=" + plugins.string(),
              "GST_PLUGIN_PATH_1_0=", "GST_REGISTRY_1_0=" + (t.dir() / "registry.bin").string()});
       }},
  };
  return all;
}

TEST(ReadmeErrorTable, EveryRowHasAScenarioAndEveryScenarioARow) {
  const auto rows = readme_error_rows();
  ASSERT_FALSE(rows.empty()) << "no error table in " << CALLCAST_README;
  std::map<std::string, int> seen;
  for (const auto& row : rows) {
    EXPECT_TRUE(TerminalErrorsTest::scenarios().contains(row.what))
        << "README row without a test: " << row.what;
    EXPECT_TRUE(row.line.starts_with("error: ")) << row.line;
    ++seen[row.what];
  }
  for (const auto& [what, scenario] : TerminalErrorsTest::scenarios()) {
    EXPECT_EQ(seen[what], 1) << "scenario without exactly one README row: " << what;
  }
}

TEST_P(TerminalErrorsTest, StderrIsExactlyTheReadmeLine) {
  const ErrorRow& row = GetParam();
  const auto scenario = scenarios().find(row.what);
  ASSERT_NE(scenario, scenarios().end()) << "no scenario for: " << row.what;
  ChildProcess& terminal = scenario->second(*this);
  const auto status = wait_exit(terminal, 40s);
  ASSERT_TRUE(status);
  EXPECT_TRUE(status->exited && status->code == 1) << status->describe();
  const std::string err = terminal.stderr_tail(64 * 1024);
  std::printf("[measured] %s: %s", row.what.c_str(), err.c_str());
  ASSERT_FALSE(err.empty()) << "nothing on stderr; stdout:\n" << output(terminal);
  EXPECT_EQ(err.back(), '\n');
  const std::string line = err.substr(0, err.size() - 1);
  EXPECT_TRUE(matches(row.line, line)) << "stderr:\n"
                                       << err << "README:\n"
                                       << row.line << "\nstdout:\n"
                                       << output(terminal);
}

std::string row_name(const ::testing::TestParamInfo<ErrorRow>& info) {
  std::string name;
  bool upper = true;
  for (const char c : info.param.what) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0) {
      upper = true;
      continue;
    }
    name += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Readme, TerminalErrorsTest, ::testing::ValuesIn(readme_error_rows()),
                         row_name);

}  // namespace
}  // namespace callcast::test
