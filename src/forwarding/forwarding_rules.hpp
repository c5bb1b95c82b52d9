#pragma once
// The call-forwarding rules the network side reads and the Ut API writes (patent step [0154];
// 3GPP TS 24.604 CDIV "unconditional"), whatever keeps them: one node's SQLite file
// (ForwardingStore, the default) or the cluster's Redis (cluster::RedisForwardingRules, issue
// 15), so that every signaling node sees the rule a terminal set through any of them.
//
// Implementations are thread-safe: the SIP thread reads while the Ut API's HTTP thread writes.
// Every call may block for the store's bounded timeout; errors name the store and what failed.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace callcast::forwarding {

class ForwardingRules {
 public:
  virtual ~ForwardingRules() = default;

  // The number `number` forwards every call to, or nullopt when it has no rule.
  virtual Result<std::optional<std::string>, std::string> unconditional_target(
      std::string_view number) = 0;
  // true when it replaced an existing rule, false when it created one.
  virtual Result<bool, std::string> set_unconditional(std::string_view number,
                                                      std::string_view target) = 0;
  // true when a rule was removed.
  virtual Result<bool, std::string> clear_unconditional(std::string_view number) = 0;
  // Clears the rule only while it still points at `target`, atomically: the network side clears
  // a master's forwarding to the service number when its broadcast ends, but must not erase a
  // rule that the user changed meanwhile. true when a rule was removed.
  virtual Result<bool, std::string> clear_unconditional_if(std::string_view number,
                                                           std::string_view target) = 0;
  // Rules of every kind.
  virtual Result<std::size_t, std::string> count() = 0;
};

}  // namespace callcast::forwarding
