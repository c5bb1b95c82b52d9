#include "cluster/cluster_media_control.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

#include "cluster/group_locations.hpp"
#include "cluster/media_node_directory.hpp"
#include "core/time_source.hpp"

namespace callcast::cluster {

namespace {

using SteadyClock = std::chrono::steady_clock;

control::ControlError control_unavailable(std::string message) {
  return control::ControlError{control::ControlErrorCode::unavailable, std::move(message)};
}

// The viewer an edge node is admitted as at the group's origin (the contract of issue 15).
std::string edge_viewer_name(std::string_view node) {
  return "edge-" + std::string(node);
}

bool is_edge_reason(std::string_view reason) {
  return reason == "edge_closed" || reason == "origin_lost";
}

}  // namespace

// What an admission (711-712) needs to know from Redis: the group's origin, which node serves
// each viewer already admitted, and the edges relaying it.
struct AdmissionView {
  std::optional<GroupLocation> origin;
  std::map<std::string, std::string> viewer_nodes;
  std::vector<std::string> edges;
};

// The control thread's Redis connection and the views on it.
struct ControlRedis {
  explicit ControlRedis(const ClusterMediaControlOptions& options)
      : redis(options.redis, options.redis_options),
        directory(redis, core::RealTimeSource::instance(), std::nullopt,
                  MediaNodeDirectoryOptions{.ttl = options.media_node_ttl}),
        locations(redis) {}
  RedisClient redis;
  MediaNodeDirectory directory;
  GroupLocations locations;
};

struct ClusterMediaControl::Impl : std::enable_shared_from_this<Impl> {
  Impl(boost::asio::io_context& loop, ClusterMediaControlOptions control_options)
      : io(loop), options(std::move(control_options)) {}

  using Job = std::function<void(ControlRedis&)>;

  struct Node {
    MediaNodeEntry entry;
    std::unique_ptr<http::HttpMediaControl> client;
    bool fresh = false;
  };
  struct Located {
    std::string node;
    SteadyClock::time_point at;
  };

  boost::asio::io_context& io;
  ClusterMediaControlOptions options;
  std::atomic<bool> stopped{false};

  // Between the loop and the control's thread.
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<Job> jobs;
  bool stopping = false;
  std::thread thread;
  bool redis_down = false;  // the thread's only

  // The loop's only.
  std::map<std::string, Node, std::less<>> nodes;
  // Each live group's origin node as last learnt (placement, Redis, its events, a listing).
  // Trusted for routing while younger than options.location_cache; kept until the group closes
  // so that a lost node's groups are known.
  std::map<std::string, Located, std::less<>> locations;
  // Clients of nodes that re-registered under a new URL: kept so that their calls in flight
  // still complete.
  std::vector<std::unique_ptr<http::HttpMediaControl>> retired;
  // Issue 15, overflow to edges. Per group: viewer -> the node serving it, as this control
  // admitted or last read it (Redis holds it for every signaling node) ...
  std::map<std::string, std::map<std::string, std::string>, std::less<>> viewer_nodes;
  // ... admissions decided here but not written to Redis yet, counted as the node's all the same
  // so that viewers arriving together do not all take the origin's last place ...
  std::map<std::string, std::map<std::string, std::string>, std::less<>> in_flight;
  // ... and the nodes known to relay it, whose events about it are an edge's, not the origin's.
  std::map<std::string, std::set<std::string>, std::less<>> edge_nodes;
  std::vector<std::function<void(const core::GroupEvent&)>> listeners;
  std::function<void(control::ResyncCause)> on_resync;
  std::unique_ptr<ClusterEventSubscriber> subscriber;
  ClusterMediaControlStats counters;

  void queue(Job job) {
    {
      const std::lock_guard lock(mutex);
      if (stopping) return;
      jobs.push_back(std::move(job));
    }
    wake.notify_one();
  }

  template <class F>
  void on_loop(F f) {
    boost::asio::post(io, [self = shared_from_this(), f = std::move(f)]() mutable {
      if (!self->stopped) f();
    });
  }

  void redis_failed(const std::string& error) {
    if (redis_down) return;
    redis_down = true;
    spdlog::warn("cluster: Redis unreachable ({}); placement and routing wait for it", error);
  }
  void redis_ok() {
    if (!redis_down) return;
    redis_down = false;
    spdlog::info("cluster: Redis reachable again");
  }

  void run() {
    ControlRedis r(options);
    auto next_poll = SteadyClock::now() + options.directory_poll;
    std::unique_lock lock(mutex);
    for (;;) {
      wake.wait_until(lock, next_poll, [this] { return stopping || !jobs.empty(); });
      if (stopping) break;
      while (!jobs.empty() && !stopping) {
        Job job = std::move(jobs.front());
        jobs.pop_front();
        lock.unlock();
        job(r);
        lock.lock();
      }
      if (stopping) break;
      if (SteadyClock::now() >= next_poll) {
        lock.unlock();
        poll_directory(r);
        lock.lock();
        next_poll = SteadyClock::now() + options.directory_poll;
      }
    }
  }

  // On the thread: the fresh nodes, handed to the loop (nodes joined, nodes lost).
  void poll_directory(ControlRedis& r) {
    auto fresh = r.directory.fresh_nodes();
    if (!fresh) return redis_failed(fresh.error());
    redis_ok();
    on_loop([this, fresh = std::move(*fresh)] { apply_directory(fresh); });
  }

