#pragma once
// `callcast-bench sip`: the load test of callcastd's network side (issue 3). N masters call the
// service number and publish over RTSP (steps 701-707), their forwarding is set to the service
// number through the Ut API (708), then M viewers call each master (710-713). Each phase prints
// one JSON line (set-ups per second, INVITE-to-200 latency, the server's CPU and memory); then
// every call is hung up and the server must be left with no group and no dialog.
//
// With --churn-rounds R the whole of it (calls up, calls down, server clean) runs R times against
// the same callcastd, and the server's memory after each round is the figure (churn_report.hpp).
//
// Users: master i is 1380NNNNNNN, viewer j is 1390NNNNNNN (N = i or j + 1, 7 digits); viewer j
// calls every master, so the run needs N + M user agents (one per user, each on its own port and
// thread) for N * M viewer calls.
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <memory>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/result.hpp"
#include "loadgen/bench_call.hpp"
#include "loadgen/call_phase.hpp"
#include "loadgen/callcastd_process.hpp"
#include "loadgen/phase_result.hpp"
#include "loadgen/rtsp_publisher.hpp"
#include "loadgen/scratch_dir.hpp"
#include "loadgen/sip_bench_options.hpp"
#include "sipua/user_agent.hpp"

namespace callcast::loadgen {

class SipBench {
 public:
  explicit SipBench(SipBenchOptions options);
  ~SipBench();
  SipBench(const SipBench&) = delete;
  SipBench& operator=(const SipBench&) = delete;

  // 0: every call answered and the server clean afterwards; 1: not; 2: the run could not start
  // (no server, no user agents).
  int run();

 private:
  struct CleanCheck {
    bool clean = false;
    std::size_t groups_left = 0;
    std::size_t calls_left = 0;
    std::string detail;  // what was still there, or why it could not be asked
  };
  // One round: every master calls, its forwarding is set, every viewer calls every master, then
  // everything is hung up and the server must be left clean.
  struct Round {
    PhaseResult masters;
    PhaseResult viewers;
    std::size_t byes_sent = 0;
    std::size_t dropped = 0;
    std::size_t not_ended = 0;
    std::vector<std::string> stuck;
    CleanCheck clean;
    std::string setup_error;
    std::size_t planned = 0;
    std::size_t ok() const { return masters.ok + viewers.ok; }
    bool passed() const { return ok() == planned && clean.clean && dropped == 0 && not_ended == 0; }
  };

  Result<bool, std::string> prepare_server();
  Result<bool, std::string> parse_cluster_options();
  Result<bool, std::string> write_users(const std::filesystem::path& file);
  Result<bool, std::string> start_agents();
  Round run_round(bool print_phases);
  int run_once();
  int run_churn();
  void run_phase(CallPhase& phase, const std::vector<CallSpec>& specs, PhaseResult& result,
                 bool print);
  Result<bool, std::string> set_forwarding(const std::vector<std::string>& masters);
  void start_publisher(BenchCall& call, const std::string& sdp);
  void close_publishers();
  CleanCheck wait_clean(std::chrono::milliseconds timeout);
  void stop_agents();
  // The server's RSS once it has been idle for `idle` and then stopped changing (boundedly).
  std::optional<std::uint64_t> settled_server_rss(std::chrono::seconds idle);

  void emit(const nlohmann::ordered_json& line);  // one JSON line on stdout
  void say(const std::string& text);              // human-readable, unless json_only

  std::string master_number(std::size_t i) const;
  std::string viewer_number(std::size_t j) const;

  SipBenchOptions options_;
  std::string transport_name_;
  std::optional<ScratchDir> scratch_;
  std::unique_ptr<CallcastdProcess> server_;
  core::HostPort sip_address_;
  core::HostPort http_address_;
  int server_pid_ = 0;  // 0: no CPU/RSS figures
  // --watch-pid: name -> the processes whose CPU is summed under it.
  std::vector<std::pair<std::string, std::vector<pid_t>>> watched_;
  std::vector<core::HostPort> also_clean_;  // --also-clean: the other signaling nodes
  bool left_unclean_ = false;  // some round left groups or dialogs behind: keep the server log

  std::vector<std::unique_ptr<sipua::UserAgent>> master_agents_;
  std::vector<std::unique_ptr<sipua::UserAgent>> viewer_agents_;

  // The RTSP side of the masters, on one thread of its own.
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread io_thread_;
  std::mutex publishers_mutex_;
  std::vector<std::shared_ptr<RtspPublisher>> publishers_;
};

}  // namespace callcast::loadgen
