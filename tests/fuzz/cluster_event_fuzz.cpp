// Fuzzes the decoder of the media nodes' events on the Redis channel callcast:events
// (cluster/cluster_event.hpp), which any client of the cluster's Redis can PUBLISH to.
// Invariants: never a throw; a refusal has a message (logged with the drop); an accepted event
// has a valid node id and group and, encoded again, decodes to the same event.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cluster/cluster_event.hpp"
#include "core/config.hpp"
#include "core/group_registry.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using callcast::cluster::decode_cluster_event;
  using callcast::cluster::encode_cluster_event;
  const std::string_view message(reinterpret_cast<const char*>(data), size);
  const auto decoded = decode_cluster_event(message);
  if (!decoded) {
    if (decoded.error().empty()) __builtin_trap();
    return 0;
  }
  if (!callcast::core::is_valid_node_id(decoded->node_id)) __builtin_trap();
  if (!decoded->event) return 0;  // a kind this build does not know
  const auto& event = *decoded->event;
  if (!callcast::core::is_valid_number(event.logged.event.group)) __builtin_trap();
  const auto again = decode_cluster_event(encode_cluster_event(event));
  if (!again || !again->event) __builtin_trap();
  const auto& back = again->event->logged;
  if (again->node_id != event.node_id || again->epoch != event.epoch ||
      back.seq != event.logged.seq || back.unix_ms != event.logged.unix_ms ||
      back.event.kind != event.logged.event.kind || back.event.group != event.logged.event.group ||
      back.event.terminal != event.logged.event.terminal) {
    __builtin_trap();
  }
  return 0;
}
