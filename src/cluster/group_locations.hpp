#pragma once
// Where each live group of the cluster is held (issue 15). A group's number is its master's
// (patent step 704); the media node that creates it (703) claims callcast:group:<number>, a HASH
// {node, group_id, created_ms, signaling_node, master}, and only one node can: the claim is an
// atomic check-and-create in Lua, so two signaling nodes racing on one master's INVITE (701)
// cannot both place it. The owner renews the key's expiry while the group lives (every third of
// the TTL) and releases it when the group ends; a node that dies stops renewing and its groups'
// keys expire, so their numbers can be claimed again on a live node.
//
// Viewers beyond the origin node's room are served by edge nodes relaying the group
// (callcast:group:<number>:edges, a SET of node ids): each edge adds itself while it pulls and
// removes itself when it stops; the set expires on its own when no edge refreshes it, and a
// dead edge's id is dropped when the set is read (its media-node entry has expired).
//
// Which node serves each admitted viewer (callcast:group:<number>:viewers, a HASH viewer -> node)
// is written by the signaling node that admitted it, so that any signaling node routes that
// viewer's later calls (its media start, its removal) to the same node, and counts a node's
// viewers of the group before its directory entry says so. It goes with the group's release; its
// own expiry only bounds what a lost origin leaves behind.
//
// Renew and release compare the owner first (Lua): a node whose key expired and was claimed by
// another can neither extend nor delete the new owner's entry.
//
// Uses its RedisClient synchronously, from the client's owner thread.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/redis_client.hpp"
#include "cluster/redis_script.hpp"
#include "core/result.hpp"

namespace callcast::cluster {

struct GroupLocation {
  std::string number;           // the group's number: its master's (704)
  std::string node;             // the media node holding it (the origin)
  std::string group_id;         // the media side's name for it (today the number again)
  std::int64_t created_ms = 0;  // Unix ms
  std::string signaling_node;   // the signaling node that placed it (701-703)
  std::string master;           // the master's number
  bool operator==(const GroupLocation&) const = default;
};

struct GroupClaim {
  bool claimed = false;  // this claim created the entry
  GroupLocation holder;  // the entry as it stands: this claim's, or the one already there
};

struct GroupLocationsOptions {
  std::chrono::milliseconds ttl{10000};       // cluster.group_ttl_ms
  std::chrono::milliseconds edge_ttl{10000};  // the edges set, pushed forward by add_edge
  std::chrono::milliseconds viewers_ttl{std::chrono::hours(12)};  // pushed forward by assign
};

class GroupLocations {
 public:
  explicit GroupLocations(RedisClient& redis, GroupLocationsOptions options = {});

  // Creates the entry unless one exists (HSETNX semantics for the whole hash). Invalid numbers
  // or node ids are refused before Redis is asked.
  Result<GroupClaim, std::string> claim(const GroupLocation& location);
  // Pushes the expiry forward while `node` owns the entry; false when it does not (expired,
  // released, or claimed by another node meanwhile: the group must stop being served as its).
  Result<bool, std::string> renew(std::string_view number, std::string_view node);
  // Deletes the entry and its edges while `node` owns it; false (and nothing touched) otherwise.
  Result<bool, std::string> release(std::string_view number, std::string_view node);
  Result<std::optional<GroupLocation>, std::string> lookup(std::string_view number);

  // An edge node relaying the group: added, and the set's expiry pushed forward (call it again
  // every third of edge_ttl while relaying). true when it was not listed yet.
  Result<bool, std::string> add_edge(std::string_view number, std::string_view node);
  Result<bool, std::string> remove_edge(std::string_view number, std::string_view node);
  // The edges whose media-node entries are still fresh, sorted; the others are removed.
  Result<std::vector<std::string>, std::string> edges(std::string_view number);

  // The media node serving `viewer` of the group (origin or edge): recorded at its admission,
  // forgotten at its removal.
  Result<bool, std::string> assign_viewer(std::string_view number, std::string_view viewer,
                                          std::string_view node);
  Result<bool, std::string> unassign_viewer(std::string_view number, std::string_view viewer);
  // Every admitted viewer of the group and its node.
  Result<std::map<std::string, std::string>, std::string> viewer_nodes(std::string_view number);

  std::chrono::milliseconds renew_interval() const { return options_.ttl / 3; }

 private:
  RedisClient& redis_;
  GroupLocationsOptions options_;
  RedisScript claim_script_;
  RedisScript renew_script_;
  RedisScript release_script_;
};

// HGETALL's field/value list of a group entry, read back; the error names what is wrong.
Result<GroupLocation, std::string> parse_group_location(std::string_view number,
                                                        const std::vector<std::string>& fields);

}  // namespace callcast::cluster
