#include "cluster/cluster_media_control.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
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

}  // namespace

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
      node.entry = entry;
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
      deliver(core::GroupEvent{core::GroupEventKind::group_closed, group, group,
                               std::string(kMediaNodeLost)});
    }
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
                self->locations[group.group] = Located{id, SteadyClock::now()};
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
            gathering->done(std::move(gathering->groups));
          });
    }
  }

  // An event from a media node: the group's origin is learnt from it; an edge's own copy of a
  // group (another node than the origin) never ends the broadcast's calls.
  void on_cluster_event(const ClusterEvent& event) {
    const core::GroupEvent& e = event.logged.event;
    auto origin = locations.find(e.group);
    const bool from_other_node = origin != locations.end() && origin->second.node != event.node_id;
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
        if (from_other_node || e.reason == "edge_closed" || e.reason == "origin_lost") return;
        if (origin != locations.end()) locations.erase(origin);
        break;
      case core::GroupEventKind::viewer_joined:
      case core::GroupEventKind::viewer_left:
        break;
    }
    deliver(e);
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
    impl->route<control::ViewerAdmitted>(
        group, std::move(done),
        [group, viewer](http::HttpMediaControl& node, control::Done<control::ViewerAdmitted> d) {
          node.admit_viewer(group, viewer, std::move(d));
        });
  });
}

void ClusterMediaControl::start_phone_viewer(control::PhoneViewerRequest request,
                                             control::Done<control::PhoneViewerStarted> done) {
  impl_->on_loop(
      [impl = impl_.get(), request = std::move(request), done = std::move(done)]() mutable {
        std::string group = request.group;
        impl->route<control::PhoneViewerStarted>(
            std::move(group), std::move(done),
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
        impl->route<control::WebRtcViewerStarted>(
            std::move(group), std::move(done),
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
    done(
        fail(control::ControlError{control::ControlErrorCode::bad_request,
                                   "an edge of " + group +
                                       " is opened on the media node that relays it (POST "
                                       "/v1/edges on that node), not through the signaling role"}));
  });
}

void ClusterMediaControl::remove_viewer(std::string group, std::string viewer,
                                        control::Done<bool> done) {
  impl_->on_loop([impl = impl_.get(), group = std::move(group), viewer = std::move(viewer),
                  done = std::move(done)]() mutable {
    impl->route<bool>(group, std::move(done),
                      [group, viewer](http::HttpMediaControl& node, control::Done<bool> d) {
                        node.remove_viewer(group, viewer, std::move(d));
                      });
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
