#include "cluster/media_node_directory.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <map>
#include <utility>

#include "cluster/cluster_keys.hpp"
#include "cluster/redis_scan.hpp"
#include "core/config.hpp"

namespace callcast::cluster {

namespace {

// KEYS[1] the node's key; ARGV[1] its TTL in ms, then field/value pairs. The old hash goes first
// so that a field an older version wrote does not linger; readers never see the key without
// its expiry, as the script runs atomically.
constexpr const char* kPublishScript = R"lua(
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
)lua";

// Fresh entries are read this many to a pipelined round trip.
constexpr std::size_t kEntriesPerRoundTrip = 128;

std::string format_cpu(double cpu_pct) {
  char buffer[32];
  const double value = std::isfinite(cpu_pct) && cpu_pct > 0 ? cpu_pct : 0.0;
  const auto [end, ec] =
      std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::fixed, 1);
  return ec == std::errc{} ? std::string(buffer, end) : std::string("0");
}

template <class T>
bool parse_unsigned(std::string_view text, T& out) {
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return !text.empty() && ec == std::errc{} && ptr == end;
}

}  // namespace

std::optional<MediaNodeEntry> pick_least_loaded(std::span<const MediaNodeEntry> nodes) {
  const MediaNodeEntry* best = nullptr;
  for (const MediaNodeEntry& node : nodes) {
    const MediaNodeLoad& load = node.load;
    if (node.address.max_viewers == 0 || load.viewers >= node.address.max_viewers) continue;
    if (best == nullptr) {
      best = &node;
      continue;
    }
    // viewers / max_viewers compared without division: both products stay below 10^16 for the
    // configured limits (core::kMaxCount = 10^8), far from overflowing 64 bits.
    const auto mine = static_cast<unsigned long long>(load.viewers) * best->address.max_viewers;
    const auto theirs =
        static_cast<unsigned long long>(best->load.viewers) * node.address.max_viewers;
    if (mine != theirs) {
      if (mine < theirs) best = &node;
      continue;
    }
    if (load.groups != best->load.groups) {
      if (load.groups < best->load.groups) best = &node;
      continue;
    }
    if (node.address.node_id < best->address.node_id) best = &node;
  }
  if (best == nullptr) return std::nullopt;
  return *best;
}

Result<MediaNodeEntry, std::string> parse_media_node_entry(std::span<const std::string> fields) {
  if (fields.size() % 2 != 0) return fail(std::string("odd number of fields and values"));
  std::map<std::string_view, std::string_view> hash;
  for (std::size_t i = 0; i + 1 < fields.size(); i += 2)
    hash[fields[i]] = fields[i + 1];
  const auto field = [&](std::string_view name) -> std::optional<std::string_view> {
    const auto found = hash.find(name);
    if (found == hash.end()) return std::nullopt;
    return found->second;
  };
  MediaNodeEntry entry;
  for (const auto& [name, out] :
       {std::pair<std::string_view, std::string*>{"node_id", &entry.address.node_id},
        {"http_url", &entry.address.http_url},
        {"rtsp_url", &entry.address.rtsp_url},
        {"rtp_host", &entry.address.rtp_host}}) {
    const auto value = field(name);
    if (!value) return fail("no field " + std::string(name));
    out->assign(*value);
  }
  if (!core::is_valid_node_id(entry.address.node_id)) {
    return fail("invalid node_id " + core::in_quotes(entry.address.node_id));
  }
  const auto number = [&](std::string_view name, auto& out) -> std::optional<std::string> {
    const auto value = field(name);
    if (!value) return "no field " + std::string(name);
    if (!parse_unsigned(*value, out)) {
      return "field " + std::string(name) + " is not a count: " + core::in_quotes(*value);
    }
    return std::nullopt;
  };
  std::uint64_t updated = 0;
  for (auto error :
       {number("rtp_port", entry.address.rtp_port),
        number("max_viewers", entry.address.max_viewers), number("viewers", entry.load.viewers),
        number("groups", entry.load.groups), number("updated_ms", updated)}) {
    if (error) return fail(std::move(*error));
  }
  if (updated > static_cast<std::uint64_t>(INT64_MAX))
    return fail(std::string("updated_ms too large"));
  entry.updated_ms = static_cast<std::int64_t>(updated);
  const auto cpu = field("cpu_pct");
  if (!cpu) return fail(std::string("no field cpu_pct"));
  const char* cpu_end = cpu->data() + cpu->size();
  const auto [ptr, ec] = std::from_chars(cpu->data(), cpu_end, entry.load.cpu_pct);
  if (cpu->empty() || ec != std::errc{} || ptr != cpu_end || !std::isfinite(entry.load.cpu_pct) ||
      entry.load.cpu_pct < 0) {
    return fail("field cpu_pct is not a percentage: " + core::in_quotes(*cpu));
  }
  return entry;
}

