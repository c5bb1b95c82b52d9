#include "sip/audience_pacer.hpp"

namespace callcast::sip {

AudiencePacer::Action AudiencePacer::on_count(std::size_t viewers, Clock::time_point now) {
  latest_ = viewers;
  return next(now);
}

AudiencePacer::Action AudiencePacer::on_timer(Clock::time_point now) {
  waiting_ = false;
  return next(now);
}

AudiencePacer::Action AudiencePacer::on_answered(int status, Clock::time_point now) {
  in_flight_ = false;
  if (status < 200 || status >= 300) {
    stopped_ = true;
    return {};
  }
  return next(now);
}

AudiencePacer::Action AudiencePacer::next(Clock::time_point now) {
  if (stopped_ || in_flight_ || waiting_ || latest_ == reported_) return {};
  if (last_sent_) {
    const auto since = std::chrono::duration_cast<std::chrono::milliseconds>(now - *last_sent_);
    if (since < interval_) {
      waiting_ = true;
      return {Action::Kind::wait, 0, interval_ - since};
    }
  }
  in_flight_ = true;
  last_sent_ = now;
  reported_ = latest_;
  return {Action::Kind::send, latest_, {}};
}

}  // namespace callcast::sip
