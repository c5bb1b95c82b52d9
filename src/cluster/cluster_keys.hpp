#pragma once
// The cluster's Redis key layout (issue 15), in one place. Every key starts with "callcast:" so
// that a Redis shared with other programs stays readable and one SCAN pattern finds a family.
//
//   callcast:media-node:<node-id>     HASH    a media node's addresses and load   PEXPIRE 6 s
//   callcast:group:<number>           HASH    where a live group is held          PEXPIRE 10 s
//   callcast:group:<number>:edges     SET     media nodes relaying it (edges)     PEXPIRE 10 s
//   callcast:group:<number>:viewers   HASH    viewer -> the media node serving it PEXPIRE 12 h
//   callcast:fwd:<number>             STRING  unconditional forwarding target     no expiry
//   callcast:reg:<number>             HASH    a terminal's registered contacts    PEXPIREAT its
//                                             latest binding's expiry
//   callcast:events                   channel the media nodes' group events (JSON)
//
// Node ids (core::is_valid_node_id) and numbers (core::is_valid_number) hold no ':' '*' or '?',
// so "callcast:group:<number>" can never be read as another number's ":edges" (or ":viewers") key
// and no id is a glob pattern. Callers check them before they build a key.
#include <string>
#include <string_view>

namespace callcast::cluster::keys {

inline constexpr std::string_view kMediaNodePrefix = "callcast:media-node:";
inline constexpr std::string_view kMediaNodePattern = "callcast:media-node:*";
inline constexpr std::string_view kGroupPrefix = "callcast:group:";
inline constexpr std::string_view kEdgesSuffix = ":edges";
inline constexpr std::string_view kViewersSuffix = ":viewers";
inline constexpr std::string_view kForwardingPrefix = "callcast:fwd:";
inline constexpr std::string_view kForwardingPattern = "callcast:fwd:*";
inline constexpr std::string_view kRegistrationPrefix = "callcast:reg:";
inline constexpr std::string_view kRegistrationPattern = "callcast:reg:*";
inline constexpr std::string_view kEventsChannel = "callcast:events";

inline std::string media_node(std::string_view node_id) {
  return std::string(kMediaNodePrefix).append(node_id);
}
inline std::string group(std::string_view number) {
  return std::string(kGroupPrefix).append(number);
}
inline std::string group_edges(std::string_view number) {
  return group(number).append(kEdgesSuffix);
}
inline std::string group_viewers(std::string_view number) {
  return group(number).append(kViewersSuffix);
}
inline std::string forwarding(std::string_view number) {
  return std::string(kForwardingPrefix).append(number);
}
inline std::string registration(std::string_view number) {
  return std::string(kRegistrationPrefix).append(number);
}

}  // namespace callcast::cluster::keys
