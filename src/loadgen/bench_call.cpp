#include "loadgen/bench_call.hpp"

namespace callcast::loadgen {

BenchCall::BenchCall(std::size_t index, sipua::UserAgent& agent, std::string target,
                     std::shared_ptr<PhaseSync> sync, ProgressHook on_progress)
    : index_(index),
      agent_(agent),
      target_(std::move(target)),
      sync_(std::move(sync)),
      on_progress_(std::move(on_progress)) {}

CallRecord BenchCall::record() const {
  std::lock_guard lock(sync_->mutex);
  return record_;
}

void BenchCall::start(const std::string& sdp_offer) {
  {
    std::lock_guard lock(sync_->mutex);
    record_.started = std::chrono::steady_clock::now();
  }
  // Answers may arrive on the agent's thread before start_call returns: the record is ready.
  const sipua::CallHandle handle = agent_.start_call(target_, sdp_offer, shared_from_this());
  bool cancel = false;
  {
    std::lock_guard lock(sync_->mutex);
    handle_ = handle;
    cancel = cancel_when_started_;
  }
  if (cancel) agent_.hang_up(handle);
}

bool BenchCall::settle_locked(const std::string& outcome, const std::string& detail,
                              bool answered) {
  if (!record_.outcome.empty()) return false;
  record_.outcome = outcome;
  record_.detail = detail;
  record_.answered = answered;
  record_.settled_at = std::chrono::steady_clock::now();
  ++sync_->settled;
  return true;
}

void BenchCall::abandon(const std::string& outcome, const std::string& detail) {
  sipua::CallHandle handle;
  {
    std::lock_guard lock(sync_->mutex);
    if (!settle_locked(outcome, detail, false)) return;
    abandoned_ = true;
    if (record_.ended) {
      sync_->changed.notify_all();
      return;
    }
    if (!handle_.valid()) {
      cancel_when_started_ = true;
    } else {
      handle = handle_;
    }
  }
  sync_->changed.notify_all();
  if (handle.valid()) agent_.hang_up(handle);
}

void BenchCall::hang_up() {
  sipua::CallHandle handle;
  {
    std::lock_guard lock(sync_->mutex);
    if (!record_.answered || record_.ended || record_.hung_up) return;
    record_.hung_up = true;
    handle = handle_;
  }
  agent_.hang_up(handle);
}

void BenchCall::on_response(const sipua::Response& response) {
  if (response.method != "INVITE" || response.status != 183 || response.body.empty()) return;
  {
    std::lock_guard lock(sync_->mutex);
    if (record_.progressed || !record_.outcome.empty()) return;
    record_.progressed = std::chrono::steady_clock::now();
  }
  if (on_progress_) on_progress_(*this, response.body);
}

void BenchCall::on_answered(const sipua::Response& /*response*/) {
  sipua::CallHandle late;
  {
    std::lock_guard lock(sync_->mutex);
    // A 200 OK that crossed our CANCEL: the call is up although we gave up on it.
    if (!settle_locked("200", {}, true) && abandoned_ && !record_.answered_late) {
      record_.answered_late = true;
      late = handle_;
    }
  }
  sync_->changed.notify_all();
  // On the agent's thread: runs inline. A user agent that BYEs a call whose CANCEL crossed the
  // 200 OK (RFC 3261 §9.1) ends it here; one that does not leaves it to the server.
  if (late.valid()) agent_.hang_up(late);
}

void BenchCall::on_terminated(const sipua::CallEnd& end) {
  {
    std::lock_guard lock(sync_->mutex);
    settle_locked(end.status >= 300 ? std::to_string(end.status) : "error", end.describe(), false);
    record_.ended = true;
    ++sync_->ended;
  }
  sync_->changed.notify_all();
}

}  // namespace callcast::loadgen
