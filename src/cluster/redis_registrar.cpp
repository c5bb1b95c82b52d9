#include "cluster/redis_registrar.hpp"

#include <algorithm>
#include <utility>

#include "cluster/cluster_keys.hpp"
#include "cluster/redis_scan.hpp"

namespace callcast::cluster {

namespace {

using sip::Clock;
using sip::ContactBinding;
using sip::RegisterError;
using sip::RegisterErrorCode;

// A REGISTER that loses the WATCH race this many times in a row (other nodes writing the same
// number's bindings every time) gets 503 rather than holding the SIP thread longer. Each lost
// race is another node's write that went through: the bindings are never lost, only delayed.
constexpr int kRegistrationWriteAttempts = 8;
// SCAN rounds for the stats: 10^4 rounds of COUNT 1000 cover 10^7 registered numbers.
constexpr std::size_t kRegistrationsPerScan = 1000;
constexpr std::size_t kMaxRegistrationScanRounds = 10'000;

std::string registration_value(long long expires_ms, const ContactBinding& binding) {
  return std::to_string(expires_ms) + " " + std::to_string(binding.cseq) + " " + binding.call_id;
}

// "<expiry ms> <CSeq> <Call-ID>"; nullopt for anything else (a value this code did not write).
std::optional<ContactBinding> parse_registration_value(const std::string& uri,
                                                       const std::string& value, long long now_ms,
                                                       Clock::time_point now) {
  const auto first = value.find(' ');
  if (first == std::string::npos) return std::nullopt;
  const auto second = value.find(' ', first + 1);
  if (second == std::string::npos) return std::nullopt;
  const auto expires_ms = parse_redis_integer(std::string_view(value).substr(0, first));
  const auto cseq =
      parse_redis_integer(std::string_view(value).substr(first + 1, second - first - 1));
  if (!expires_ms || !cseq || *cseq < 0 || *cseq > 0xffffffffLL) return std::nullopt;
  ContactBinding binding;
  binding.uri = uri;
  binding.cseq = static_cast<std::uint32_t>(*cseq);
  binding.call_id = value.substr(second + 1);
  binding.expires = now + std::chrono::milliseconds(*expires_ms - now_ms);
  return binding;
}

RegisterError store_unavailable(std::string message) {
  return RegisterError{RegisterErrorCode::unavailable, std::move(message)};
}

}  // namespace

RedisRegistrar::RedisRegistrar(core::HostPort server, sip::RegistrarLimits limits,
                               RedisClientOptions options)
    : redis_(std::move(server), options), limits_(limits) {}

Result<bool, std::string> RedisRegistrar::check() {
  const std::lock_guard lock(mutex_);
  auto pong = redis_.command({"PING"});
  if (!pong) return fail(pong.error());
  return true;
}

Result<RedisRegistrar::Current, std::string> RedisRegistrar::read(const std::string& key,
                                                                  Clock::time_point now) {
  // WATCH first, in the same round trip: a write by another node after this read makes our
  // EXEC fail (apply reads again); a plain read leaves a WATCH that the next WATCH or EXEC ends.
  const std::vector<std::vector<std::string>> commands{{"WATCH", key}, {"TIME"}, {"HGETALL", key}};
  auto replies = redis_.pipeline(commands);
  if (!replies) return fail(replies.error());
  if (!(*replies)[0].is_status("OK")) {
    return fail(redis_.server_name() + ": WATCH " + key + ": " + (*replies)[0].text);
  }
  const auto& time = (*replies)[1];
  const auto& fields = (*replies)[2];
  if (time.type != RedisReply::Type::array || time.elements.size() != 2 ||
      fields.type != RedisReply::Type::array) {
    return fail(redis_.server_name() + ": HGETALL " + key + ": unexpected reply");
  }
  const auto seconds = parse_redis_integer(time.elements[0].text);
  const auto micros = parse_redis_integer(time.elements[1].text);
  if (!seconds || !micros) return fail(redis_.server_name() + ": TIME: unexpected reply");
  Current current;
  current.now_ms = *seconds * 1000 + *micros / 1000;
  for (std::size_t i = 0; i + 1 < fields.elements.size(); i += 2) {
    auto binding = parse_registration_value(fields.elements[i].text, fields.elements[i + 1].text,
                                            current.now_ms, now);
    // Expired (the key lives as long as its latest binding) or unreadable: not a binding.
    if (binding && binding->expires > now) current.bindings.push_back(std::move(*binding));
  }
  return current;
}

Result<std::vector<ContactBinding>, RegisterError> RedisRegistrar::apply(
    const sip::RegisterRequest& request, Clock::time_point now) {
  const std::lock_guard lock(mutex_);
  const std::string key = keys::registration(request.aor);
  for (int attempt = 0; attempt < kRegistrationWriteAttempts; ++attempt) {
    auto current = read(key, now);
    if (!current) return fail(store_unavailable(current.error()));
    auto next = sip::plan_bindings(current->bindings, request, now, limits_);
    const bool query = !request.wildcard && request.contacts.empty();
    if (!next || query) {
      // Nothing to write. UNWATCH failing only leaves a WATCH the next WATCH replaces.
      (void)redis_.command({"UNWATCH"});
      return next;
    }
    std::vector<std::vector<std::string>> commands{{"MULTI"}, {"DEL", key}};
    if (!next->empty()) {
      std::vector<std::string> hset{"HSET", key};
      long long latest_ms = 0;
      for (const auto& binding : *next) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(binding.expires - now).count();
        const long long expires_ms = current->now_ms + left;
        latest_ms = std::max(latest_ms, expires_ms);
        hset.push_back(binding.uri);
        hset.push_back(registration_value(expires_ms, binding));
      }
      commands.push_back(std::move(hset));
      commands.push_back({"PEXPIREAT", key, std::to_string(latest_ms)});
    }
    commands.push_back({"EXEC"});
    auto replies = redis_.pipeline(commands);
    if (!replies) return fail(store_unavailable(replies.error()));
    const auto& exec = replies->back();
    if (exec.is_nil()) continue;  // another node changed these bindings since WATCH: again
    if (exec.type != RedisReply::Type::array) {
      return fail(store_unavailable(
          redis_.server_name() + ": EXEC " + key + ": " +
          (exec.type == RedisReply::Type::error ? exec.text : "unexpected reply")));
    }
    return next;
  }
  return fail(store_unavailable(redis_.server_name() + ": " + key + " changed under every one of " +
                                std::to_string(kRegistrationWriteAttempts) + " attempts"));
}

