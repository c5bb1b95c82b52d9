#pragma once
// A media node's group event (706 master_joined, 709 master_lost, 714 viewer_joined and
// viewer_left, group_closed, 708 master_stalled/resumed) as it travels between the cluster's
// nodes on the Redis channel callcast:events (issue 15), instead of the HTTP long-poll of
// GET /v1/events: the event as the node's EventLog numbered it, plus the node it happened on.
//
// Wire form, one JSON object per PUBLISH:
//   {"node":"media-1:8080","epoch":"4f1c...","seq":12,"unix_ms":1700000000000,
//    "kind":"master_joined","group":"1001","terminal":"1001","reason":""}
// epoch names the node's event log (a new one: the node restarted), seq numbers its events.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "control/event_log.hpp"
#include "core/result.hpp"

namespace callcast::cluster {

struct ClusterEvent {
  std::string node_id;
  std::string epoch;
  control::LoggedEvent logged;
};

// What a well-formed message decodes to. `event` is nullopt for a kind this build does not know
// (a newer node): not an error, but the seq still counts for gap detection.
struct DecodedClusterEvent {
  std::string node_id;
  std::string epoch;
  std::uint64_t seq = 0;
  std::optional<ClusterEvent> event;
};

// Longer messages are refused before parsing: a real event is a few hundred bytes.
inline constexpr std::size_t kMaxClusterEventBytes = 4096;

std::string encode_cluster_event(const ClusterEvent& event);
// Checks every field (types, ranges, node id, group and terminal numbers, lengths); the error
// says which one is wrong. Never throws.
Result<DecodedClusterEvent, std::string> decode_cluster_event(std::string_view message);

}  // namespace callcast::cluster
