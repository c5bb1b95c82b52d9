#pragma once
// The end-to-end fixture of the terminal out of the lab (issue 10, DESIGN.md §9): callcastd on
// the lab's server host (network namespaces, support/netns_lab.hpp) with users for a master and
// three viewers, `callcast broadcast` on the broadcaster's host and `callcast watch` on a viewer
// host, each with its output and --stats-json figures in the test's directory. Terminals end
// before the servers (their BYEs still find them), then the lab with anything left inside.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "support/callcast_server.hpp"
#include "support/child_process.hpp"
#include "support/netns_lab.hpp"
#include "support/temp_dir.hpp"

namespace callcast::test {

class LabTerminalTest : public ::testing::Test {
 protected:
  static constexpr const char* kMaster = "13800000001";
  static constexpr const char* kViewer = "13900000002";
  static constexpr const char* kNattedViewer = "13900000003";
  static constexpr const char* kLateViewer = "13900000004";
  static constexpr const char* kPassword = "secret-pass";
  // Own namespaces: the defaults are free, and a restarted role comes back on the same ports.
  static constexpr std::uint16_t kSipPort = 5060;
  static constexpr std::uint16_t kRtspPort = 8554;
  static constexpr std::uint16_t kMediaHttpPort = 8080;
  static constexpr std::uint16_t kSignalingHttpPort = 8081;

  // The binaries under test (the test targets define CALLCASTD_PATH and CALLCAST_PATH); `name`
  // names the scratch directory.
  LabTerminalTest(std::filesystem::path callcastd, std::filesystem::path callcast,
                  std::string name);

  // Skips where namespaces are unavailable; builds the lab (fatal failure when it cannot).
  void SetUp() override;
  void TearDown() override;

  const NetnsLab& lab() const { return *lab_; }
  const std::filesystem::path& dir() const { return dir_->path(); }

  // Lines added to the config's [media] table of the servers started from now on, e.g.
  // "rtx_window_ms = 0\n".
  std::string media_config_;
  // Where RTSP (with the media UDP ports) and SIP of the servers started from now on listen:
  // every interface, or the server host's own address. HTTP stays on every interface (the tests
  // read the admin API over the server host's loopback).
  std::string listen_host_ = "0.0.0.0";

  // callcastd (`role`: "all", "media" or "signaling") on the server host, listening on every
  // interface at the fixed ports; `name` keeps the logs of several apart.
  CallcastServer& start_server(const std::string& role = "all", const std::string& name = "srv");

  ChildProcess& spawn(ChildOptions options);
  // `callcast broadcast` on the broadcaster's host: 640x360@25, 1 Mbit/s, a keyframe a second.
  ChildProcess& broadcast(std::vector<std::string> extra = {});
  // `callcast watch kMaster` as `viewer` on `host`, plus `extra` flags.
  ChildProcess& watch(const LabHost& host, const std::string& viewer,
                      std::vector<std::string> extra = {});
  // A broadcast from the broadcaster's host, live with its forwarding set.
  ChildProcess& start_live_broadcast(std::vector<std::string> extra = {});

  static std::string output(const ChildProcess& child);
  ::testing::AssertionResult wait_for_output(ChildProcess& child, const std::string& text,
                                             std::chrono::milliseconds timeout);
  std::optional<ExitStatus> wait_exit(ChildProcess& child, std::chrono::milliseconds timeout);
  // The --stats-json figures of the terminal started as `name` ("watch-<viewer>", "broadcast").
  std::optional<nlohmann::json> stats(const std::string& name) const;

  // The media role's view of the group, asked from the server host itself (its admin API
  // answers loopback clients).
  std::optional<nlohmann::json> group_snapshot() const;
  // 200 while the media role has the group, 404 once it is gone.
  int group_status() const;

  // `viewer` recorded `file`: its log and figures explain a recording that falls short.
  void expect_recording_decodes(const std::filesystem::path& file, double min_seconds,
                                const ChildProcess& viewer);

  // host:port of the SIP of the server host.
  std::string sip_server() const;

 private:
  ServerOptions server_options(const std::string& role) const;
  ChildOptions terminal(const LabHost& host, std::vector<std::string> argv,
                        const std::string& name) const;
  std::vector<std::string> account(const std::string& number, const std::string& name) const;

  std::filesystem::path callcastd_;
  std::filesystem::path callcast_;
  std::string name_;
  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<NetnsLab> lab_;
  std::vector<std::unique_ptr<CallcastServer>> servers_;
  std::vector<std::unique_ptr<ChildProcess>> children_;
};

}  // namespace callcast::test