Result<std::vector<ContactBinding>, std::string> RedisRegistrar::bindings(const std::string& aor,
                                                                          Clock::time_point now) {
  const std::lock_guard lock(mutex_);
  auto current = read(keys::registration(aor), now);
  if (!current) return fail(current.error());
  (void)redis_.command({"UNWATCH"});
  return std::move(current->bindings);
}

std::size_t RedisRegistrar::sweep(Clock::time_point /*now*/) {
  const std::lock_guard lock(mutex_);
  auto found = scan_keys(redis_, keys::kRegistrationPattern, kRegistrationsPerScan,
                         kMaxRegistrationScanRounds);
  if (!found) return 0;  // the stats keep their last counts; the next sweep tries again
  std::vector<std::vector<std::string>> commands;
  commands.reserve(found->size());
  for (const auto& key : *found)
    commands.push_back({"HLEN", key});
  std::size_t bindings = 0;
  if (!commands.empty()) {
    auto replies = redis_.pipeline(commands);
    if (!replies) return 0;
    for (const auto& reply : *replies) {
      if (reply.type == RedisReply::Type::integer)
        bindings += static_cast<std::size_t>(reply.integer);
    }
  }
  bindings_seen_ = bindings;
  users_seen_ = found->size();
  return 0;
}

std::size_t RedisRegistrar::binding_count() const {
  const std::lock_guard lock(mutex_);
  return bindings_seen_;
}

std::size_t RedisRegistrar::user_count() const {
  const std::lock_guard lock(mutex_);
  return users_seen_;
}

}  // namespace callcast::cluster
