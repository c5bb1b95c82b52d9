#pragma once
// control::MediaControl over a cluster of media nodes (issue 15): what a signaling node without
// --media-url uses when cluster.redis_url is set. One HttpMediaControl per media node of the
// directory (MediaNodeDirectory), each reached at the admin URL the node published.
//
// - create_group (702-703) goes to the least loaded fresh node (pick_least_loaded); a node that
//   does not answer (`unavailable`) is passed over for the next one.
// - Calls about one group go to the node its location names (GroupLocations), remembered for a
//   short while so that a viewer's admission does not cost a Redis round trip each time.
// - Viewers (711-712) are admitted on the group's node (its origin) while it has room: fewer
//   viewers than its cluster.max_viewers_per_node, counted as the larger of its directory entry's
//   load and the group's viewers recorded on it (callcast:group:<number>:viewers, written at each
//   admission, so that a burst of viewers does not outrun the entry's refresh). Beyond that, or
//   when the origin answers limit_reached, the viewer goes to an edge: a fresh node other than the
//   origin with room, one already relaying the group first (its edges set, or a node serving
//   viewers of it), else the least loaded. The origin admits "edge-<node id>" (its play URL, token
//   inside), the edge opens its pull from that URL (open_edge) and the viewer is admitted there.
//   The viewer's later calls (start_phone_viewer, start_webrtc_viewer, remove_viewer) go to the
//   node recorded for it. The limit is soft by the few viewers other signaling nodes may admit
//   at the same moment.
// - list_groups is the union of the fresh nodes' groups; it fails unless every fresh node
//   answered (a resync must not take a node's silence for the end of its broadcasts). An edge's
//   copy of a group (its origin_url set) is not a group of its own: its viewers are listed with
//   the origin's. Events of an edge's copy about viewers are passed on; its master and closing
//   events are not the broadcast's (an edge closes with edge_closed or origin_lost).
// - A lost edge node's viewers are reported as viewer_left (reason kMediaNodeLost): their calls
//   end, the broadcast goes on.
// - Events come from Redis pub/sub (ClusterEventSubscriber); the resync handler runs when they
//   may have been missed (first subscription, a reconnection, a node's gap or restart).
// - A media node lost (its directory entry expired: killed, hung, cut off): its groups are
//   reported closed, reason kMediaNodeLost, so that the network side ends their calls with a
//   BYE saying why. Not re-created elsewhere: a terminal cannot be told a new publish URL
//   mid-call (no re-INVITE of ours carries one), and its viewers' RTSP sessions are with the
//   dead node; a clean end lets the broadcaster call again, landing on a live node.
//
// Redis runs on a thread of the control's own (its own RedisClient); results and every
// callback come back on `io`, as with HttpMediaControl. Calls may come from any thread.
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/cluster_event_subscriber.hpp"
#include "cluster/redis_client.hpp"
#include "control/media_control.hpp"
#include "control/resync_cause.hpp"
#include "core/host_port.hpp"
#include "http/http_media_control.hpp"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace callcast::cluster {

// The reason of the group_closed events a lost media node's groups get.
inline constexpr std::string_view kMediaNodeLost = "media_node_lost";

struct ClusterMediaControlOptions {
  core::HostPort redis;
  std::string api_key;                             // the media nodes' admin API key
  std::chrono::milliseconds media_node_ttl{6000};  // cluster.media_node_ttl_ms
  // How often the directory is read for nodes that joined or were lost.
  std::chrono::milliseconds directory_poll{1000};
  // How long a group's node is trusted without asking Redis again.
  std::chrono::milliseconds location_cache{2000};
  http::HttpMediaControlOptions http;
  RedisClientOptions redis_options;
  ClusterEventSubscriberOptions events;
};

struct ClusterMediaControlStats {
  std::size_t fresh_nodes = 0;
  std::uint64_t placements = 0;       // groups created
  std::uint64_t placement_skips = 0;  // nodes passed over as unavailable
  std::uint64_t nodes_lost = 0;
  std::uint64_t groups_lost = 0;  // reported closed with a lost node
};

class ClusterMediaControl final : public control::MediaControl {
 public:
  ClusterMediaControl(boost::asio::io_context& io, ClusterMediaControlOptions options);
  ~ClusterMediaControl() override;  // stop()
  ClusterMediaControl(const ClusterMediaControl&) = delete;
  ClusterMediaControl& operator=(const ClusterMediaControl&) = delete;

  // Reads the directory now (a start-up check: Redis unreachable is a clear error) and starts
  // watching it.
  Result<std::size_t, std::string> start();
  // Stops the thread, the event subscription and every node's client; callbacks not yet run
  // are dropped.
  void stop();

  // As HttpMediaControl's: runs on `io`. Set it before subscribe().
  void set_resync_handler(std::function<void(control::ResyncCause)> on_resync);

  // On `io`: `done` gets the counters.
  void stats(std::function<void(ClusterMediaControlStats)> done);

  void create_group(std::string master, control::Done<control::GroupCreated> done) override;
  void admit_viewer(std::string group, std::string viewer,
                    control::Done<control::ViewerAdmitted> done) override;
  void start_phone_viewer(control::PhoneViewerRequest request,
                          control::Done<control::PhoneViewerStarted> done) override;
  void start_phone_publisher(control::PhonePublisherRequest request,
                             control::Done<control::PhonePublisherStarted> done) override;
  void start_webrtc_viewer(control::WebRtcViewerRequest request,
                           control::Done<control::WebRtcViewerStarted> done) override;
  void start_webrtc_publisher(control::WebRtcPublisherRequest request,
                              control::Done<control::WebRtcViewerStarted> done) override;
  // Refused (bad_request): edges are opened by admit_viewer when the group's node is full (or
  // on a media node directly, POST /v1/edges on it), not by the network side.
  void open_edge(control::EdgeRequest request, control::Done<control::EdgeOpened> done) override;
  void remove_viewer(std::string group, std::string viewer, control::Done<bool> done) override;
  void close_group(std::string group, control::Done<bool> done) override;
  void list_groups(control::Done<std::vector<control::GroupSnapshot>> done) override;
  void get_group(std::string group, control::Done<control::GroupSnapshot> done) override;
  void subscribe(std::function<void(const core::GroupEvent&)> listener) override;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace callcast::cluster
