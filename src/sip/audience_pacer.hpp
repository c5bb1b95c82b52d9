#pragma once
// When the network side tells a master its audience (see sipwire/audience_info.hpp): at most one
// INFO per interval, one outstanding at a time, and the latest count wins (a burst of joins becomes
// one INFO with the count after the burst). Pure logic over the caller's clock, so that the
// pacing is tested without a SIP stack or sleeping.
#include <chrono>
#include <cstddef>
#include <optional>

namespace callcast::sip {

class AudiencePacer {
 public:
  using Clock = std::chrono::steady_clock;

  struct Action {
    enum class Kind { none, send, wait };
    Kind kind = Kind::none;
    std::size_t viewers = 0;            // send: the count to put in the INFO
    std::chrono::milliseconds wait{0};  // wait: call on_timer after this long
  };

  explicit AudiencePacer(std::chrono::milliseconds interval = std::chrono::seconds(1))
      : interval_(interval) {}

  // The group's count of playing viewers is now `viewers`.
  Action on_count(std::size_t viewers, Clock::time_point now);
  // The wait of a previous Action has elapsed.
  Action on_timer(Clock::time_point now);
  // The outstanding INFO got its final response: 2xx goes on, anything else stops the reports
  // (the terminal does not take the package, or the dialog is gone).
  Action on_answered(int status, Clock::time_point now);

  bool stopped() const { return stopped_; }
  std::size_t reported() const { return reported_; }

 private:
  Action next(Clock::time_point now);

  std::chrono::milliseconds interval_;
  std::size_t latest_ = 0;
  std::size_t reported_ = 0;  // the terminal starts from 0 viewers
  bool in_flight_ = false;
  bool waiting_ = false;
  bool stopped_ = false;
  std::optional<Clock::time_point> last_sent_;
};

}  // namespace callcast::sip