  void apply_directory(const std::vector<MediaNodeEntry>& fresh) {
    std::set<std::string, std::less<>> seen;
    for (const auto& entry : fresh) {
      const std::string& id = entry.address.node_id;
      Node& node = nodes[id];
      if (!node.client || node.entry.address.http_url != entry.address.http_url) {
        auto client = http::HttpMediaControl::create(io, entry.address.http_url, options.api_key,
                                                     options.http);
        if (!client) {
          spdlog::warn("cluster: media node {} published an unusable admin URL: {}", id,
                       client.error());
          continue;
        }
        if (node.client) retired.push_back(std::move(node.client));
        node.client = std::move(*client);
      }
      if (!node.fresh) {
        spdlog::info("cluster: media node {} in the directory (admin {}, {} groups, {} viewers)",
                     id, entry.address.http_url, entry.load.groups, entry.load.viewers);
      }
      // The same publish as before: the load counted here since (a group just placed there)
      // is newer than the entry's, and the next placement must see it.
      const bool republished = node.entry.updated_ms != entry.updated_ms;
      const MediaNodeLoad counted_here = node.entry.load;
      node.entry = entry;
      if (!republished && node.fresh) node.entry.load = counted_here;
      node.fresh = true;
      seen.insert(id);
    }
    for (auto& [id, node] : nodes) {
      if (node.fresh && !seen.contains(id)) {
        node.fresh = false;
        node_lost(id);
      }
    }
    counters.fresh_nodes = seen.size();
  }

