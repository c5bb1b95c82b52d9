#include "cluster/group_locations.hpp"

#include <algorithm>
#include <cassert>
#include <map>
#include <utility>

#include "cluster/cluster_keys.hpp"
#include "core/config.hpp"
#include "core/group_registry.hpp"

namespace callcast::cluster {

namespace {

// KEYS[1] the group; ARGV[1] TTL ms, then node, group_id, created_ms, signaling_node, master.
// 1 when created; the holder's HGETALL when the number is taken.
constexpr const char* kClaimScript = R"lua(
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.call('HGETALL', KEYS[1])
end
redis.call('HSET', KEYS[1], 'node', ARGV[2], 'group_id', ARGV[3], 'created_ms', ARGV[4],
           'signaling_node', ARGV[5], 'master', ARGV[6])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
)lua";

// KEYS[1] the group; ARGV[1] the owner, ARGV[2] TTL ms. A missing key's HGET is false, never
// equal to a node id.
constexpr const char* kRenewScript = R"lua(
if redis.call('HGET', KEYS[1], 'node') ~= ARGV[1] then
  return 0
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
)lua";

// KEYS[1] the group, KEYS[2] its edges, KEYS[3] its viewers' nodes; ARGV[1] the owner.
constexpr const char* kReleaseScript = R"lua(
if redis.call('HGET', KEYS[1], 'node') ~= ARGV[1] then
  return 0
end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
return 1
)lua";

std::optional<std::string> invalid_number(std::string_view number) {
  if (core::is_valid_number(number)) return std::nullopt;
  return "invalid group number " + core::in_quotes(number) +
         " (1-32 characters of [0-9A-Za-z+._-])";
}

std::optional<std::string> invalid_viewer(std::string_view viewer) {
  if (core::is_valid_number(viewer)) return std::nullopt;
  return "invalid viewer " + core::in_quotes(viewer) + " (1-32 characters of [0-9A-Za-z+._-])";
}

std::optional<std::string> invalid_node(std::string_view node) {
  if (core::is_valid_node_id(node)) return std::nullopt;
  return "invalid node id " + core::in_quotes(node) + " (1-64 characters of [0-9A-Za-z._:-])";
}

}  // namespace

Result<GroupLocation, std::string> parse_group_location(std::string_view number,
                                                        const std::vector<std::string>& fields) {
  if (fields.size() % 2 != 0) return fail(std::string("odd number of fields and values"));
  std::map<std::string_view, std::string_view> hash;
  for (std::size_t i = 0; i + 1 < fields.size(); i += 2)
    hash[fields[i]] = fields[i + 1];
  GroupLocation location;
  location.number = std::string(number);
  std::string created;
  for (const auto& [name, out] : {std::pair<std::string_view, std::string*>{"node", &location.node},
                                  {"group_id", &location.group_id},
                                  {"created_ms", &created},
                                  {"signaling_node", &location.signaling_node},
                                  {"master", &location.master}}) {
    const auto found = hash.find(name);
    if (found == hash.end()) return fail("no field " + std::string(name));
    out->assign(found->second);
  }
  if (auto bad = invalid_node(location.node)) return fail("node: " + *bad);
  const auto ms = parse_redis_integer(created);
  if (!ms || *ms < 0) return fail("created_ms is not a time: " + core::in_quotes(created));
  location.created_ms = *ms;
  return location;
}

GroupLocations::GroupLocations(RedisClient& redis, GroupLocationsOptions options)
    : redis_(redis),
      options_(options),
      claim_script_("group-claim", kClaimScript),
      renew_script_("group-renew", kRenewScript),
      release_script_("group-release", kReleaseScript) {
  assert(options_.ttl.count() > 0 && options_.edge_ttl.count() > 0);
}

Result<GroupClaim, std::string> GroupLocations::claim(const GroupLocation& location) {
  if (auto bad = invalid_number(location.number)) return fail(std::move(*bad));
  if (auto bad = invalid_node(location.node)) return fail(std::move(*bad));
  if (!location.signaling_node.empty()) {
    if (auto bad = invalid_node(location.signaling_node)) return fail(std::move(*bad));
  }
  const std::vector<std::string> keys{keys::group(location.number)};
  const std::vector<std::string> args{
      std::to_string(options_.ttl.count()), location.node,           location.group_id,
      std::to_string(location.created_ms),  location.signaling_node, location.master};
  auto reply = redis_.eval(claim_script_, keys, args);
  if (!reply) return fail(reply.error());
  if (reply->type == RedisReply::Type::integer && reply->integer == 1) {
    return GroupClaim{true, location};
  }
  std::vector<std::string> fields;
  bool strings = reply->type == RedisReply::Type::array;
  for (RedisReply& element : reply->elements) {
    strings = strings && element.type == RedisReply::Type::string;
    fields.push_back(std::move(element.text));
  }
  auto holder =
      strings ? parse_group_location(location.number, fields)
              : Result<GroupLocation, std::string>(fail("expected 1 or the holder's fields, got " +
                                                        std::string(to_string(reply->type))));
  if (!holder) {
    return fail(redis_.server_name() + ": " + keys.front() +
                " is held but unreadable: " + holder.error());
  }
  return GroupClaim{false, std::move(holder).value()};
}

Result<bool, std::string> GroupLocations::renew(std::string_view number, std::string_view node) {
  if (auto bad = invalid_number(number)) return fail(std::move(*bad));
  const std::vector<std::string> keys{keys::group(number)};
  const std::vector<std::string> args{std::string(node), std::to_string(options_.ttl.count())};
  auto reply = redis_.eval(renew_script_, keys, args);
  if (!reply) return fail(reply.error());
  return reply->type == RedisReply::Type::integer && reply->integer == 1;
}

