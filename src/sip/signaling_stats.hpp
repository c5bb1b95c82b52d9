#pragma once
// What the network side counts, for the admin API, callcastd's status and GET /metrics.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sip/sip_metrics.hpp"
#include "stats/exposition.hpp"

namespace callcast::sip {

struct SignalingStats {
  std::size_t calls = 0;       // dialogs in progress or up
  std::size_t broadcasts = 0;  // master calls
  std::size_t viewer_calls = 0;
  std::size_t registrations = 0;  // contact bindings
  std::size_t registered_users = 0;
  std::uint64_t invites = 0;
  std::uint64_t registers = 0;
  std::uint64_t auth_challenges = 0;    // 401 sent
  std::uint64_t auth_failures = 0;      // 403 sent
  std::uint64_t rejected_over_cap = 0;  // 503 for max_calls / max_registrations
  std::size_t restored_broadcasts = 0;  // rebuilt from the media side after a restart
  struct BroadcastInfo {
    std::string group;
    std::string state;  // "setting_up", "early", "live", "ending"
    bool restored = false;
    std::size_t viewers = 0;  // playing, as the media side reported
  };
  std::vector<BroadcastInfo> broadcast_list;
  SipMetrics metrics;  // INVITE final responses and set-up times
};

// signaling_stats.cpp: the counters as GET /v1/signaling's "counters" object, and every
// member as GET /metrics series.
nlohmann::json counters_json(const SignalingStats& stats);
void expose_metrics(stats::Exposition& out, const SignalingStats& stats);

}  // namespace callcast::sip
