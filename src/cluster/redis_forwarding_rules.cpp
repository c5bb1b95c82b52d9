#include "cluster/redis_forwarding_rules.hpp"

#include <utility>
#include <vector>

#include "cluster/cluster_keys.hpp"
#include "cluster/redis_scan.hpp"

namespace callcast::cluster {

namespace {

// KEYS[1] the rule; ARGV[1] the target it must still hold.
constexpr const char* kClearIfScript = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
)lua";

// SCAN rounds for count(): 10^4 rounds of COUNT 1000 cover 10^7 rules.
constexpr std::size_t kCountPerScan = 1000;
constexpr std::size_t kMaxScanRounds = 10'000;

}  // namespace

RedisForwardingRules::RedisForwardingRules(core::HostPort server, RedisClientOptions options)
    : redis_(std::move(server), options), clear_if_script_("forwarding-clear-if", kClearIfScript) {}

Result<bool, std::string> RedisForwardingRules::check() {
  const std::lock_guard lock(mutex_);
  auto pong = redis_.command({"PING"});
  if (!pong) return fail(pong.error());
  return true;
}

Result<std::optional<std::string>, std::string> RedisForwardingRules::unconditional_target(
    std::string_view number) {
  const std::lock_guard lock(mutex_);
  return redis_.string_or_nil({"GET", keys::forwarding(number)});
}

Result<bool, std::string> RedisForwardingRules::set_unconditional(std::string_view number,
                                                                  std::string_view target) {
  const std::lock_guard lock(mutex_);
  // SET ... GET (Redis 6.2+) writes and returns the old value in one atomic step: whether this
  // replaced a rule is known without a race against another node's write.
  auto previous = redis_.string_or_nil({"SET", keys::forwarding(number), target, "GET"});
  if (!previous) return fail(previous.error());
  return previous->has_value();
}

Result<bool, std::string> RedisForwardingRules::clear_unconditional(std::string_view number) {
  const std::lock_guard lock(mutex_);
  auto removed = redis_.integer({"DEL", keys::forwarding(number)});
  if (!removed) return fail(removed.error());
  return *removed > 0;
}

Result<bool, std::string> RedisForwardingRules::clear_unconditional_if(std::string_view number,
                                                                       std::string_view target) {
  const std::lock_guard lock(mutex_);
  const std::vector<std::string> keys{keys::forwarding(number)};
  const std::vector<std::string> args{std::string(target)};
  auto reply = redis_.eval(clear_if_script_, keys, args);
  if (!reply) return fail(reply.error());
  return reply->type == RedisReply::Type::integer && reply->integer > 0;
}

Result<std::size_t, std::string> RedisForwardingRules::count() {
  const std::lock_guard lock(mutex_);
  auto keys = scan_keys(redis_, keys::kForwardingPattern, kCountPerScan, kMaxScanRounds);
  if (!keys) return fail(keys.error());
  return keys->size();
}

}  // namespace callcast::cluster