Result<bool, std::string> GroupLocations::release(std::string_view number, std::string_view node) {
  if (auto bad = invalid_number(number)) return fail(std::move(*bad));
  const std::vector<std::string> keys{keys::group(number), keys::group_edges(number),
                                      keys::group_viewers(number)};
  const std::vector<std::string> args{std::string(node)};
  auto reply = redis_.eval(release_script_, keys, args);
  if (!reply) return fail(reply.error());
  return reply->type == RedisReply::Type::integer && reply->integer == 1;
}

Result<std::optional<GroupLocation>, std::string> GroupLocations::lookup(std::string_view number) {
  if (auto bad = invalid_number(number)) return fail(std::move(*bad));
  const std::string key = keys::group(number);
  auto fields = redis_.strings({"HGETALL", key});
  if (!fields) return fail(fields.error());
  if (fields->empty()) return std::optional<GroupLocation>();
  auto location = parse_group_location(number, *fields);
  if (!location) {
    return fail(redis_.server_name() + ": " + key + " is unreadable: " + location.error());
  }
  return std::optional<GroupLocation>(std::move(location).value());
}

Result<bool, std::string> GroupLocations::add_edge(std::string_view number, std::string_view node) {
  if (auto bad = invalid_number(number)) return fail(std::move(*bad));
  if (auto bad = invalid_node(node)) return fail(std::move(*bad));
  const std::string key = keys::group_edges(number);
  const std::vector<std::vector<std::string>> commands{
      {"SADD", key, std::string(node)},
      {"PEXPIRE", key, std::to_string(options_.edge_ttl.count())}};
  auto replies = redis_.pipeline(commands);
  if (!replies) return fail(replies.error());
  const RedisReply& added = replies->front();
  if (added.type != RedisReply::Type::integer) {
    return fail(redis_.server_name() + ": SADD " + key + ": " +
                (added.type == RedisReply::Type::error
                     ? added.text
                     : "expected an integer, got " + std::string(to_string(added.type))));
  }
  return added.integer == 1;
}

Result<bool, std::string> GroupLocations::remove_edge(std::string_view number,
                                                      std::string_view node) {
  if (auto bad = invalid_number(number)) return fail(std::move(*bad));
  auto removed = redis_.integer({"SREM", keys::group_edges(number), node});
  if (!removed) return fail(removed.error());
  return *removed == 1;
}

Result<std::vector<std::string>, std::string> GroupLocations::edges(std::string_view number) {
  if (auto bad = invalid_number(number)) return fail(std::move(*bad));
  const std::string key = keys::group_edges(number);
  auto members = redis_.strings({"SMEMBERS", key});
  if (!members) return fail(members.error());
  if (members->empty()) return std::vector<std::string>();
  std::vector<std::vector<std::string>> commands;
  commands.reserve(members->size());
  for (const std::string& node : *members)
    commands.push_back({"EXISTS", keys::media_node(node)});
  auto exists = redis_.pipeline(commands);
  if (!exists) return fail(exists.error());
  std::vector<std::string> fresh;
  std::vector<std::string> stale_removal{"SREM", key};
  for (std::size_t i = 0; i < members->size(); ++i) {
    const RedisReply& reply = (*exists)[i];
    if (reply.type == RedisReply::Type::integer && reply.integer == 1) {
      fresh.push_back((*members)[i]);
    } else {
      stale_removal.push_back((*members)[i]);
    }
  }
  // An edge whose node stopped refreshing is dead: it relays nothing any more.
  if (stale_removal.size() > 2) {
    if (auto removed = redis_.command(stale_removal); !removed) return fail(removed.error());
  }
  std::sort(fresh.begin(), fresh.end());
  return fresh;
}

Result<bool, std::string> GroupLocations::assign_viewer(std::string_view number,
                                                        std::string_view viewer,
                                                        std::string_view node) {
  if (auto bad = invalid_number(number)) return fail(std::move(*bad));
  if (auto bad = invalid_viewer(viewer)) return fail(std::move(*bad));
  if (auto bad = invalid_node(node)) return fail(std::move(*bad));
  const std::string key = keys::group_viewers(number);
  const std::vector<std::vector<std::string>> commands{
      {"HSET", key, std::string(viewer), std::string(node)},
      {"PEXPIRE", key, std::to_string(options_.viewers_ttl.count())}};
  auto replies = redis_.pipeline(commands);
  if (!replies) return fail(replies.error());
  const RedisReply& set = replies->front();
  if (set.type != RedisReply::Type::integer) {
    return fail(redis_.server_name() + ": HSET " + key + ": " +
                (set.type == RedisReply::Type::error
                     ? set.text
                     : "expected an integer, got " + std::string(to_string(set.type))));
  }
  return set.integer == 1;
}

Result<bool, std::string> GroupLocations::unassign_viewer(std::string_view number,
                                                          std::string_view viewer) {
  if (auto bad = invalid_number(number)) return fail(std::move(*bad));
  auto removed = redis_.integer({"HDEL", keys::group_viewers(number), viewer});
  if (!removed) return fail(removed.error());
  return *removed == 1;
}

Result<std::map<std::string, std::string>, std::string> GroupLocations::viewer_nodes(
    std::string_view number) {
  if (auto bad = invalid_number(number)) return fail(std::move(*bad));
  const std::string key = keys::group_viewers(number);
  auto fields = redis_.strings({"HGETALL", key});
  if (!fields) return fail(fields.error());
  if (fields->size() % 2 != 0) {
    return fail(redis_.server_name() + ": HGETALL " + key + ": odd number of fields and values");
  }
  std::map<std::string, std::string> nodes;
  for (std::size_t i = 0; i + 1 < fields->size(); i += 2)
    nodes[(*fields)[i]] = (*fields)[i + 1];
  return nodes;
}

}  // namespace callcast::cluster
