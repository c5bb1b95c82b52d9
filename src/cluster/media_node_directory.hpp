#pragma once
// The cluster's media nodes as Redis knows them (issue 15): each media node keeps a HASH
// callcast:media-node:<node-id> with its addresses and load, with an expiry it pushes forward on
// every refresh (publish(), every third of the TTL). A node that dies or hangs stops refreshing
// and its key expires: it is out of placement within the TTL, with no one having to notice.
//
// The signaling side reads the fresh nodes (SCAN, never KEYS, which would stall Redis on a big
// keyspace) and places a new group (patent steps 701-703) on the least loaded one.
//
// Uses its RedisClient synchronously, from the client's owner thread.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "cluster/redis_client.hpp"
#include "cluster/redis_script.hpp"
#include "core/result.hpp"
#include "core/time_source.hpp"

namespace callcast::cluster {

// What a media node tells the others about itself: where it is reached.
struct MediaNodeAddress {
  std::string node_id;   // core::is_valid_node_id
  std::string http_url;  // its control API, "http://host:port" (HttpMediaControl's base URL)
  std::string rtsp_url;  // the base of its RTSP URLs, "rtsp://host:port"
  std::string rtp_host;  // where phones send and receive RTP
  std::uint16_t rtp_port = 0;
  std::size_t max_viewers = 0;  // cluster.max_viewers_per_node
  bool operator==(const MediaNodeAddress&) const = default;
};

// How busy it is, refreshed with every publish().
struct MediaNodeLoad {
  std::size_t viewers = 0;
  std::size_t groups = 0;
  double cpu_pct = 0;  // of one core; may exceed 100 on a node with several workers
  bool operator==(const MediaNodeLoad&) const = default;
};

struct MediaNodeEntry {
  MediaNodeAddress address;
  MediaNodeLoad load;
  std::int64_t updated_ms = 0;  // the node's wall clock at its last publish (Unix ms)
  bool operator==(const MediaNodeEntry&) const = default;
};

struct MediaNodeDirectoryOptions {
  std::chrono::milliseconds ttl{6000};  // cluster.media_node_ttl_ms
  std::size_t scan_count = 100;         // SCAN's COUNT hint: keys per round trip
  // SCAN rounds before fresh_nodes() gives up: a keyspace far beyond any cluster's size (or a
  // Redis that keeps answering non-zero cursors) fails clearly instead of looping.
  std::size_t max_scan_rounds = 10'000;
};

// The node to place a new group on: the smallest share of its viewer capacity in use, then the
// fewest groups, then the smallest node id (so that every signaling node picks the same one).
// Nodes without room (viewers >= max_viewers) are passed over; nullopt when none has room.
std::optional<MediaNodeEntry> pick_least_loaded(std::span<const MediaNodeEntry> nodes);

class MediaNodeDirectory {
 public:
  // `self`: this node's entry, for publish() (nullopt on a node that only reads the directory).
  MediaNodeDirectory(RedisClient& redis, const core::TimeSource& time,
                     std::optional<MediaNodeAddress> self, MediaNodeDirectoryOptions options = {});

  // Writes this node's entry and pushes its expiry forward, atomically (one Lua script: a
  // reader never sees an entry without its expiry). The owner calls it every
  // refresh_interval(). Precondition: constructed with `self`.
  Result<bool, std::string> publish(const MediaNodeLoad& load);
  // Removes this node's entry at once (an orderly shutdown), rather than after the TTL.
  Result<bool, std::string> withdraw();
  std::chrono::milliseconds refresh_interval() const { return options_.ttl / 3; }

  // The nodes whose entries have not expired, sorted by node id. Entries that cannot be read
  // (another program's key under the prefix, a field missing) are left out and counted.
  Result<std::vector<MediaNodeEntry>, std::string> fresh_nodes();
  // pick_least_loaded() over fresh_nodes(); nullopt when no fresh node has room.
  Result<std::optional<MediaNodeEntry>, std::string> least_loaded();

  std::uint64_t unreadable_entries() const { return unreadable_entries_; }

 private:
  RedisClient& redis_;
  const core::TimeSource& time_;
  std::optional<MediaNodeAddress> self_;
  MediaNodeDirectoryOptions options_;
  RedisScript publish_script_;
  std::uint64_t unreadable_entries_ = 0;
};

// A HASH's flat field/value list as HGETALL returns it, read back into an entry; the error says
// which field is missing or wrong.
Result<MediaNodeEntry, std::string> parse_media_node_entry(std::span<const std::string> fields);

}  // namespace callcast::cluster
