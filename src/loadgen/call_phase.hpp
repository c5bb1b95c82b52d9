#pragma once
// One phase of the SIP benchmark: a list of calls started with at most `concurrency` of them
// unsettled at a time (a new INVITE goes out as soon as one settles), each given up after
// `timeout` (CANCEL, counted as "timeout"). The phase's figures come from the calls' records.
//
// Threads: run() and hang_up_all() block the calling thread (the benchmark's main thread); the
// calls' records are written on the user agents' threads, under the phase's one lock.
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "loadgen/bench_call.hpp"
#include "loadgen/phase_result.hpp"
#include "sipua/user_agent.hpp"

namespace callcast::loadgen {

struct CallSpec {
  sipua::UserAgent* agent = nullptr;  // the caller
  std::string target;                 // the number it dials
};

struct CallPhaseOptions {
  std::string name;  // "master_calls"
  std::string transport;
  std::size_t concurrency = 50;
  std::chrono::milliseconds timeout{10'000};
  std::string sdp_offer;
};

struct HangUpResult {
  std::size_t byes_sent = 0;
  std::size_t dropped = 0;  // answered calls that had already ended (the server hung up)
};

struct EndCheck {
  std::size_t not_ended = 0;       // calls still up when the wait ran out
  std::vector<std::string> stuck;  // the first few of them, described
};

class CallPhase {
 public:
  explicit CallPhase(CallPhaseOptions options, BenchCall::ProgressHook on_progress = {});
  CallPhase(const CallPhase&) = delete;
  CallPhase& operator=(const CallPhase&) = delete;

  // Returns once every call settled.
  void run(const std::vector<CallSpec>& specs);
  // Counts, outcomes and latencies of run(); the server's figures are the caller's to add.
  PhaseResult result() const;
  // BYE to every answered call, then waits at most `timeout` until each call has ended, except
  // those answered after they were given up (CallRecord::answered_late).
  HangUpResult hang_up_all(std::chrono::milliseconds timeout);
  // Waits at most `timeout` until every call has ended.
  EndCheck wait_all_ended(std::chrono::milliseconds timeout);

  const std::vector<std::shared_ptr<BenchCall>>& calls() const { return calls_; }

 private:
  const CallPhaseOptions options_;
  const BenchCall::ProgressHook on_progress_;
  std::shared_ptr<PhaseSync> sync_ = std::make_shared<PhaseSync>();
  std::vector<std::shared_ptr<BenchCall>> calls_;
  std::chrono::steady_clock::time_point began_;
};

}  // namespace callcast::loadgen
