#pragma once
// The call-forwarding rules (patent step [0154]; 3GPP TS 24.604 CDIV "unconditional") in the
// cluster's Redis (issue 15): one STRING callcast:fwd:<number> holding the target, no expiry, so
// that a rule a terminal set through one signaling node's Ut API is what every signaling node
// reads. Redis persists it as the operator configured Redis to (RDB/AOF); the single-node
// default stays forwarding::ForwardingStore, fsynced to SQLite.
//
// Thread-safe like ForwardingStore (the SIP thread reads while the Ut API's HTTP thread writes):
// its own connection, one call at a time behind a mutex.
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "cluster/redis_client.hpp"
#include "cluster/redis_script.hpp"
#include "core/host_port.hpp"
#include "forwarding/forwarding_rules.hpp"

namespace callcast::cluster {

class RedisForwardingRules final : public forwarding::ForwardingRules {
 public:
  explicit RedisForwardingRules(core::HostPort server, RedisClientOptions options = {});

  Result<std::optional<std::string>, std::string> unconditional_target(
      std::string_view number) override;
  Result<bool, std::string> set_unconditional(std::string_view number,
                                              std::string_view target) override;
  Result<bool, std::string> clear_unconditional(std::string_view number) override;
  // Compare-and-delete in one Lua script: a rule the user changed between the read and the
  // delete is never erased.
  Result<bool, std::string> clear_unconditional_if(std::string_view number,
                                                   std::string_view target) override;
  // SCANs callcast:fwd:* (a rule count is for operators and tests, not for every call).
  Result<std::size_t, std::string> count() override;

  // Connects and PINGs: a start-up check, so that a signaling node without its cluster's Redis
  // says so at once instead of failing its first forwarded call.
  Result<bool, std::string> check();

  const std::string& server_name() const { return redis_.server_name(); }

 private:
  std::mutex mutex_;
  RedisClient redis_;
  RedisScript clear_if_script_;
};

}  // namespace callcast::cluster
