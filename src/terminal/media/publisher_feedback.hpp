#pragma once
// What the broadcaster does with the feedback the streaming server sends it on the RECORD
// connection (issue 12 items 3 and 4; module 608 controls the sending bitrate, [0091]): keyframe
// requests (PLI, RFC 4585; FIR, RFC 5104) become a forced IDR at most once per interval, bitrate
// requests (REMB, draft-alvestrand-rmcat-remb; TMMBR, RFC 5104) become a new encoder bitrate
// within [min, max]. It decides and counts; the pipeline acts through Actions. Time and timers
// are given, so the policy is tested on a simulated clock.
//
// Main loop thread only (the timer fires there too).
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "core/time_source.hpp"
#include "terminal/media/feedback_requests.hpp"

namespace callcast::terminal {

struct PublisherFeedbackLimits {
  int max_kbps = 2000;  // --bitrate: the ceiling, and the start
  int min_kbps = 500;   // --min-bitrate
  // At most one forced IDR per interval: an IDR costs several P-frames' worth of bits, and a
  // burst of them is what congests a lossy path further.
  std::chrono::milliseconds keyframe_interval{500};
  // A request this soon after a forced IDR was sent before the IDR reached the viewer that
  // asked: that IDR answers it.
  std::chrono::milliseconds keyframe_merge_window{200};
};

struct PublisherFeedbackCounters {
  std::uint64_t keyframe_requests = 0;  // PLI and FIR received
  std::uint64_t keyframes_forced = 0;   // IDRs forced for them
  std::uint64_t bitrate_requests = 0;   // REMB and TMMBR received
  std::uint64_t bitrate_changes = 0;    // of those, the ones that changed the encoder's bitrate
  int bitrate_kbps = 0;                 // the encoder's bitrate now
};

class PublisherFeedback {
 public:
  struct Actions {
    std::function<void(KeyframeCause)> force_keyframe;
    std::function<void(int kbps)> set_bitrate;
  };

  PublisherFeedback(const PublisherFeedbackLimits& limits, const core::TimeSource& time,
                    core::TimerFactory& timers, Actions actions);

  // An IDR now, later (at the end of the interval since the last one) or not at all (an IDR
  // forced within the merge window answers it, or one is already due).
  void on_keyframe_request(KeyframeCause cause);
  // A FIR: as above, unless it repeats the sequence number of the last FIR (RFC 5104 §4.3.1.2:
  // a retransmitted FIR must not trigger another IDR).
  void on_full_intra_request(std::uint8_t sequence);
  // `bps`: the rate the server asks for; the encoder goes there, clamped to [min, max].
  void on_bitrate_request(std::uint64_t bps, BitrateCause cause);

  const PublisherFeedbackCounters& counters() const { return counters_; }
  const PublisherFeedbackLimits& limits() const { return limits_; }

 private:
  void force(KeyframeCause cause);

  PublisherFeedbackLimits limits_;
  const core::TimeSource& time_;
  Actions actions_;
  std::unique_ptr<core::Timer> deferred_;  // the IDR due at the end of the interval
  KeyframeCause deferred_cause_ = KeyframeCause::pli;
  bool forced_any_ = false;
  std::optional<std::uint8_t> last_fir_sequence_;
  core::SteadyClock::time_point last_forced_{};
  PublisherFeedbackCounters counters_;
};

}  // namespace callcast::terminal