MediaNodeDirectory::MediaNodeDirectory(RedisClient& redis, const core::TimeSource& time,
                                       std::optional<MediaNodeAddress> self,
                                       MediaNodeDirectoryOptions options)
    : redis_(redis),
      time_(time),
      self_(std::move(self)),
      options_(options),
      publish_script_("media-node-publish", kPublishScript) {
  assert(!self_ || core::is_valid_node_id(self_->node_id));
  assert(options_.ttl.count() > 0);
}

Result<bool, std::string> MediaNodeDirectory::publish(const MediaNodeLoad& load) {
  assert(self_);
  const MediaNodeAddress& self = *self_;
  const auto now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(time_.wall_now().time_since_epoch())
          .count();
  const std::vector<std::string> keys{keys::media_node(self.node_id)};
  const std::vector<std::string> args{std::to_string(options_.ttl.count()),
                                      "node_id",
                                      self.node_id,
                                      "http_url",
                                      self.http_url,
                                      "rtsp_url",
                                      self.rtsp_url,
                                      "rtp_host",
                                      self.rtp_host,
                                      "rtp_port",
                                      std::to_string(self.rtp_port),
                                      "viewers",
                                      std::to_string(load.viewers),
                                      "groups",
                                      std::to_string(load.groups),
                                      "max_viewers",
                                      std::to_string(self.max_viewers),
                                      "cpu_pct",
                                      format_cpu(load.cpu_pct),
                                      "updated_ms",
                                      std::to_string(now_ms)};
  auto done = redis_.eval(publish_script_, keys, args);
  if (!done) return fail(done.error());
  return true;
}

Result<bool, std::string> MediaNodeDirectory::withdraw() {
  assert(self_);
  auto removed = redis_.integer({"DEL", keys::media_node(self_->node_id)});
  if (!removed) return fail(removed.error());
  return *removed > 0;
}

Result<std::vector<MediaNodeEntry>, std::string> MediaNodeDirectory::fresh_nodes() {
  auto keys =
      scan_keys(redis_, keys::kMediaNodePattern, options_.scan_count, options_.max_scan_rounds);
  if (!keys) return fail(keys.error());
  std::vector<MediaNodeEntry> nodes;
  nodes.reserve(keys->size());
  for (std::size_t first = 0; first < keys->size(); first += kEntriesPerRoundTrip) {
    const std::size_t last = std::min(keys->size(), first + kEntriesPerRoundTrip);
    std::vector<std::vector<std::string>> commands;
    commands.reserve(last - first);
    for (std::size_t i = first; i < last; ++i)
      commands.push_back({"HGETALL", (*keys)[i]});
    auto replies = redis_.pipeline(commands);
    if (!replies) return fail(replies.error());
    for (std::size_t i = 0; i < replies->size(); ++i) {
      const std::string& key = (*keys)[first + i];
      RedisReply& reply = (*replies)[i];
      // Expired between SCAN and HGETALL: gone, not unreadable.
      if (reply.type == RedisReply::Type::array && reply.elements.empty()) continue;
      std::vector<std::string> fields;
      bool strings = reply.type == RedisReply::Type::array;
      for (RedisReply& element : reply.elements) {
        strings = strings && element.type == RedisReply::Type::string;
        fields.push_back(std::move(element.text));
      }
      auto entry =
          strings ? parse_media_node_entry(fields)
                  : Result<MediaNodeEntry, std::string>(fail(reply.type == RedisReply::Type::error
                                                                 ? reply.text
                                                                 : std::string("not a hash")));
      if (entry && keys::media_node(entry->address.node_id) != key) {
        entry =
            fail("its node_id " + core::in_quotes(entry->address.node_id) + " is not the key's");
      }
      if (!entry) {
        // Read on every placement: a bad key is told a few times, then sampled, not on each call.
        if (++unreadable_entries_ <= 10 || unreadable_entries_ % 1000 == 0)
          spdlog::warn("cluster: {}: {}: entry left out: {}", redis_.server_name(), key,
                       entry.error());
        continue;
      }
      nodes.push_back(std::move(entry).value());
    }
  }
  std::sort(nodes.begin(), nodes.end(), [](const MediaNodeEntry& a, const MediaNodeEntry& b) {
    return a.address.node_id < b.address.node_id;
  });
  return nodes;
}

Result<std::optional<MediaNodeEntry>, std::string> MediaNodeDirectory::least_loaded() {
  auto nodes = fresh_nodes();
  if (!nodes) return fail(nodes.error());
  return pick_least_loaded(*nodes);
}

}  // namespace callcast::cluster
