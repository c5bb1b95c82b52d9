#include "media/edge_relay.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/ip/address.hpp>

#include "core/group_registry.hpp"
#include "media/group_directory.hpp"
#include "media/origin_puller.hpp"
#include "media/publisher_session.hpp"
#include "media/session_table.hpp"
#include "rtp/rtcp.hpp"
#include "rtsp/rtsp_url.hpp"

namespace callcast::media {

namespace {

using control::ControlError;
using control::ControlErrorCode;

bool says_bye(rtp::Bytes compound) {
  constexpr std::uint8_t kBye = 203;  // RFC 3550 §6.6
  const auto view = rtp::RtcpCompoundView::parse(compound);
  if (!view) return false;
  for (const auto& packet : *view) {
    if (packet.type() == kBye) return true;
  }
  return false;
}

std::int64_t edge_ms(Clock::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

}  // namespace

std::string origin_url_without_token(std::string_view url) {
  return std::string(url.substr(0, url.find('?')));
}

EdgeRelays::EdgeRelays(boost::asio::io_context& io, ServerContext& context)
    : io_(io), ctx_(context) {}

EdgeRelays::~EdgeRelays() {
  stop();
}

void EdgeRelays::stop() {
  for (auto& [group, edge] : edges_) {
    bytes_pulled_done_ += edge.puller->bytes_pulled();
    edge.puller->stop();
  }
  edges_.clear();
}

std::string EdgeRelays::origin_of(std::string_view group) const {
  auto it = edges_.find(group);
  return it == edges_.end() ? std::string() : it->second.origin_url;
}

std::uint64_t EdgeRelays::bytes_pulled() const {
  std::uint64_t total = bytes_pulled_done_;
  for (const auto& [group, edge] : edges_)
    total += edge.puller->bytes_pulled();
  return total;
}

Result<control::EdgeOpened, ControlError> EdgeRelays::open(const control::EdgeRequest& request) {
  const std::string& group = request.group;
  if (!core::is_valid_number(group) || !core::is_valid_number(request.master)) {
    return fail(ControlError{ControlErrorCode::bad_request, "bad group or master number"});
  }
  // A group is named by its master's number (704): the edge's copy is no different.
  if (group != request.master) {
    return fail(ControlError{ControlErrorCode::bad_request,
                             "group " + group + " is not master " + request.master + "'s"});
  }
  auto url = rtsp::parse_rtsp_url(request.origin_url);
  if (!url) return fail(ControlError{ControlErrorCode::bad_request, "origin_url: " + url.error()});
  if (boost::system::error_code ec; boost::asio::ip::make_address(url->host, ec), ec) {
    return fail(ControlError{ControlErrorCode::bad_request,
                             "origin_url: the host is not an IP address: " + url->host});
  }
  if (auto it = edges_.find(group); it != edges_.end()) {
    viewer_admitted(group);
    return control::EdgeOpened{group, false};
  }
  if (ctx_.directory.registry().find(group) != nullptr) {
    return fail(ControlError{ControlErrorCode::conflict,
                             "group " + group + " is held by this node itself, not relayed"});
  }
  auto created = ctx_.directory.create_group(group);
  if (!created) return fail(created.error());

  OriginPuller::Events events;
  events.described = [this, group](const sdp::SessionDescription& sdp) {
    return on_described(group, sdp);
  };
  events.packet = [this, group](std::size_t track, bool rtcp, rtp::Bytes payload) {
    on_packet(group, track, rtcp, payload);
  };
  // The read's packets go to the fan-out now, as a RECORD connection's after each read
  // (RtspServer::on_read_done). Unflushed, the relay's batch left only when full
  // (max_batch_packets, 256: about 0.9 s of a 2 Mbit/s stream), and the edge's UDP viewers got
  // the group in bursts 0 to 0.9 s late (callcast-bench media --edge measured it).
  events.read_done = [this, group] {
    auto it = edges_.find(group);
    if (it == edges_.end() || it->second.session.empty()) return;
    Session* found = ctx_.sessions.find(it->second.session);
    if (found == nullptr || found->kind() != SessionKind::publisher) return;
    if (GroupMedia* media = static_cast<PublisherSession*>(found)->media()) media->flush();
  };
  events.failed = [this, group](const std::string& reason) {
    end(group, kOriginLost, "the pull failed: " + reason);
  };
  OriginPullerOptions options;
  options.max_response_bytes = std::max<std::size_t>(ctx_.config.max_rtsp_message_bytes, 64 * 1024);
  Edge& edge = edges_[group];
  edge.master = request.master;
  edge.origin_url = origin_url_without_token(request.origin_url);
  edge.puller = OriginPuller::create(io_, request.origin_url, std::move(events), options);
  const auto now = ctx_.time.now();
  edge.idle_since = now;
  edge.last_media = now;
  ++opened_;
  spdlog::info(
      "group={} terminal={} step=714 edge {}:{} pulling the group from its origin {} over "
      "RTSP/TCP",
      group, request.master, ctx_.directory.public_host(), ctx_.bound.rtsp.port, edge.origin_url);
  // Started last: a URL it cannot use fails at once, and that failure closes the group.
  auto puller = edge.puller;
  puller->start();
  return control::EdgeOpened{group, true};
}

void EdgeRelays::viewer_admitted(const std::string& group) {
  if (auto it = edges_.find(group); it != edges_.end()) it->second.idle_since = ctx_.time.now();
}

std::optional<std::string> EdgeRelays::on_described(const std::string& group,
                                                    const sdp::SessionDescription& sdp) {
  auto it = edges_.find(group);
  if (it == edges_.end()) return "the edge group is gone";
  Edge& edge = it->second;
  auto tracks = describe_tracks(sdp);
  if (!tracks) return "the origin's tracks cannot be relayed: " + tracks.error();
  auto fresh = std::make_unique<PublisherSession>(ctx_.sessions.new_id(), group, edge.master,
                                                  ctx_.time.now(), *tracks, sdp);
  fresh->udp = false;
  for (std::size_t i = 0; i < tracks->size(); ++i) {
    fresh->track_set_up[i] = true;
    fresh->rtcp_channel[i] = static_cast<std::uint8_t>(i * 2 + 1);
  }
  edge.session = ctx_.sessions.add(std::move(fresh)).id();
  spdlog::info("group={} terminal={} step=714 edge: the origin {} described {} track(s)", group,
               edge.master, edge.puller->origin(), tracks->size());
  return std::nullopt;
}

void EdgeRelays::on_packet(const std::string& group, std::size_t track, bool rtcp,
                           rtp::Bytes payload) {
  auto it = edges_.find(group);
  if (it == edges_.end()) return;
  Edge& edge = it->second;
  Session* found = edge.session.empty() ? nullptr : ctx_.sessions.find(edge.session);
  if (found == nullptr || found->kind() != SessionKind::publisher) return;
  auto& session = static_cast<PublisherSession&>(*found);
  const auto now = ctx_.time.now();
  edge.last_media = now;
  session.last_activity = now;
  if (!session.recording()) {
    // 706 for the edge's own viewers: the group is live with the pull's first media.
    auto joined = ctx_.directory.registry().publisher_joined(group, edge.master);
    if (!joined) {
      return end(group, kOriginLost,
                 "the group could not go live: " + std::string(core::to_string(joined.error())));
    }
    GroupMedia& media = ctx_.directory.start_recording(session);
    PublisherRtcpPath path;
    path.tcp = true;
    path.writer = std::static_pointer_cast<InterleavedWriter>(edge.puller);
    path.rtcp_channel = session.rtcp_channel;
    path.nack = false;  // TCP does not lose
    // Our receiver reports keep the origin's session of this pull alive (its session timeout
    // counts RTCP from its viewers), whatever the edge's viewers ask for.
    path.receiver_reports = true;
    media.set_publisher_rtcp(std::move(path));
    edge.live = true;
    spdlog::info("group={} terminal={} step=706 edge live: first media from the origin {}", group,
                 edge.master, edge.puller->origin());
  }
  if (track >= session.tracks().size()) return;
  if (rtcp && says_bye(payload)) {
    // The origin ends its viewers' sessions with an RTCP BYE when the group ends there (or this
    // edge's admission is revoked) and keeps their connection: no need to wait for a stall.
    return end(group, kOriginLost, "the origin sent RTCP BYE");
  }
  GroupMedia& media = *session.media();
  if (!session.receive(track, rtcp, payload, now)) ++ctx_.counters.malformed_rtp;
  if (media.has_backlog()) ctx_.schedule_pacing();
  ctx_.directory.publisher_input_done(media);  // may close the group
}

void EdgeRelays::sweep(Clock::time_point now) {
  std::vector<std::pair<std::string, std::string>> lost;
  std::vector<std::string> idle;
  for (auto& [group, edge] : edges_) {
    const GroupMedia* media = ctx_.directory.media(group);
    const bool watched = media != nullptr && !media->viewers().empty();
    if (watched) edge.idle_since = now;
    if (now - edge.last_media >= ctx_.config.publisher_stall && edge.puller->playing()) {
      lost.emplace_back(group, "no media from the origin for " +
                                   std::to_string(edge_ms(now - edge.last_media)) + " ms");
    } else if (!watched && now - edge.idle_since >= ctx_.config.edge_linger) {
      idle.push_back(group);
    }
  }
  for (const auto& [group, why] : lost)
    end(group, kOriginLost, why);
  for (const auto& group : idle) {
    end(group, kEdgeClosed,
        "no viewer for " + std::to_string(ctx_.config.edge_linger.count()) + " s");
  }
}

void EdgeRelays::forget(const std::string& group) {
  auto it = edges_.find(group);
  if (it == edges_.end()) return;
  bytes_pulled_done_ += it->second.puller->bytes_pulled();
  auto puller = std::move(it->second.puller);
  edges_.erase(it);
  puller->stop();
}

void EdgeRelays::end(const std::string& group, std::string_view reason, const std::string& why) {
  auto it = edges_.find(group);
  if (it == edges_.end()) return;
  const Edge& edge = it->second;
  if (reason == kOriginLost) {
    ++origins_lost_;
    spdlog::warn(
        "group={} terminal={} step=714 edge {}:{}: origin {} lost ({}): the group ends here, "
        "its viewers as when a master ends",
        group, edge.master, ctx_.directory.public_host(), ctx_.bound.rtsp.port, edge.origin_url,
        why);
  } else {
    spdlog::info("group={} terminal={} step=714 edge {}:{}: {}, dropping the pull from {}", group,
                 edge.master, ctx_.directory.public_host(), ctx_.bound.rtsp.port, why,
                 edge.origin_url);
  }
  // The directory tells forget() (the group's closing hook), which stops the pull.
  (void)ctx_.directory.close_group(group, std::string(reason));
  forget(group);  // in case it was gone from the registry already
}

}  // namespace callcast::media
