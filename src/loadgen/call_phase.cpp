#include "loadgen/call_phase.hpp"

#include <algorithm>
#include <optional>

namespace callcast::loadgen {
namespace {

using Clock = std::chrono::steady_clock;

double milliseconds_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

constexpr std::size_t kErrorsReported = 5;

}  // namespace

CallPhase::CallPhase(CallPhaseOptions options, BenchCall::ProgressHook on_progress)
    : options_(std::move(options)), on_progress_(std::move(on_progress)) {}

void CallPhase::run(const std::vector<CallSpec>& specs) {
  calls_.clear();
  for (std::size_t i = 0; i < specs.size(); ++i) {
    calls_.push_back(
        std::make_shared<BenchCall>(i, *specs[i].agent, specs[i].target, sync_, on_progress_));
  }
  const std::size_t total = calls_.size();
  const std::size_t concurrency = std::max<std::size_t>(options_.concurrency, 1);
  began_ = Clock::now();
  std::size_t launched = 0;
  std::size_t oldest_unsettled = 0;  // every call before it has settled
  std::unique_lock lock(sync_->mutex);
  for (;;) {
    while (launched < total && launched - sync_->settled < concurrency) {
      // start() takes the lock itself, and the user agent's thread needs it for its answers.
      lock.unlock();
      calls_[launched]->start(options_.sdp_offer);
      lock.lock();
      ++launched;
    }
    if (launched == total && sync_->settled == total) break;

    const auto now = Clock::now();
    std::optional<Clock::time_point> next_deadline;
    std::vector<std::size_t> expired;
    for (std::size_t i = oldest_unsettled; i < launched; ++i) {
      const CallRecord& record = calls_[i]->record_locked();
      if (!record.outcome.empty()) {
        if (i == oldest_unsettled) ++oldest_unsettled;
        continue;
      }
      const auto deadline = record.started + options_.timeout;
      if (deadline <= now) {
        expired.push_back(i);
      } else if (!next_deadline || deadline < *next_deadline) {
        next_deadline = deadline;
      }
    }
    if (!expired.empty()) {
      lock.unlock();
      for (std::size_t i : expired) {
        calls_[i]->abandon("timeout", "no final answer within " +
                                          std::to_string(options_.timeout.count()) + " ms");
      }
      lock.lock();
      continue;
    }
    const std::size_t settled_before = sync_->settled;
    sync_->changed.wait_until(lock, next_deadline.value_or(now + options_.timeout),
                              [&] { return sync_->settled != settled_before; });
  }
}

PhaseResult CallPhase::result() const {
  PhaseResult result;
  result.phase = options_.name;
  result.transport = options_.transport;
  result.concurrency = options_.concurrency;
  result.calls = calls_.size();
  std::vector<double> latencies;
  std::vector<double> progress;
  Clock::time_point last_settled = began_;
  for (const auto& call : calls_) {
    const CallRecord record = call->record();
    ++result.outcomes[record.outcome.empty() ? "pending" : record.outcome];
    if (record.settled_at) last_settled = std::max(last_settled, *record.settled_at);
    if (record.progressed) {
      progress.push_back(milliseconds_between(record.started, *record.progressed));
    }
    if (record.answered) {
      ++result.ok;
      latencies.push_back(milliseconds_between(record.started, *record.settled_at));
    } else {
      ++result.failed;
      if (result.errors.size() < kErrorsReported) {
        result.errors.push_back("call to " + call->target() + ": " + record.outcome +
                                (record.detail.empty() ? "" : " (" + record.detail + ")"));
      }
    }
  }
  result.wall_s = milliseconds_between(began_, last_settled) / 1000.0;
  result.setups_per_s = result.wall_s > 0 ? static_cast<double>(result.ok) / result.wall_s : 0;
  result.latency = summarize_latencies(std::move(latencies));
  if (!progress.empty()) result.progress = summarize_latencies(std::move(progress));
  return result;
}

HangUpResult CallPhase::hang_up_all(std::chrono::milliseconds timeout) {
  HangUpResult result;
  for (const auto& call : calls_) {
    const CallRecord record = call->record();
    if (!record.answered || record.hung_up) continue;
    if (record.ended) {
      ++result.dropped;
      continue;
    }
    call->hang_up();
    ++result.byes_sent;
  }
  std::unique_lock lock(sync_->mutex);
  sync_->changed.wait_for(lock, timeout, [&] {
    return std::all_of(calls_.begin(), calls_.end(), [](const auto& call) {
      const CallRecord& record = call->record_locked();
      return record.ended || record.answered_late;
    });
  });
  return result;
}

EndCheck CallPhase::wait_all_ended(std::chrono::milliseconds timeout) {
  EndCheck check;
  std::unique_lock lock(sync_->mutex);
  sync_->changed.wait_for(lock, timeout, [&] { return sync_->ended == calls_.size(); });
  check.not_ended = calls_.size() - sync_->ended;
  for (const auto& call : calls_) {
    const CallRecord& record = call->record_locked();
    if (record.ended || check.stuck.size() >= kErrorsReported) continue;
    check.stuck.push_back("call to " + call->target() + ": " + record.outcome +
                          (record.answered ? ", answered" : "") +
                          (record.answered_late ? ", answered after it was given up" : "") +
                          (record.hung_up ? ", BYE sent" : ""));
  }
  return check;
}

}  // namespace callcast::loadgen
