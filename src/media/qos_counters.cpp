#include "media/qos_counters.hpp"

#include "media/group_qos.hpp"

namespace callcast::media {

QosCounters QosCounters::of(const GroupQos& qos) {
  const KeyframeRequestGate& gate = qos.keyframe_requests();
  QosCounters out;
  out.plis_received = gate.received_pli();
  out.firs_received = gate.received_fir();
  out.repair_miss_requests = gate.repair_misses();
  out.publisher_loss_requests = gate.publisher_losses();
  out.keyframe_requests_merged = gate.merged();
  // The gate lets a request out; it reaches the publisher unless there is no path to it.
  out.keyframe_requests_unsent = qos.keyframe_requests_unsent();
  out.keyframe_requests_forwarded = gate.sent() - out.keyframe_requests_unsent;
  out.bitrate_decreases = qos.rate_policy().decreases();
  out.bitrate_increases = qos.rate_policy().increases();
  out.bitrate_requests_unsent = qos.requests_unsent() - out.keyframe_requests_unsent;
  return out;
}

void QosCounters::add(const QosCounters& other) {
  plis_received += other.plis_received;
  firs_received += other.firs_received;
  repair_miss_requests += other.repair_miss_requests;
  publisher_loss_requests += other.publisher_loss_requests;
  keyframe_requests_merged += other.keyframe_requests_merged;
  keyframe_requests_forwarded += other.keyframe_requests_forwarded;
  keyframe_requests_unsent += other.keyframe_requests_unsent;
  bitrate_decreases += other.bitrate_decreases;
  bitrate_increases += other.bitrate_increases;
  bitrate_requests_unsent += other.bitrate_requests_unsent;
}

}  // namespace callcast::media
