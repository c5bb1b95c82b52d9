#pragma once
// What a group's QoS (issue 12 items 3-5, module 608) did, as counters that only grow: the
// keyframe requests of its viewers and where they went, and the bitrate requests it made. The
// metrics sum them over live groups and keep those of groups that ended (MediaMetrics); a
// viewer's own PLIs and FIRs are in its group's counts, so a viewer that leaves takes none away.
// Kept on the media loop only, so plain integers.
#include <cstdint>

namespace callcast::media {

class GroupQos;

struct QosCounters {
  std::uint64_t plis_received = 0;
  std::uint64_t firs_received = 0;
  std::uint64_t repair_miss_requests = 0;  // the relay's own: a NACK past the window
  std::uint64_t keyframe_requests_merged = 0;
  std::uint64_t keyframe_requests_forwarded = 0;  // reached the publisher's RTCP path
  std::uint64_t keyframe_requests_unsent = 0;     // no publisher connection to send them on
  std::uint64_t bitrate_decreases = 0;
  std::uint64_t bitrate_increases = 0;
  std::uint64_t bitrate_requests_unsent = 0;
  std::uint64_t publisher_loss_requests = 0;  // the relay's own: a publisher's packet lost

  static QosCounters of(const GroupQos& qos);
  void add(const QosCounters& other);
};

}  // namespace callcast::media
