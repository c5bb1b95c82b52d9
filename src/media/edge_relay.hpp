#pragma once
// Issue 15: this node as an edge of groups held by other nodes (their origins). A group opened
// here by open_edge is an ordinary group of this node's registry whose publisher is not a
// terminal but an OriginPuller: one RTSP/TCP play session at the origin (the origin admitted it
// as viewer "edge-<node>"). Its media goes through this node's relay like a master's, so the
// GOP cache, the repair ring (NACKs answered here), thinning and tokens work for the edge's
// viewers; their keyframe requests reach the origin as RTCP on the pull's interleaved channels,
// merged and rate-limited by the relay as for any publisher, and the origin forwards them to the
// master.
//
// Life of an edge group: created waiting (viewers admitted meanwhile wait as for any new
// group), live (706) with the pull's first media, closed with reason "edge_closed" once no
// viewer played for media.edge_linger_s, or "origin_lost" when the origin goes (TEARDOWN, EOF,
// reset, bad input, silent for media.publisher_stall_s): its viewers then end as when a master
// ends. Runs on the media loop.
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "control/media_control.hpp"
#include "core/result.hpp"
#include "media/relay_packet.hpp"
#include "media/server_context.hpp"
#include "rtp/byte_io.hpp"
#include "sdp/session_description.hpp"

namespace callcast::media {

class OriginPuller;

// The origin's play URL as snapshots and logs show it: without its query (the token that
// admits this node there is a credential).
std::string origin_url_without_token(std::string_view url);

class EdgeRelays {
 public:
  static constexpr std::string_view kEdgeClosed = "edge_closed";
  static constexpr std::string_view kOriginLost = "origin_lost";

  EdgeRelays(boost::asio::io_context& io, ServerContext& context);
  ~EdgeRelays();
  EdgeRelays(const EdgeRelays&) = delete;
  EdgeRelays& operator=(const EdgeRelays&) = delete;

  // Idempotent per group: a group already relayed here answers created = false.
  Result<control::EdgeOpened, control::ControlError> open(const control::EdgeRequest& request);
  // A viewer admitted here: the linger starts again (it is on its way).
  void viewer_admitted(const std::string& group);
  // Lingers past their time (edge_closed), origins silent past the stall time (origin_lost).
  // Runs before the directory's sweep, whose stall handling would otherwise end the group as a
  // master's.
  void sweep(Clock::time_point now);
  // The group closed, whatever the reason (also a DELETE by the operator): its pull stops.
  void forget(const std::string& group);
  void stop();

  bool is_edge(std::string_view group) const { return edges_.contains(group); }
  // Empty for a group that is not an edge's.
  std::string origin_of(std::string_view group) const;
  // For GET /metrics.
  std::size_t pulling() const { return edges_.size(); }
  std::uint64_t bytes_pulled() const;
  std::uint64_t opened() const { return opened_; }
  std::uint64_t origins_lost() const { return origins_lost_; }

 private:
  struct Edge {
    std::string master;
    std::string origin_url;  // without its token
    std::shared_ptr<OriginPuller> puller;
    std::string session;  // the publisher session fed by the pull, once described
    bool live = false;
    Clock::time_point idle_since;  // no viewer playing since then
    Clock::time_point last_media;  // the pull's latest packet (or its start)
  };

  std::optional<std::string> on_described(const std::string& group,
                                          const sdp::SessionDescription& sdp);
  void on_packet(const std::string& group, std::size_t track, bool rtcp, rtp::Bytes payload);
  void end(const std::string& group, std::string_view reason, const std::string& why);

  boost::asio::io_context& io_;
  ServerContext& ctx_;
  std::map<std::string, Edge, std::less<>> edges_;
  std::uint64_t bytes_pulled_done_ = 0;  // of edges gone
  std::uint64_t opened_ = 0;
  std::uint64_t origins_lost_ = 0;
};

}  // namespace callcast::media
