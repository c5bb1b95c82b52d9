#pragma once
// A media node's part in the cluster (issue 15): the media service as the admin API sees it,
// plus what the cluster needs to know about this node.
//
// - The directory: this node's entry (where other hosts reach its admin API, RTSP and RTP, and
//   its load: viewers, groups, CPU) refreshed every third of cluster.media_node_ttl_ms, and
//   withdrawn at an orderly stop; a node killed outright lets it expire.
// - Group locations: creating a group (702-703) first claims callcast:group:<number> for this
//   node; a claim another node holds fails the creation as `conflict` (the number is live
//   there). Live groups are renewed every third of cluster.group_ttl_ms and released when they
//   close.
// - Edges: a group relayed here from its origin (open_edge) lists this node in the group's edges
//   set while it lasts, where signaling nodes look first for room for the group's overflow.
// - Events: every core::GroupEvent of the media service is published on callcast:events with
//   this node's id (ClusterEventPublisher), where the signaling nodes read them.
//
// Redis never runs on the media loop: the loop only queues work for the agent's own thread
// (its own RedisClient), which posts results back. With Redis down the media goes on: the
// outage is logged once, every refresh retries it, and only the creation of new groups fails
// (`unavailable`: a group nobody can locate could not be reached by any signaling node).
//
// Threading: the MediaControl calls run on the media service's loop (`io`), as the admin API
// makes them; start() and stop() on the thread that owns the loop.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "cluster/media_node_directory.hpp"
#include "cluster/redis_client.hpp"
#include "control/media_control.hpp"
#include "core/host_port.hpp"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace callcast::cluster {

struct MediaNodeAgentOptions {
  core::HostPort redis;
  std::chrono::milliseconds media_node_ttl{6000};  // cluster.media_node_ttl_ms
  std::chrono::milliseconds group_ttl{10000};      // cluster.group_ttl_ms
  RedisClientOptions redis_options;
};

class MediaNodeAgent final : public control::MediaControl {
 public:
  // `media`: the node's media service; outlives the agent.
  MediaNodeAgent(boost::asio::io_context& io, control::MediaControl& media,
                 MediaNodeAgentOptions options);
  ~MediaNodeAgent() override;  // stop()
  MediaNodeAgent(const MediaNodeAgent&) = delete;
  MediaNodeAgent& operator=(const MediaNodeAgent&) = delete;

  // Subscribes to the media service's events and starts the agent's thread, which publishes
  // `self` at once. Called once, when the node's addresses are known (after its listeners bound).
  void start(MediaNodeAddress self);
  // Releases the live groups' locations and withdraws the entry (each bounded by the Redis
  // client's timeouts), then joins the thread. Idempotent.
  void stop();

  // The load as last counted from the media events (tests and logs).
  MediaNodeLoad load() const;

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
  // An edge's group is not claimed: its location stays the origin's. While this node relays it,
  // the node is listed in the group's edges set (GroupLocations::add_edge, renewed with the
  // node's groups) and taken out when the edge's group closes (edge_closed, origin_lost).
  void open_edge(control::EdgeRequest request, control::Done<control::EdgeOpened> done) override;
  void remove_viewer(std::string group, std::string viewer, control::Done<bool> done) override;
  void close_group(std::string group, control::Done<bool> done) override;
  void list_groups(control::Done<std::vector<control::GroupSnapshot>> done) override;
  void get_group(std::string group, control::Done<control::GroupSnapshot> done) override;
  void subscribe(std::function<void(const core::GroupEvent&)> listener) override;
  control::EventSource* event_source() override;

  struct Shared;

 private:
  control::MediaControl& media_;
  std::shared_ptr<Shared> shared_;
};

}  // namespace callcast::cluster
