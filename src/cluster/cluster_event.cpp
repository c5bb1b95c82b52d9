#include "cluster/cluster_event.hpp"

#include <nlohmann/json.hpp>
#include <utility>

#include "core/config.hpp"
#include "core/group_registry.hpp"

namespace callcast::cluster {

namespace {

constexpr std::size_t kMaxEpochBytes = 128;
constexpr std::size_t kMaxReasonBytes = 512;

using Json = nlohmann::json;

// A string member of `object` of at most `max` bytes, or the error naming it.
Result<std::string, std::string> string_member(const Json& object, const char* name,
                                               std::size_t max) {
  const auto found = object.find(name);
  if (found == object.end()) return fail("no \"" + std::string(name) + "\"");
  if (!found->is_string()) return fail("\"" + std::string(name) + "\" must be a string");
  const auto& text = found->get_ref<const std::string&>();
  if (text.size() > max) {
    return fail("\"" + std::string(name) + "\" is longer than " + std::to_string(max) + " bytes");
  }
  return text;
}

}  // namespace

std::string encode_cluster_event(const ClusterEvent& event) {
  const core::GroupEvent& group_event = event.logged.event;
  const Json json = {{"node", event.node_id},
                     {"epoch", event.epoch},
                     {"seq", event.logged.seq},
                     {"unix_ms", event.logged.unix_ms},
                     {"kind", core::to_string(group_event.kind)},
                     {"group", group_event.group},
                     {"terminal", group_event.terminal},
                     {"reason", group_event.reason}};
  // Invalid UTF-8 in a reason (it comes from peers' text) is replaced, never thrown about.
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Result<DecodedClusterEvent, std::string> decode_cluster_event(std::string_view message) {
  if (message.size() > kMaxClusterEventBytes) {
    return fail("longer than " + std::to_string(kMaxClusterEventBytes) + " bytes");
  }
  const Json json = Json::parse(message, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return fail(std::string("not valid JSON"));
  if (!json.is_object()) return fail(std::string("not a JSON object"));

  DecodedClusterEvent decoded;
  auto node = string_member(json, "node", 64);
  if (!node) return fail(node.error());
  if (!core::is_valid_node_id(*node)) return fail("invalid node id " + core::in_quotes(*node));
  decoded.node_id = std::move(node).value();
  auto epoch = string_member(json, "epoch", kMaxEpochBytes);
  if (!epoch) return fail(epoch.error());
  decoded.epoch = std::move(epoch).value();

  // get<uint64_t> would turn -1 into 2^64-1: a sequence number must be a non-negative integer.
  const auto seq = json.find("seq");
  if (seq == json.end() || !seq->is_number_unsigned()) {
    return fail(std::string("\"seq\" must be a non-negative integer"));
  }
  decoded.seq = seq->get<std::uint64_t>();
  const auto unix_ms = json.find("unix_ms");
  if (unix_ms == json.end() || !unix_ms->is_number_integer() ||
      (unix_ms->is_number_unsigned() &&
       unix_ms->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX))) {
    return fail(std::string("\"unix_ms\" must be an integer"));
  }

  auto kind_text = string_member(json, "kind", 64);
  if (!kind_text) return fail(kind_text.error());
  auto group = string_member(json, "group", 64);
  if (!group) return fail(group.error());
  if (!core::is_valid_number(*group)) return fail("invalid group " + core::in_quotes(*group));
  auto terminal = string_member(json, "terminal", 64);
  if (!terminal) return fail(terminal.error());
  if (!terminal->empty() && !core::is_valid_number(*terminal)) {
    return fail("invalid terminal " + core::in_quotes(*terminal));
  }
  auto reason = string_member(json, "reason", kMaxReasonBytes);
  if (!reason) return fail(reason.error());

  const std::optional<core::GroupEventKind> kind = core::parse_group_event_kind(*kind_text);
  if (!kind) return decoded;
  ClusterEvent event;
  event.node_id = decoded.node_id;
  event.epoch = decoded.epoch;
  event.logged.seq = decoded.seq;
  event.logged.unix_ms = unix_ms->get<std::int64_t>();
  event.logged.event = core::GroupEvent{*kind, std::move(group).value(),
                                        std::move(terminal).value(), std::move(reason).value()};
  decoded.event = std::move(event);
  return decoded;
}

}  // namespace callcast::cluster
