#pragma once
// One measured call of the benchmark: the INVITE's timing and fate, as the SIP user agent
// reports it on its own thread (sipua::CallObserver), read by the phase on the main thread.
//
// A call settles once: answered (200 OK to the INVITE), refused (a final status >= 300, or an
// error: "error"), or given up by the benchmark (abandon(): "timeout", "rtsp_failed"), which
// cancels it. It ends later, when the user agent reports it terminated.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "sipua/call_handle.hpp"
#include "sipua/call_observer.hpp"
#include "sipua/user_agent.hpp"

namespace callcast::loadgen {

// What a phase and its calls share: one lock for every call's record, and the signal that one
// of them changed.
struct PhaseSync {
  std::mutex mutex;
  std::condition_variable changed;
  std::size_t settled = 0;  // calls settled so far
  std::size_t ended = 0;    // calls terminated so far
};

// A copy of a call's state, taken under the lock.
struct CallRecord {
  using TimePoint = std::chrono::steady_clock::time_point;
  TimePoint started;
  std::optional<TimePoint> progressed;  // the first 183 with a body
  std::optional<TimePoint> settled_at;
  bool answered = false;
  bool hung_up = false;  // we sent the BYE
  // A 200 OK that crossed our CANCEL: the call is up although it settled as given up. The user
  // agent cannot BYE it (it sends one CANCEL or BYE per call), so the server's BYE ends it.
  bool answered_late = false;
  bool ended = false;
  std::string outcome;  // "200", "486", "503", "timeout", "rtsp_failed", "error"; empty: pending
  std::string detail;   // why it failed, for the report
};

class BenchCall final : public sipua::CallObserver, public std::enable_shared_from_this<BenchCall> {
 public:
  // Runs on the user agent's thread for the first 183 whose body is an SDP (the publish URI).
  using ProgressHook = std::function<void(BenchCall& call, const std::string& sdp)>;

  BenchCall(std::size_t index, sipua::UserAgent& agent, std::string target,
            std::shared_ptr<PhaseSync> sync, ProgressHook on_progress);

  std::size_t index() const { return index_; }
  const std::string& target() const { return target_; }
  CallRecord record() const;
  // The same without a copy, for a caller that holds the phase's lock (PhaseSync::mutex).
  const CallRecord& record_locked() const { return record_; }

  // Sends the INVITE. Not on the user agent's thread.
  void start(const std::string& sdp_offer);
  // Settles the call as failed with `outcome` unless it already settled, and cancels it (or
  // hangs it up, should the 200 OK cross the CANCEL). Any thread.
  void abandon(const std::string& outcome, const std::string& detail);
  // BYE, if the call was answered and has not ended. Any thread.
  void hang_up();

  void on_response(const sipua::Response& response) override;
  void on_answered(const sipua::Response& response) override;
  void on_terminated(const sipua::CallEnd& end) override;

 private:
  // Under the lock. False if it had settled already.
  bool settle_locked(const std::string& outcome, const std::string& detail, bool answered);

  const std::size_t index_;
  sipua::UserAgent& agent_;
  const std::string target_;
  const std::shared_ptr<PhaseSync> sync_;
  const ProgressHook on_progress_;
  // Guarded by sync_->mutex.
  CallRecord record_;
  sipua::CallHandle handle_;
  bool cancel_when_started_ = false;  // abandoned before start_call() returned the handle
  bool abandoned_ = false;
};

}  // namespace callcast::loadgen
