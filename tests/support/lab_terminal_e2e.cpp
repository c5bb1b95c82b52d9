#include "support/lab_terminal_e2e.hpp"

#include <fstream>
#include <utility>

#include "support/control_api.hpp"
#include "support/http_client.hpp"
#include "support/lab_terminals.hpp"
#include "support/media_tools.hpp"
#include "support/netns_scope.hpp"
#include "support/wait_until.hpp"

namespace callcast::test {

using namespace std::chrono_literals;

LabTerminalTest::LabTerminalTest(std::filesystem::path callcastd, std::filesystem::path callcast,
                                 std::string name)
    : callcastd_(std::move(callcastd)), callcast_(std::move(callcast)), name_(std::move(name)) {}

void LabTerminalTest::SetUp() {
  if (auto reason = NetnsLab::unavailable_reason()) {
    GTEST_SKIP() << "network namespaces unavailable here: " << *reason;
  }
  const std::string missing = missing_tools();
  ASSERT_TRUE(missing.empty()) << "tools missing: " << missing;
  dir_ = std::make_unique<TempDir>(name_);
  lab_ = std::make_unique<NetnsLab>(dir_->path());
  ASSERT_TRUE(lab_->ok()) << "cannot build the lab: " << lab_->error();
}

void LabTerminalTest::TearDown() {
  children_.clear();  // terminals first: their BYEs still find the server
  servers_.clear();
  lab_.reset();
}

ServerOptions LabTerminalTest::server_options(const std::string& role) const {
  ServerOptions options;
  options.role = role;
  options.exec_prefix = lab().in(lab().server(), {});
  // Short timeouts so that the grace and stall cases fit in a test.
  options.config_toml =
      "[media]\npublisher_grace_s = 5\n" + media_config_ + "[sip]\nmaster_join_timeout_s = 15\n";
  options.log_level = "debug";
  if (role != "media") {
    options.users = {{kMaster, kPassword},
                     {kViewer, kPassword},
                     {kNattedViewer, kPassword},
                     {kLateViewer, kPassword}};
    // Every interface: the URLs and SDP handed out must still name the server's address.
    options.sip = listen_host_ + ":" + std::to_string(kSipPort);
  }
  if (role != "signaling") {
    options.rtsp = listen_host_ + ":" + std::to_string(kRtspPort);
    options.rtp_ports = "8000-8001";
  }
  const std::uint16_t http = role == "signaling" ? kSignalingHttpPort : kMediaHttpPort;
  options.http = "0.0.0.0:" + std::to_string(http);
  if (role == "signaling") {
    options.extra_args = {"--media-url", "http://127.0.0.1:" + std::to_string(kMediaHttpPort)};
  }
  return options;
}

CallcastServer& LabTerminalTest::start_server(const std::string& role, const std::string& name) {
  const auto where = dir() / name;
  std::filesystem::create_directories(where);
  // The signaling role keeps its users and rules across a restart: the same directory.
  servers_.push_back(std::make_unique<CallcastServer>(callcastd_, where, server_options(role)));
  auto started = servers_.back()->start();
  EXPECT_TRUE(started);
  return *servers_.back();
}

std::string LabTerminalTest::sip_server() const {
  return lab().server().address + ":" + std::to_string(kSipPort);
}

ChildProcess& LabTerminalTest::spawn(ChildOptions options) {
  children_.push_back(std::make_unique<ChildProcess>(std::move(options)));
  EXPECT_TRUE(children_.back()->started()) << children_.back()->error();
  return *children_.back();
}

ChildOptions LabTerminalTest::terminal(const LabHost& host, std::vector<std::string> argv,
                                       const std::string& name) const {
  ChildOptions child;
  child.argv = lab().in(host, std::move(argv));
  child.stdout_file = dir() / (name + ".out");
  child.stderr_file = dir() / (name + ".err");
  return child;
}

std::vector<std::string> LabTerminalTest::account(const std::string& number,
                                                  const std::string& name) const {
  return {"--number",     number,
          "--password",   kPassword,
          "--server",     sip_server(),
          "--log-level",  "info",
          "--stats-json", (dir() / (name + ".stats.json")).string()};
}

ChildProcess& LabTerminalTest::broadcast(std::vector<std::string> extra) {
  std::vector<std::string> argv = {callcast_.string(), "broadcast"};
  for (auto& flag : account(kMaster, "broadcast"))
    argv.push_back(std::move(flag));
  for (const char* flag :
       {"--size", "640x360", "--fps", "25", "--bitrate", "1M", "--keyframe-interval", "1"}) {
    argv.emplace_back(flag);
  }
  for (auto& flag : extra)
    argv.push_back(std::move(flag));
  return spawn(terminal(lab().broadcaster(), std::move(argv), "broadcast"));
}

ChildProcess& LabTerminalTest::watch(const LabHost& host, const std::string& viewer,
                                     std::vector<std::string> extra) {
  const std::string name = "watch-" + viewer;
  std::vector<std::string> argv = {callcast_.string(), "watch", kMaster};
  for (auto& flag : account(viewer, name))
    argv.push_back(std::move(flag));
  for (auto& flag : extra)
    argv.push_back(std::move(flag));
  return spawn(terminal(host, std::move(argv), name));
}

ChildProcess& LabTerminalTest::start_live_broadcast(std::vector<std::string> extra) {
  ChildProcess& master = broadcast(std::move(extra));
  EXPECT_TRUE(wait_for_output(master, "step 707", 30s));
  EXPECT_TRUE(wait_for_output(master, "now forward to the service number", 10s));
  return master;
}

std::string LabTerminalTest::output(const ChildProcess& child) {
  return LabTerminals::output(child);
}

::testing::AssertionResult LabTerminalTest::wait_for_output(ChildProcess& child,
                                                            const std::string& text,
                                                            std::chrono::milliseconds timeout) {
  return LabTerminals::wait_for_output(child, text, timeout);
}

std::optional<ExitStatus> LabTerminalTest::wait_exit(ChildProcess& child,
                                                     std::chrono::milliseconds timeout) {
  auto status = child.wait_for(timeout);
  if (!status) ADD_FAILURE() << child.command_line() << " still running:\n" << output(child);
  return status;
}

std::optional<nlohmann::json> LabTerminalTest::stats(const std::string& name) const {
  std::ifstream in(dir() / (name + ".stats.json"));
  if (!in) return std::nullopt;
  auto parsed = nlohmann::json::parse(in, nullptr, false);
  if (parsed.is_discarded()) return std::nullopt;
  return parsed;
}

std::optional<nlohmann::json> LabTerminalTest::group_snapshot() const {
  NetnsScope inside(lab().server().netns);
  if (!inside.ok()) return std::nullopt;
  return ControlApi(HttpClient("127.0.0.1", kMediaHttpPort)).group(kMaster);
}

int LabTerminalTest::group_status() const {
  NetnsScope inside(lab().server().netns);
  if (!inside.ok()) return 0;
  return HttpClient("127.0.0.1", kMediaHttpPort).get(std::string("/v1/groups/") + kMaster).status;
}

void LabTerminalTest::expect_recording_decodes(const std::filesystem::path& file,
                                               double min_seconds, const ChildProcess& viewer) {
  SCOPED_TRACE(file.filename().string());
  const DecodedMedia decoded = decode_file(file, dir());
  const auto explain = [&] {
    const auto figures = stats(viewer.options().stdout_file.stem().string());
    return decoded.describe() +
           "\nthe viewer's figures: " + (figures ? figures->dump() : std::string("none")) +
           "\nits output:\n" + output(viewer);
  };
  ASSERT_TRUE(decoded.error.empty()) << decoded.error << "\n" << explain();
  EXPECT_GE(decoded.video_frames, min_seconds * kPublishFps * 0.9) << explain();
  EXPECT_GT(decoded.audio_frames, 0) << explain();
}

}  // namespace callcast::test
