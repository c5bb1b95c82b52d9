#pragma once
// The registrar's bindings (RFC 3261 §10.3) in the cluster's Redis (issue 15), so that a terminal
// registered through one signaling node is known to every node: Kamailio hashes a REGISTER to a
// node by the registering number, and when that node dies the number's requests land on another.
//
//   callcast:reg:<number>   HASH  field = the Contact URI,
//                                 value = "<expiry, Unix ms on Redis's clock> <CSeq> <Call-ID>"
//                           PEXPIREAT the latest binding's expiry
//
// Expiry is the registration's own: Redis drops the key when the last binding expires, and a
// binding that expired before its siblings is skipped by readers and dropped at the next write.
// Times are Redis's (TIME), not the nodes', so nodes whose clocks disagree agree on expiries.
//
// A REGISTER is read, planned by the same rules as the in-memory Registrar (plan_bindings), and
// written in one MULTI/EXEC under WATCH: two nodes registering one number at once never lose a
// contact (the loser reads again). The cap on bindings in all is the in-memory store's guard for
// one process; a cluster bounds its Redis by maxmemory instead, so only the per-user cap applies.
//
// Called on the SIP thread: each command waits at most RedisClientOptions' timeouts (the node
// gives short ones), and a Redis that is down or slow is a RegisterErrorCode::unavailable that
// the REGISTER answers with 503, Retry-After and a Warning naming the Redis, never a hang.
// One caller at a time behind a mutex (the SIP thread, a test).
#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

#include "cluster/redis_client.hpp"
#include "core/host_port.hpp"
#include "sip/registrar.hpp"

namespace callcast::cluster {

class RedisRegistrar final : public sip::RegistrationStore {
 public:
  RedisRegistrar(core::HostPort server, sip::RegistrarLimits limits,
                 RedisClientOptions options = {});

  Result<std::vector<sip::ContactBinding>, sip::RegisterError> apply(
      const sip::RegisterRequest& request, sip::Clock::time_point now) override;
  // The bindings of `aor` now (the expiries relative to `now`).
  Result<std::vector<sip::ContactBinding>, std::string> bindings(const std::string& aor,
                                                                 sip::Clock::time_point now);
  // Redis expires the bindings itself: this only counts them (SCAN), for the node's stats.
  std::size_t sweep(sip::Clock::time_point now) override;

  std::size_t binding_count() const override;
  std::size_t user_count() const override;
  const sip::RegistrarLimits& limits() const override { return limits_; }

  // Connects and PINGs: a start-up check with a clear message.
  Result<bool, std::string> check();
  const std::string& server_name() const { return redis_.server_name(); }

 private:
  // Redis's clock (TIME) in Unix ms and the unexpired bindings of `key`, relative to `now`.
  struct Current {
    long long now_ms = 0;
    std::vector<sip::ContactBinding> bindings;
  };
  Result<Current, std::string> read(const std::string& key, sip::Clock::time_point now);

  mutable std::mutex mutex_;
  RedisClient redis_;
  sip::RegistrarLimits limits_;
  std::size_t bindings_seen_ = 0;
  std::size_t users_seen_ = 0;
};

}  // namespace callcast::cluster
