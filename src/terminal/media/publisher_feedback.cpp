#include "terminal/media/publisher_feedback.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace callcast::terminal {

PublisherFeedback::PublisherFeedback(const PublisherFeedbackLimits& limits,
                                     const core::TimeSource& time, core::TimerFactory& timers,
                                     Actions actions)
    : limits_(limits), time_(time), actions_(std::move(actions)) {
  counters_.bitrate_kbps = limits_.max_kbps;
  deferred_ = timers.create_timer([this] { force(deferred_cause_); });
}

void PublisherFeedback::on_keyframe_request(KeyframeCause cause) {
  ++counters_.keyframe_requests;
  const auto now = time_.now();
  const auto since = now - last_forced_;
  if (deferred_->enabled()) {
    spdlog::info("broadcast keyframe requested by={} answer=already-due step=709",
                 to_string(cause));
    return;
  }
  if (!forced_any_ || since >= limits_.keyframe_interval) {
    spdlog::info("broadcast keyframe requested by={} answer=now step=709", to_string(cause));
    return force(cause);
  }
  if (since < limits_.keyframe_merge_window) {
    spdlog::info("broadcast keyframe requested by={} answer=merged since_last_ms={} step=709",
                 to_string(cause),
                 std::chrono::duration_cast<std::chrono::milliseconds>(since).count());
    return;
  }
  const auto wait = limits_.keyframe_interval - since;
  spdlog::info("broadcast keyframe requested by={} answer=deferred in_ms={} step=709",
               to_string(cause),
               std::chrono::duration_cast<std::chrono::milliseconds>(wait).count());
  deferred_cause_ = cause;
  deferred_->enable(wait);
}

void PublisherFeedback::on_full_intra_request(std::uint8_t sequence) {
  if (last_fir_sequence_ == sequence) {
    ++counters_.keyframe_requests;
    spdlog::info("broadcast keyframe requested by=fir answer=repeat sequence={} step=709",
                 sequence);
    return;
  }
  last_fir_sequence_ = sequence;
  on_keyframe_request(KeyframeCause::fir);
}

void PublisherFeedback::force(KeyframeCause cause) {
  forced_any_ = true;
  last_forced_ = time_.now();
  ++counters_.keyframes_forced;
  if (actions_.force_keyframe) actions_.force_keyframe(cause);
}

void PublisherFeedback::on_bitrate_request(std::uint64_t bps, BitrateCause cause) {
  ++counters_.bitrate_requests;
  const std::uint64_t asked_kbps = bps / 1000;
  const int to = static_cast<int>(
      std::clamp<std::uint64_t>(asked_kbps, static_cast<std::uint64_t>(limits_.min_kbps),
                                static_cast<std::uint64_t>(limits_.max_kbps)));
  const int from = counters_.bitrate_kbps;
  if (to == from) {
    spdlog::debug("broadcast bitrate request by={} asked_kbps={} unchanged={}", to_string(cause),
                  asked_kbps, from);
    return;
  }
  counters_.bitrate_kbps = to;
  ++counters_.bitrate_changes;
  spdlog::info("broadcast bitrate changed from={} to={} asked={} by={} step=709", from, to,
               asked_kbps, to_string(cause));
  if (actions_.set_bitrate) actions_.set_bitrate(to);
}

}  // namespace callcast::terminal