  // A node whose entry expired is dead, hung or cut off: its groups' media is gone for their
  // terminals. Their calls end with a BYE saying so (the network side maps kMediaNodeLost to
  // its Reason header); re-creating the groups elsewhere is not possible mid-call, see the
  // header.
  void node_lost(const std::string& id) {
    std::vector<std::string> groups;
    for (auto it = locations.begin(); it != locations.end();) {
      if (it->second.node == id) {
        groups.push_back(it->first);
        it = locations.erase(it);
      } else {
        ++it;
      }
    }
    ++counters.nodes_lost;
    counters.groups_lost += groups.size();
    spdlog::warn(
        "cluster: media node {} lost (its directory entry expired): new calls avoid it; its {} "
        "groups are ended (BYE, reason {}), not re-created: a broadcaster cannot be sent a new "
        "publish URL mid-call",
        id, groups.size(), kMediaNodeLost);
    for (const auto& group : groups) {
      forget_group(group);
      deliver(core::GroupEvent{core::GroupEventKind::group_closed, group, group,
                               std::string(kMediaNodeLost)});
    }
    // The viewers it served as an edge of groups held elsewhere: their media is gone, the
    // broadcast is not. Told as their sessions' end, so their calls end alone.
    std::vector<std::pair<std::string, std::string>> stranded;
    for (auto& [group, viewers] : viewer_nodes) {
      for (auto it = viewers.begin(); it != viewers.end();) {
        if (it->second == id) {
          stranded.emplace_back(group, it->first);
          it = viewers.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (auto& [group, relays] : edge_nodes)
      relays.erase(id);
    for (const auto& [group, viewer] : stranded) {
      spdlog::warn("cluster: group={} terminal={} step=714 its edge media node {} was lost", group,
                   viewer, id);
      forget_viewer_in_redis(group, viewer);
      deliver(core::GroupEvent{core::GroupEventKind::viewer_left, group, viewer,
                               std::string(kMediaNodeLost)});
    }
  }

  void forget_group(const std::string& group) {
    viewer_nodes.erase(group);
    in_flight.erase(group);
    edge_nodes.erase(group);
  }

  void forget_viewer_in_redis(const std::string& group, const std::string& viewer) {
    queue([self = shared_from_this(), group, viewer](ControlRedis& r) {
      auto removed = r.locations.unassign_viewer(group, viewer);
      if (!removed) return self->redis_failed(removed.error());
      self->redis_ok();
    });
  }

  void deliver(const core::GroupEvent& event) {
    for (std::size_t i = 0; i < listeners.size() && !stopped; ++i)
      listeners[i](event);
  }

  http::HttpMediaControl* fresh_client(std::string_view id) {
    auto it = nodes.find(id);
    if (it == nodes.end() || !it->second.fresh) return nullptr;
    return it->second.client.get();
  }

  // 702-703: the least loaded fresh node not tried yet; the next one when it does not answer.
  void place(std::string master, std::shared_ptr<std::set<std::string>> tried,
             control::Done<control::GroupCreated> done) {
    std::vector<MediaNodeEntry> candidates;
    for (const auto& [id, node] : nodes) {
      if (node.fresh && node.client && !tried->contains(id)) candidates.push_back(node.entry);
    }
    auto pick = pick_least_loaded(candidates);
    if (!pick) {
      if (!tried->empty()) {
        return done(fail(control_unavailable("no media node of the cluster answered (" +
                                             std::to_string(tried->size()) + " tried)")));
      }
      if (candidates.empty()) {
        return done(fail(control_unavailable("no media node in the cluster's directory")));
      }
      return done(fail(control::ControlError{control::ControlErrorCode::limit_reached,
                                             "every media node of the cluster is full"}));
    }
    const std::string id = pick->address.node_id;
    fresh_client(id)->create_group(
        master, [self = shared_from_this(), master, tried, id, done = std::move(done)](
                    Result<control::GroupCreated, control::ControlError> created) mutable {
          if (self->stopped) return;
          if (!created && created.error().code == control::ControlErrorCode::unavailable) {
            ++self->counters.placement_skips;
            spdlog::warn("cluster: group={} not placed on media node {}: {}; trying the next",
                         master, id, created.error().message);
            tried->insert(id);
            return self->place(std::move(master), std::move(tried), std::move(done));
          }
          if (created) {
            ++self->counters.placements;
            self->locations[master] = Located{id, SteadyClock::now()};
            // Until the node's next publish says so itself: the next placement sees it.
            if (auto it = self->nodes.find(id); it != self->nodes.end()) {
              ++it->second.entry.load.groups;
            }
            spdlog::info("cluster: group={} step=703 placed on media node {}", master, id);
          }
          done(std::move(created));
        });
  }

  // A call about one group, sent to its node: from the location remembered if it is recent,
  // else from Redis.
  template <class T>
  void route(std::string group, control::Done<T> done,
             std::function<void(http::HttpMediaControl&, control::Done<T>)> call) {
    if (auto it = locations.find(group);
        it != locations.end() && SteadyClock::now() - it->second.at < options.location_cache) {
      if (auto* client = fresh_client(it->second.node)) return call(*client, std::move(done));
    }
    queue([self = shared_from_this(), group = std::move(group), done = std::move(done),
           call = std::move(call)](ControlRedis& r) mutable {
      auto found = r.locations.lookup(group);
      if (found) self->redis_ok();
      if (!found) self->redis_failed(found.error());
      self->on_loop([self = self.get(), group = std::move(group), done = std::move(done),
                     call = std::move(call), found = std::move(found)]() mutable {
        if (!found) {
          return done(fail(control_unavailable("cannot find group " + group +
                                               " in the cluster: " + found.error())));
        }
        if (!*found) {
          return done(fail(control::ControlError{
              control::ControlErrorCode::not_found,
              "group " + group + " is not live on any media node of the cluster"}));
        }
        const std::string node = (*found)->node;
        self->locations[group] = Located{node, SteadyClock::now()};
        auto* client = self->fresh_client(node);
        if (client == nullptr) {
          return done(fail(control_unavailable("group " + group + "'s media node " + node +
                                               " is not in the cluster's directory")));
        }
        call(*client, std::move(done));
      });
    });
  }

  void list_groups(control::Done<std::vector<control::GroupSnapshot>> done) {
    struct Gathering {
      std::size_t pending = 0;
      std::vector<control::GroupSnapshot> groups;
      std::vector<std::string> silent;
      control::Done<std::vector<control::GroupSnapshot>> done;
    };
    auto gathering = std::make_shared<Gathering>();
    gathering->done = std::move(done);
    std::vector<std::pair<std::string, http::HttpMediaControl*>> asked;
    for (const auto& [id, node] : nodes) {
      if (node.fresh && node.client) asked.emplace_back(id, node.client.get());
    }
    gathering->pending = asked.size();
    if (asked.empty()) return gathering->done(std::vector<control::GroupSnapshot>{});
    for (const auto& [id, client] : asked) {
      client->list_groups(
          [self = shared_from_this(), gathering,
           id = id](Result<std::vector<control::GroupSnapshot>, control::ControlError> listed) {
            if (self->stopped) return;
            if (listed) {
              for (auto& group : *listed) {
                // An edge's copy is not where the group is held.
                if (group.origin_url.empty()) {
                  self->locations[group.group] = Located{id, SteadyClock::now()};
                } else {
                  self->edge_nodes[group.group].insert(id);
                }
                gathering->groups.push_back(std::move(group));
              }
            } else {
              gathering->silent.push_back(id + " (" + listed.error().message + ")");
            }
            if (--gathering->pending > 0) return;
            if (!gathering->silent.empty()) {
              std::string names;
              for (const auto& name : gathering->silent)
                names += (names.empty() ? "" : ", ") + name;
              return gathering->done(
                  fail(control_unavailable("media nodes did not answer: " + names)));
            }
            gathering->done(self->merge_edge_copies(std::move(gathering->groups)));
          });
    }
  }

  // Issue 15: an edge's copy of a group is not a second group: its viewers are the group's
  // viewers too (a resync must find their calls' sessions). A copy whose origin did not list the
  // group (it closed meanwhile) is left out, and so are the edges' own sessions at the origin
  // (nobody's call, as in on_cluster_event).
  bool is_edge_viewer(std::string_view viewer) const {
    return viewer.starts_with("edge-") && nodes.contains(viewer.substr(5));
  }
  std::vector<control::GroupSnapshot> merge_edge_copies(
      std::vector<control::GroupSnapshot> listed) {
    std::vector<control::GroupSnapshot> groups;
    std::vector<control::GroupSnapshot> copies;
    for (auto& snapshot : listed) {
      std::erase_if(snapshot.viewers,
                    [this](const control::ViewerStats& v) { return is_edge_viewer(v.viewer); });
      (snapshot.origin_url.empty() ? groups : copies).push_back(std::move(snapshot));
    }
    for (auto& copy : copies) {
      auto origin = std::find_if(groups.begin(), groups.end(),
                                 [&](const auto& group) { return group.group == copy.group; });
      if (origin == groups.end()) continue;
      for (auto& viewer : copy.viewers)
        origin->viewers.push_back(std::move(viewer));
    }
    return groups;
  }

  // An event from a media node: the group's origin is learnt from it; an edge's own copy of a
  // group (another node than the origin) never ends the broadcast's calls.
  void on_cluster_event(const ClusterEvent& event) {
    const core::GroupEvent& e = event.logged.event;
    auto origin = locations.find(e.group);
    auto edges = edge_nodes.find(e.group);
    const bool from_edge = edges != edge_nodes.end() && edges->second.contains(event.node_id);
    const bool from_other_node =
        (origin != locations.end() && origin->second.node != event.node_id) || from_edge;
    switch (e.kind) {
      case core::GroupEventKind::master_joined:
      case core::GroupEventKind::master_stalled:
      case core::GroupEventKind::master_resumed:
        if (from_other_node) return;
        locations[e.group] = Located{event.node_id, SteadyClock::now()};
        break;
      case core::GroupEventKind::master_lost:
        if (from_other_node) return;
        break;
      case core::GroupEventKind::group_closed:
        if (from_other_node || is_edge_reason(e.reason)) {
          // The edge's copy ended (no viewer left there, or its pull was lost): the broadcast
          // goes on; the next overflow viewer opens an edge again.
          if (edges != edge_nodes.end()) edges->second.erase(event.node_id);
          return;
        }
        if (origin != locations.end()) locations.erase(origin);
        forget_group(e.group);
        break;
      case core::GroupEventKind::viewer_joined:
      case core::GroupEventKind::viewer_left:
        // An edge pulling the group is a viewer at the origin but nobody's call: not part of
        // the broadcast's audience.
        if (is_edge_viewer(e.terminal)) return;
        break;
    }
    deliver(e);
  }

  // ---- Issue 15: viewers (711-712) on the origin while it has room, else on an edge. ----

  // The viewers a node serves, for placement: its last published count, or this group's viewers
  // recorded on it when more (its entry lags behind admissions by up to a refresh).
  std::size_t viewers_on(const MediaNodeEntry& entry, const std::string& group,
                         const AdmissionView& view, std::string_view except) {
    std::size_t recorded = 0;
    auto count = [&](const std::map<std::string, std::string>& assigned) {
      for (const auto& [viewer, node] : assigned) {
        if (node == entry.address.node_id && viewer != except) ++recorded;
      }
    };
    count(view.viewer_nodes);
    if (auto it = in_flight.find(group); it != in_flight.end()) {
      std::map<std::string, std::string> pending;
      for (const auto& [viewer, node] : it->second) {
        if (!view.viewer_nodes.contains(viewer)) pending.emplace(viewer, node);
      }
      count(pending);
    }
    return std::max(entry.load.viewers, recorded);
  }

  bool has_room(const MediaNodeEntry& entry, const std::string& group, const AdmissionView& view,
                std::string_view viewer) {
    return viewers_on(entry, group, view, viewer) < entry.address.max_viewers;
  }

  void admit(std::string group, std::string viewer, control::Done<control::ViewerAdmitted> done) {
    queue([self = shared_from_this(), group = std::move(group), viewer = std::move(viewer),
           done = std::move(done)](ControlRedis& r) mutable {
      Result<AdmissionView, std::string> seen = AdmissionView{};
      if (auto found = r.locations.lookup(group); !found) {
        seen = fail(found.error());
      } else if (*found) {
        seen->origin = std::move(**found);
        auto viewers = r.locations.viewer_nodes(group);
        auto edges = viewers ? r.locations.edges(group)
                             : Result<std::vector<std::string>, std::string>(fail(viewers.error()));
        if (!edges) {
          seen = fail(edges.error());
        } else {
          seen->viewer_nodes = std::move(*viewers);
          seen->edges = std::move(*edges);
        }
      }
      if (seen) self->redis_ok();
      if (!seen) self->redis_failed(seen.error());
      self->on_loop([self = self.get(), group = std::move(group), viewer = std::move(viewer),
                     done = std::move(done), seen = std::move(seen)]() mutable {
        if (!seen) {
          return done(fail(control_unavailable("cannot find group " + group +
                                               " in the cluster: " + seen.error())));
        }
        self->admit_seen(std::move(group), std::move(viewer), std::move(*seen), std::move(done));
      });
    });
  }

  void admit_seen(std::string group, std::string viewer, AdmissionView view,
                  control::Done<control::ViewerAdmitted> done) {
    if (!view.origin) {
      return done(fail(control::ControlError{
          control::ControlErrorCode::not_found,
          "group " + group + " is not live on any media node of the cluster"}));
    }
    const std::string origin = view.origin->node;
    locations[group] = Located{origin, SteadyClock::now()};
    viewer_nodes[group] = view.viewer_nodes;
    for (const auto& [v, node] : view.viewer_nodes) {
      if (node != origin) edge_nodes[group].insert(node);
    }
    for (const auto& node : view.edges)
      edge_nodes[group].insert(node);
    auto origin_node = nodes.find(origin);
    if (origin_node == nodes.end() || !origin_node->second.fresh || !origin_node->second.client) {
      return done(fail(control_unavailable("group " + group + "'s media node " + origin +
                                           " is not in the cluster's directory")));
    }
    // A viewer calling again (a second dialog, a retry) stays where it is served.
    std::string served_on;
    if (auto it = view.viewer_nodes.find(viewer); it != view.viewer_nodes.end()) {
      served_on = it->second;
    } else if (auto pending = in_flight.find(group); pending != in_flight.end()) {
      if (auto at = pending->second.find(viewer); at != pending->second.end()) {
        served_on = at->second;
      }
    }
    if (served_on == origin ||
        (served_on.empty() && has_room(origin_node->second.entry, group, view, viewer))) {
      return admit_at_origin(std::move(group), std::move(viewer), std::move(view), std::move(done));
    }
    auto edge = fresh_client(served_on) != nullptr
                    ? std::optional<std::string>(served_on)
                    : pick_edge(group, view, viewer, std::set<std::string>{});
    if (!edge) return done(fail(group_full(group, origin)));
    open_on_edge(std::move(group), std::move(viewer), std::move(view), *edge,
                 std::make_shared<std::set<std::string>>(), std::move(done));
  }

  static control::ControlError group_full(const std::string& group, const std::string& origin) {
    return control::ControlError{
        control::ControlErrorCode::limit_reached,
        "group " + group + " is full: its media node " + origin +
            " and every other media node of the cluster are at cluster.max_viewers_per_node"};
  }

  void admit_at_origin(std::string group, std::string viewer, AdmissionView view,
                       control::Done<control::ViewerAdmitted> done) {
    const std::string origin = view.origin->node;
    in_flight[group][viewer] = origin;
    fresh_client(origin)->admit_viewer(
        group, viewer,
        [self = shared_from_this(), group, viewer, view = std::move(view), done = std::move(done)](
            Result<control::ViewerAdmitted, control::ControlError> admitted) mutable {
          if (self->stopped) return;
          const std::string held_by = view.origin->node;
          if (!admitted && admitted.error().code == control::ControlErrorCode::limit_reached) {
            // The origin says it is full (its own limits): the viewer goes to an edge.
            self->settle(group, viewer);
            spdlog::info(
                "cluster: group={} terminal={} step=711 media node {} is full ({}): to an edge",
                group, viewer, held_by, admitted.error().message);
            auto edge = self->pick_edge(group, view, viewer, std::set<std::string>{});
            if (!edge) return done(fail(group_full(group, held_by)));
            return self->open_on_edge(std::move(group), std::move(viewer), std::move(view), *edge,
                                      std::make_shared<std::set<std::string>>(), std::move(done));
          }
          if (!admitted) {
            self->settle(group, viewer);
            return done(std::move(admitted));
          }
          self->record(group, viewer, held_by);
          done(std::move(admitted));
        });
  }

  // The edge for an overflow viewer: a fresh node other than the origin with room, one already
  // relaying the group first (its pull serves one more viewer at no cost to the origin), else
  // the least loaded (pick_least_loaded, as placement).
  std::optional<std::string> pick_edge(const std::string& group, const AdmissionView& view,
                                       std::string_view viewer,
                                       const std::set<std::string>& tried) {
    // Relaying it: listed in its edges set, known here, serving viewers of it, or about to
    // (an admission on its way there: viewers arriving together share one pull).
    std::set<std::string> relays;
    if (auto known = edge_nodes.find(group); known != edge_nodes.end()) relays = known->second;
    for (const auto& [v, node] : view.viewer_nodes)
      relays.insert(node);
    if (auto pending = in_flight.find(group); pending != in_flight.end()) {
      for (const auto& [v, node] : pending->second)
        relays.insert(node);
    }
    std::vector<MediaNodeEntry> relaying;
    std::vector<MediaNodeEntry> others;
    for (const auto& [id, node] : nodes) {
      if (!node.fresh || !node.client || id == view.origin->node || tried.contains(id)) continue;
      MediaNodeEntry entry = node.entry;
      entry.load.viewers = viewers_on(node.entry, group, view, viewer);
      (relays.contains(id) ? relaying : others).push_back(std::move(entry));
    }
    if (auto pick = pick_least_loaded(relaying)) return pick->address.node_id;
    if (auto pick = pick_least_loaded(others)) return pick->address.node_id;
    return std::nullopt;
  }

  // The origin admits the edge as one of its viewers (its play URL, token inside), the edge
  // opens its pull of the group (idempotent: a node relaying it already answers created=false),
  // then the viewer is admitted on the edge. An edge that does not answer is passed over.
  void open_on_edge(std::string group, std::string viewer, AdmissionView view, std::string edge,
                    std::shared_ptr<std::set<std::string>> tried,
                    control::Done<control::ViewerAdmitted> done) {
    const std::string origin = view.origin->node;
    auto* origin_client = fresh_client(origin);
    if (origin_client == nullptr) {
      return done(fail(control_unavailable("group " + group + "'s media node " + origin +
                                           " is not in the cluster's directory")));
    }
    const std::string edge_viewer = edge_viewer_name(edge);
    if (!core::is_valid_number(edge_viewer)) {
      return done(fail(control::ControlError{
          control::ControlErrorCode::bad_request,
          "media node id " + edge + " cannot name a viewer (" + edge_viewer +
              ": 1-32 characters of [0-9A-Za-z+._-]); it cannot be an edge"}));
    }
    in_flight[group][viewer] = edge;
    auto next_edge = [self = shared_from_this(), group, viewer, view, edge, tried](
                         control::ControlError error,
                         control::Done<control::ViewerAdmitted> finish) mutable {
      self->settle(group, viewer);
      if (error.code != control::ControlErrorCode::unavailable &&
          error.code != control::ControlErrorCode::limit_reached) {
        return finish(fail(std::move(error)));
      }
      spdlog::warn(
          "cluster: group={} terminal={} step=711 edge media node {} refused: {}; "
          "trying another",
          group, viewer, edge, error.message);
      tried->insert(edge);
      auto another = self->pick_edge(group, view, viewer, *tried);
      if (!another) {
        return finish(fail(control_unavailable("no media node could serve viewer " + viewer +
                                               " of full group " + group + ": " + error.message)));
      }
      self->open_on_edge(std::move(group), std::move(viewer), std::move(view), *another,
                         std::move(tried), std::move(finish));
    };
    origin_client->admit_viewer(
        group, edge_viewer,
        [self = shared_from_this(), group, viewer, master = view.origin->master, edge, origin,
         next_edge, done = std::move(done)](
            Result<control::ViewerAdmitted, control::ControlError> upstream) mutable {
          if (self->stopped) return;
          if (!upstream) {
            self->settle(group, viewer);
            control::ControlError error = upstream.error();
            error.message =
                "the origin " + origin + " did not admit edge " + edge + ": " + error.message;
            return done(fail(std::move(error)));
          }
          auto* edge_client = self->fresh_client(edge);
          if (edge_client == nullptr) {
            return next_edge(control_unavailable("media node " + edge + " left the directory"),
                             std::move(done));
          }
          control::EdgeRequest request{group, master.empty() ? group : master, upstream->play_url};
          edge_client->open_edge(
              std::move(request),
              [self, group, viewer, edge, origin, next_edge, done = std::move(done)](
                  Result<control::EdgeOpened, control::ControlError> opened) mutable {
                if (self->stopped) return;
                if (!opened) return next_edge(opened.error(), std::move(done));
                self->edge_nodes[group].insert(edge);
                if (opened->created) {
                  spdlog::info(
                      "cluster: group={} step=714 media node {} opened as an edge of "
                      "the origin {}",
                      group, edge, origin);
                }
                self->when_edge_live(
                    group, edge, SteadyClock::now() + kEdgeLiveWithin,
                    [self, group, viewer, edge, next_edge,
                     done = std::move(done)](std::optional<control::ControlError> failed) mutable {
                      if (failed) return next_edge(std::move(*failed), std::move(done));
                      self->admit_on_edge(std::move(group), std::move(viewer), std::move(edge),
                                          std::move(next_edge), std::move(done));
                    });
              });
        });
  }

  // An edge's copy of the group must be live before a viewer is sent there: its RTSP server
  // answers DESCRIBE with the origin's SDP, which the pull brings (at the origin too a viewer is
  // admitted only once the broadcast is live: 707 before 711). Asked every 50 ms, bounded.
  static constexpr auto kEdgeLiveWithin = std::chrono::seconds(5);
  void when_edge_live(std::string group, std::string edge, SteadyClock::time_point deadline,
                      std::function<void(std::optional<control::ControlError>)> then) {
    auto* client = fresh_client(edge);
    if (client == nullptr) {
      return then(control_unavailable("media node " + edge + " left the directory"));
    }
    client->get_group(group, [self = shared_from_this(), group, edge, deadline,
                              then = std::move(then)](
                                 Result<control::GroupSnapshot, control::ControlError> snapshot) {
      if (self->stopped) return;
      if (snapshot && (snapshot->state == "live" || snapshot->state == "stalled")) {
        return then(std::nullopt);
      }
      if (!snapshot) {
        // not_found: its pull failed and its copy closed already.
        return then(control_unavailable("edge media node " + edge + " lost group " + group + ": " +
                                        snapshot.error().message));
      }
      if (SteadyClock::now() >= deadline) {
        return then(control_unavailable(
            "edge media node " + edge + " got no media of group " + group + " from its origin in " +
            std::to_string(
                std::chrono::duration_cast<std::chrono::seconds>(kEdgeLiveWithin).count()) +
            " s"));
      }
      auto timer =
          std::make_shared<boost::asio::steady_timer>(self->io, std::chrono::milliseconds(50));
      timer->async_wait(
          [self, timer, group, edge, deadline, then](const boost::system::error_code&) mutable {
            if (self->stopped) return;
            self->when_edge_live(std::move(group), std::move(edge), deadline, std::move(then));
          });
    });
  }

  template <class NextEdge>
  void admit_on_edge(std::string group, std::string viewer, std::string edge, NextEdge next_edge,
                     control::Done<control::ViewerAdmitted> done) {
    auto* client = fresh_client(edge);
    if (client == nullptr) {
      return next_edge(control_unavailable("media node " + edge + " left the directory"),
                       std::move(done));
    }
    client->admit_viewer(
        group, viewer,
        [self = shared_from_this(), group, viewer, edge, next_edge, done = std::move(done)](
            Result<control::ViewerAdmitted, control::ControlError> admitted) mutable {
          if (self->stopped) return;
          if (!admitted) return next_edge(admitted.error(), std::move(done));
          self->record(group, viewer, edge);
          spdlog::info(
              "cluster: group={} terminal={} step=712 admitted on edge "
              "media node {}",
              group, viewer, edge);
          done(std::move(admitted));
        });
  }

  // An admission decided here is over without a node to record.
  void settle(const std::string& group, const std::string& viewer) {
    if (auto it = in_flight.find(group); it != in_flight.end()) {
      it->second.erase(viewer);
      if (it->second.empty()) in_flight.erase(it);
    }
  }

  // The viewer is served on `node`: remembered here and in Redis, for every signaling node's
  // routing of its later calls and counting of the node's viewers.
  void record(const std::string& group, const std::string& viewer, const std::string& node) {
    viewer_nodes[group][viewer] = node;
    queue([self = shared_from_this(), group, viewer, node](ControlRedis& r) {
      auto assigned = r.locations.assign_viewer(group, viewer, node);
      if (assigned) self->redis_ok();
      if (!assigned) self->redis_failed(assigned.error());
      // Written (or Redis is away: the local record still routes it): no longer in flight.
      self->on_loop([self = self.get(), group, viewer] { self->settle(group, viewer); });
    });
  }

  // A call about one viewer (its media start, its removal), sent to the node serving it: an
  // edge's viewer to that edge, every other to the group's origin.
  template <class T>
  void route_viewer(std::string group, std::string viewer, control::Done<T> done,
                    std::function<void(http::HttpMediaControl&, control::Done<T>)> call) {
    if (auto it = viewer_nodes.find(group); it != viewer_nodes.end()) {
      if (auto at = it->second.find(viewer); at != it->second.end()) {
        if (auto* client = fresh_client(at->second)) return call(*client, std::move(done));
      }
    }
    if (viewer.empty()) return route<T>(std::move(group), std::move(done), std::move(call));
    queue([self = shared_from_this(), group = std::move(group), viewer = std::move(viewer),
           done = std::move(done), call = std::move(call)](ControlRedis& r) mutable {
      auto assigned = r.locations.viewer_nodes(group);
      if (assigned) self->redis_ok();
      if (!assigned) self->redis_failed(assigned.error());
      self->on_loop([self = self.get(), group = std::move(group), viewer = std::move(viewer),
                     done = std::move(done), call = std::move(call),
                     assigned = std::move(assigned)]() mutable {
        if (assigned) {
          if (auto at = assigned->find(viewer); at != assigned->end()) {
            self->viewer_nodes[group][viewer] = at->second;
            if (auto* client = self->fresh_client(at->second)) {
              return call(*client, std::move(done));
            }
          }
        }
        self->route<T>(std::move(group), std::move(done), std::move(call));
      });
    });
  }

  void remove(std::string group, std::string viewer, control::Done<bool> done) {
    route_viewer<bool>(
        group, viewer, std::move(done),
        [self = shared_from_this(), group, viewer](http::HttpMediaControl& node,
                                                   control::Done<bool> d) {
          node.remove_viewer(
              group, viewer,
              [self, group, viewer, d = std::move(d)](Result<bool, control::ControlError> removed) {
                if (self->stopped) return;
                if (auto it = self->viewer_nodes.find(group); it != self->viewer_nodes.end()) {
                  it->second.erase(viewer);
                }
                self->forget_viewer_in_redis(group, viewer);
                d(std::move(removed));
              });
        });
  }

  void stop() {
    stopped = true;
    subscriber.reset();
    {
      const std::lock_guard lock(mutex);
      stopping = true;
    }
    wake.notify_all();
    if (thread.joinable()) thread.join();
    for (auto& [id, node] : nodes) {
      if (node.client) node.client->stop();
    }
    for (auto& client : retired)
      client->stop();
  }
};

ClusterMediaControl::ClusterMediaControl(boost::asio::io_context& io,
                                         ClusterMediaControlOptions options)
    : impl_(std::make_shared<Impl>(io, std::move(options))) {}

ClusterMediaControl::~ClusterMediaControl() {
  stop();
}

Result<std::size_t, std::string> ClusterMediaControl::start() {
  Impl& impl = *impl_;
  if (impl.thread.joinable()) return impl.counters.fresh_nodes;
  {
    ControlRedis r(impl.options);
    auto fresh = r.directory.fresh_nodes();
    if (!fresh) return fail("cluster: cannot read the media nodes' directory: " + fresh.error());
    impl.apply_directory(*fresh);  // the loop does not run yet
  }
  impl.thread = std::thread([&impl] { impl.run(); });
  return impl.counters.fresh_nodes;
}

void ClusterMediaControl::stop() {
  impl_->stop();
}

void ClusterMediaControl::set_resync_handler(std::function<void(control::ResyncCause)> on_resync) {
  impl_->on_loop([impl = impl_.get(), on_resync = std::move(on_resync)]() mutable {
    impl->on_resync = std::move(on_resync);
  });
}

void ClusterMediaControl::stats(std::function<void(ClusterMediaControlStats)> done) {
  impl_->on_loop([impl = impl_.get(), done = std::move(done)] { done(impl->counters); });
}

void ClusterMediaControl::create_group(std::string master,
                                       control::Done<control::GroupCreated> done) {
  // The directory as it stands now, not as last polled: a node lost a moment ago is not picked.
  impl_->queue([impl = impl_, master = std::move(master),
                done = std::move(done)](ControlRedis& r) mutable {
    auto fresh = r.directory.fresh_nodes();
    if (fresh) impl->redis_ok();
    if (!fresh) impl->redis_failed(fresh.error());
    impl->on_loop([impl = impl.get(), master = std::move(master), done = std::move(done),
                   fresh = std::move(fresh)]() mutable {
      if (!fresh) {
        return done(
            fail(control_unavailable("cannot read the cluster's media nodes: " + fresh.error())));
      }
      impl->apply_directory(*fresh);
      impl->place(std::move(master), std::make_shared<std::set<std::string>>(), std::move(done));
    });
  });
}

void ClusterMediaControl::admit_viewer(std::string group, std::string viewer,
                                       control::Done<control::ViewerAdmitted> done) {
  impl_->on_loop([impl = impl_.get(), group = std::move(group), viewer = std::move(viewer),
                  done = std::move(done)]() mutable {
    impl->admit(std::move(group), std::move(viewer), std::move(done));
  });
}

void ClusterMediaControl::start_phone_viewer(control::PhoneViewerRequest request,
                                             control::Done<control::PhoneViewerStarted> done) {
  impl_->on_loop(
      [impl = impl_.get(), request = std::move(request), done = std::move(done)]() mutable {
        std::string group = request.group;
        std::string viewer = request.viewer;
        impl->route_viewer<control::PhoneViewerStarted>(
            std::move(group), std::move(viewer), std::move(done),
            [request](http::HttpMediaControl& node, control::Done<control::PhoneViewerStarted> d) {
              node.start_phone_viewer(request, std::move(d));
            });
      });
}

void ClusterMediaControl::start_phone_publisher(
    control::PhonePublisherRequest request, control::Done<control::PhonePublisherStarted> done) {
  impl_->on_loop([impl = impl_.get(), request = std::move(request),
                  done = std::move(done)]() mutable {
    std::string group = request.group;
    impl->route<control::PhonePublisherStarted>(
        std::move(group), std::move(done),
        [request](http::HttpMediaControl& node, control::Done<control::PhonePublisherStarted> d) {
          node.start_phone_publisher(request, std::move(d));
        });
  });
}

void ClusterMediaControl::start_webrtc_viewer(control::WebRtcViewerRequest request,
                                              control::Done<control::WebRtcViewerStarted> done) {
  impl_->on_loop(
      [impl = impl_.get(), request = std::move(request), done = std::move(done)]() mutable {
        std::string group = request.group;
        // A WHEP token names its viewer inside: such a call goes to the group's origin.
        std::string viewer = request.viewer;
        impl->route_viewer<control::WebRtcViewerStarted>(
            std::move(group), std::move(viewer), std::move(done),
            [request](http::HttpMediaControl& node, control::Done<control::WebRtcViewerStarted> d) {
              node.start_webrtc_viewer(request, std::move(d));
            });
      });
}

void ClusterMediaControl::start_webrtc_publisher(control::WebRtcPublisherRequest request,
                                                 control::Done<control::WebRtcViewerStarted> done) {
  impl_->on_loop(
      [impl = impl_.get(), request = std::move(request), done = std::move(done)]() mutable {
        std::string group = request.group;
        impl->route<control::WebRtcViewerStarted>(
            std::move(group), std::move(done),
            [request](http::HttpMediaControl& node, control::Done<control::WebRtcViewerStarted> d) {
              node.start_webrtc_publisher(request, std::move(d));
            });
      });
}

void ClusterMediaControl::open_edge(control::EdgeRequest request,
                                    control::Done<control::EdgeOpened> done) {
  impl_->on_loop([group = std::move(request.group), done = std::move(done)]() mutable {
    done(fail(control::ControlError{control::ControlErrorCode::bad_request,
                                    "an edge of " + group +
                                        " is opened by the viewers' admission when its media "
                                        "node is full (or POST /v1/edges on the relaying node), "
                                        "not by the signaling role"}));
  });
}

void ClusterMediaControl::remove_viewer(std::string group, std::string viewer,
                                        control::Done<bool> done) {
  impl_->on_loop([impl = impl_.get(), group = std::move(group), viewer = std::move(viewer),
                  done = std::move(done)]() mutable {
    impl->remove(std::move(group), std::move(viewer), std::move(done));
  });
}

void ClusterMediaControl::close_group(std::string group, control::Done<bool> done) {
  impl_->on_loop([impl = impl_.get(), group = std::move(group), done = std::move(done)]() mutable {
    impl->route<bool>(group, std::move(done),
                      [group](http::HttpMediaControl& node, control::Done<bool> d) {
                        node.close_group(group, std::move(d));
                      });
  });
}

void ClusterMediaControl::list_groups(control::Done<std::vector<control::GroupSnapshot>> done) {
  impl_->on_loop([impl = impl_.get(), done = std::move(done)]() mutable {
    impl->list_groups(std::move(done));
  });
}

void ClusterMediaControl::get_group(std::string group, control::Done<control::GroupSnapshot> done) {
  impl_->on_loop([impl = impl_.get(), group = std::move(group), done = std::move(done)]() mutable {
    impl->route<control::GroupSnapshot>(
        group, std::move(done),
        [group](http::HttpMediaControl& node, control::Done<control::GroupSnapshot> d) {
          node.get_group(group, std::move(d));
        });
  });
}

void ClusterMediaControl::subscribe(std::function<void(const core::GroupEvent&)> listener) {
  impl_->on_loop([impl = impl_.get(), listener = std::move(listener)]() mutable {
    impl->listeners.push_back(std::move(listener));
    if (impl->subscriber) return;
    auto weak = impl->weak_from_this();
    impl->subscriber = std::make_unique<ClusterEventSubscriber>(
        impl->options.redis,
        [weak](const ClusterEvent& event) {
          if (auto self = weak.lock()) {
            self->on_loop([self = self.get(), event] { self->on_cluster_event(event); });
          }
        },
        [weak](control::ResyncCause cause, std::string_view node) {
          if (auto self = weak.lock()) {
            self->on_loop([self = self.get(), cause, node = std::string(node)] {
              spdlog::info("cluster: events of {} may have been missed: resync",
                           node.empty() ? std::string("every media node") : "media node " + node);
              if (self->on_resync) self->on_resync(cause);
            });
          }
        },
        impl->options.events);
  });
}

}  // namespace callcast::cluster
