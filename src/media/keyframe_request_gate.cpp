#include "media/keyframe_request_gate.hpp"

namespace callcast::media {

bool KeyframeRequestGate::request(KeyframeRequestSource source, Clock::time_point now) {
  ++received_;
  switch (source) {
    case KeyframeRequestSource::pli:
      ++received_pli_;
      break;
    case KeyframeRequestSource::fir:
      ++received_fir_;
      break;
    case KeyframeRequestSource::repair_miss:
      ++repair_misses_;
      break;
    case KeyframeRequestSource::publisher_loss:
      ++publisher_losses_;
      break;
  }
  if (open(now) && !pending_) {
    ++answered_by_own_;
    send(now);
    return true;
  }
  if (!pending_) {
    pending_ = true;
    pending_since_ = now;
  }
  return false;
}

bool KeyframeRequestGate::due(Clock::time_point now) {
  if (!pending_ || !open(now)) return false;
  pending_ = false;
  ++answered_by_own_;
  send(now);
  return true;
}

void KeyframeRequestGate::keyframe_arrived(Clock::time_point now) {
  if (pending_ && now >= pending_since_) pending_ = false;
}

void KeyframeRequestGate::send(Clock::time_point now) {
  sent_any_ = true;
  last_sent_ = now;
  ++sent_;
}

}  // namespace callcast::media
