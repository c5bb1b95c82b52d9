#include "cluster/media_node_agent.hpp"

#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <utility>

#include "cluster/cluster_event_publisher.hpp"
#include "cluster/group_locations.hpp"
#include "core/time_source.hpp"

namespace callcast::cluster {

namespace {

std::int64_t agent_unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A new name for this run's event log: subscribers that see it change know the node restarted
// and its groups are gone (ClusterEventSubscriber: media_restarted).
std::string agent_epoch() {
  std::random_device random;
  std::uniform_int_distribution<std::uint64_t> any;
  return fmt::format("{:016x}", any(random));
}

// This process's CPU time (user + system).
std::chrono::microseconds process_cpu_time() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto micros = [](const timeval& t) {
    return std::chrono::seconds(t.tv_sec) + std::chrono::microseconds(t.tv_usec);
  };
  return micros(usage.ru_utime) + micros(usage.ru_stime);
}

}  // namespace

// What the agent's thread owns: its Redis connection and the views on it.
struct AgentRedis {
  AgentRedis(const MediaNodeAgentOptions& options, MediaNodeAddress self)
      : redis(options.redis, options.redis_options),
        directory(redis, core::RealTimeSource::instance(), std::move(self),
                  MediaNodeDirectoryOptions{.ttl = options.media_node_ttl}),
        locations(redis,
                  GroupLocationsOptions{.ttl = options.group_ttl, .edge_ttl = options.group_ttl}) {}
  RedisClient redis;
  MediaNodeDirectory directory;
  GroupLocations locations;
};

struct MediaNodeAgent::Shared {
  Shared(boost::asio::io_context& loop, MediaNodeAgentOptions agent_options)
      : io(loop), options(std::move(agent_options)) {}

  using Job = std::function<void(AgentRedis&)>;

  boost::asio::io_context& io;
  MediaNodeAgentOptions options;
  MediaNodeAddress self;

  // Between the loop and the agent's thread.
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<Job> jobs;
  std::set<std::string> live;     // the groups whose locations this node holds: renewed
  std::set<std::string> relayed;  // the groups this node is an edge of: in their edges sets
  MediaNodeLoad load;
  bool publish_now = false;
  bool stopping = false;
  std::atomic<bool> stopped{false};  // read on the loop: no media call after stop()

  // The loop's only.
  std::map<std::string, std::set<std::string>, std::less<>> groups;  // group -> playing viewers
  std::set<std::string, std::less<>> edges;  // the groups opened here by open_edge
  std::uint64_t seq = 0;
  std::string epoch = agent_epoch();
  std::unique_ptr<ClusterEventPublisher> publisher;

  // The agent's thread's only.
  bool redis_down = false;
  std::thread thread;

  void queue(Job job) {
    {
      const std::lock_guard lock(mutex);
      if (stopping) return;
      jobs.push_back(std::move(job));
    }
    wake.notify_one();
  }

  // One line when Redis goes away and one when it is back, however many calls fail meanwhile.
  void redis_failed(const std::string& error) {
    if (redis_down) return;
    redis_down = true;
    spdlog::warn(
        "cluster: media node {}: Redis unreachable ({}); media goes on, new groups are refused "
        "until it is back, retrying every {} ms",
        self.node_id, error, (options.media_node_ttl / 3).count());
  }
  void redis_ok() {
    if (!redis_down) return;
    redis_down = false;
    spdlog::info("cluster: media node {}: Redis reachable again", self.node_id);
  }

  // On the loop: the load as the events tell it, handed to the thread.
  void count_load(bool groups_changed) {
    MediaNodeLoad now;
    now.groups = groups.size();
    for (const auto& [group, viewers] : groups)
      now.viewers += viewers.size();
    {
      const std::lock_guard lock(mutex);
      now.cpu_pct = load.cpu_pct;
      load = now;
      // A new or closed group is published at once, so that the next placement sees it.
      if (groups_changed) publish_now = true;
    }
    if (groups_changed) wake.notify_one();
  }

  void on_event(const core::GroupEvent& event) {
    if (publisher) publisher->post(control::LoggedEvent{++seq, agent_unix_ms(), event});
    bool groups_changed = false;
    switch (event.kind) {
      case core::GroupEventKind::master_joined:
        groups_changed = groups.try_emplace(event.group).second;
        // An edge's copy goes live too; its location stays the origin's.
        if (groups_changed && !edges.contains(event.group)) track(event.group);
        break;
      case core::GroupEventKind::viewer_joined:
        groups[event.group].insert(event.terminal);
        break;
      case core::GroupEventKind::viewer_left:
        if (auto it = groups.find(event.group); it != groups.end())
          it->second.erase(event.terminal);
        break;
      case core::GroupEventKind::group_closed:
        groups_changed = groups.erase(event.group) > 0;
        if (edges.erase(event.group) > 0) {
          stop_relaying(event.group);
        } else {
          release(event.group);
        }
        break;
      default:
        break;
    }
    count_load(groups_changed);
  }

  // A group live here that was not created through create_group (an RTSP publisher's own
  // ANNOUNCE): located too, so that viewers' calls reach it.
  void track(const std::string& group) {
    queue([this, group](AgentRedis& r) {
      GroupLocation location{group, self.node_id, group, agent_unix_ms(), "", group};
      auto claim = r.locations.claim(location);
      if (!claim) return redis_failed(claim.error());
      redis_ok();
      if (claim->claimed || claim->holder.node == self.node_id) {
        const std::lock_guard lock(mutex);
        live.insert(group);
      } else {
        spdlog::warn("cluster: group={} live here but located on media node {}", group,
                     claim->holder.node);
      }
    });
  }

  void release(const std::string& group) {
    queue([this, group](AgentRedis& r) {
      {
        const std::lock_guard lock(mutex);
        live.erase(group);
      }
      auto released = r.locations.release(group, self.node_id);
      if (!released) return redis_failed(released.error());
      redis_ok();
    });
  }

  // Issue 15: this node relays `group` from its origin: listed in the group's edges set (and kept
  // there every renewal) so that signaling nodes send the group's overflow viewers here first.
  void start_relaying(const std::string& group) {
    edges.insert(group);
    queue([this, group](AgentRedis& r) {
      {
        const std::lock_guard lock(mutex);
        relayed.insert(group);
      }
      auto added = r.locations.add_edge(group, self.node_id);
      if (!added) return redis_failed(added.error());
      redis_ok();
      if (*added)
        spdlog::info("cluster: group={} media node {} listed as an edge", group, self.node_id);
    });
  }

  // The edge's group closed (edge_closed: no viewer left; origin_lost): no longer listed.
  void stop_relaying(const std::string& group) {
    queue([this, group](AgentRedis& r) {
      {
        const std::lock_guard lock(mutex);
        relayed.erase(group);
      }
      auto removed = r.locations.remove_edge(group, self.node_id);
      if (!removed) return redis_failed(removed.error());
      redis_ok();
      spdlog::info("cluster: group={} media node {} no longer an edge of it", group, self.node_id);
    });
  }

  void run() {
    AgentRedis r(options, self);
    using Clock = std::chrono::steady_clock;
    const auto refresh = r.directory.refresh_interval();
    const auto renew = r.locations.renew_interval();
    auto next_publish = Clock::now();
    auto next_renew = Clock::now() + renew;
    auto cpu_before = process_cpu_time();
    auto wall_before = Clock::now();
    std::unique_lock lock(mutex);
    for (;;) {
      wake.wait_until(lock, std::min(next_publish, next_renew),
                      [this] { return stopping || !jobs.empty() || publish_now; });
      while (!jobs.empty()) {
        Job job = std::move(jobs.front());
        jobs.pop_front();
        lock.unlock();
        job(r);
        lock.lock();
      }
      if (stopping) break;
      const auto now = Clock::now();
      if (publish_now || now >= next_publish) {
        publish_now = false;
        const auto cpu = process_cpu_time();
        if (now > wall_before + std::chrono::milliseconds(200)) {
          load.cpu_pct = 100.0 * std::chrono::duration<double>(cpu - cpu_before).count() /
                         std::chrono::duration<double>(now - wall_before).count();
          cpu_before = cpu;
          wall_before = now;
        }
        const MediaNodeLoad current = load;
        lock.unlock();
        auto published = r.directory.publish(current);
        if (published) {
          redis_ok();
        } else {
          redis_failed(published.error());
        }
        lock.lock();
        next_publish = now + refresh;
      }
      if (now >= next_renew) {
        const std::vector<std::string> groups_now(live.begin(), live.end());
        const std::vector<std::string> relayed_now(relayed.begin(), relayed.end());
        lock.unlock();
        renew_all(r, groups_now);
        for (const auto& group : relayed_now) {
          if (auto added = r.locations.add_edge(group, self.node_id); !added) {
            redis_failed(added.error());
            break;
          }
        }
        lock.lock();
        next_renew = now + renew;
      }
    }
    const std::vector<std::string> remaining(live.begin(), live.end());
    const std::vector<std::string> remaining_edges(relayed.begin(), relayed.end());
    live.clear();
    relayed.clear();
    lock.unlock();
    // An orderly stop: out of placement and routing at once, not after the TTLs.
    for (const auto& group : remaining)
      (void)r.locations.release(group, self.node_id);
    for (const auto& group : remaining_edges)
      (void)r.locations.remove_edge(group, self.node_id);
    if (auto withdrawn = r.directory.withdraw(); !withdrawn) {
      spdlog::warn("cluster: media node {}: could not withdraw its entry ({}); it expires in {} ms",
                   self.node_id, withdrawn.error(), options.media_node_ttl.count());
    } else {
      spdlog::info("cluster: media node {} withdrawn from the directory", self.node_id);
    }
  }

  void renew_all(AgentRedis& r, const std::vector<std::string>& groups_now) {
    for (const auto& group : groups_now) {
      auto renewed = r.locations.renew(group, self.node_id);
      if (!renewed) return redis_failed(renewed.error());
      redis_ok();
      if (*renewed) continue;
      // The key expired (Redis was away longer than the TTL, or restarted empty): claim it
      // again; only when another node holds the number meanwhile does the group stop being
      // ours to locate.
      auto claim =
          r.locations.claim(GroupLocation{group, self.node_id, group, agent_unix_ms(), "", group});
      if (!claim) return redis_failed(claim.error());
      if (!claim->claimed && claim->holder.node != self.node_id) {
        spdlog::warn(
            "cluster: group={} located on media node {} now; this node no longer renews it", group,
            claim->holder.node);
        const std::lock_guard lock(mutex);
        live.erase(group);
      }
    }
  }
};

MediaNodeAgent::MediaNodeAgent(boost::asio::io_context& io, control::MediaControl& media,
                               MediaNodeAgentOptions options)
    : media_(media), shared_(std::make_shared<Shared>(io, std::move(options))) {}

MediaNodeAgent::~MediaNodeAgent() {
  stop();
}

void MediaNodeAgent::start(MediaNodeAddress self) {
  Shared& s = *shared_;
  if (s.thread.joinable()) return;
  s.self = std::move(self);
  s.publisher = std::make_unique<ClusterEventPublisher>(
      s.options.redis, s.self.node_id, s.epoch,
      ClusterEventPublisherOptions{.redis = s.options.redis_options});
  media_.subscribe([shared = shared_](const core::GroupEvent& event) {
    if (!shared->stopped) shared->on_event(event);
  });
  s.thread = std::thread([&s] { s.run(); });
  spdlog::info("cluster: media node {} (admin {}, rtsp {}, max {} viewers) joins via redis {}",
               s.self.node_id, s.self.http_url, s.self.rtsp_url, s.self.max_viewers,
               core::to_string(s.options.redis));
}

void MediaNodeAgent::stop() {
  Shared& s = *shared_;
  s.stopped = true;
  {
    const std::lock_guard lock(s.mutex);
    s.stopping = true;
  }
  s.wake.notify_all();
  if (s.thread.joinable()) s.thread.join();
  s.publisher.reset();
}

MediaNodeLoad MediaNodeAgent::load() const {
  const std::lock_guard lock(shared_->mutex);
  return shared_->load;
}

// 702-703 on a cluster: the number is claimed for this node before the group exists, so that
// two signaling nodes placing one master's INVITE on two media nodes cannot both succeed.
void MediaNodeAgent::create_group(std::string master, control::Done<control::GroupCreated> done) {
  auto shared = shared_;
  auto* media = &media_;
  shared->queue(
      [shared, media, master = std::move(master), done = std::move(done)](AgentRedis& r) mutable {
        auto claim = r.locations.claim(
            GroupLocation{master, shared->self.node_id, master, agent_unix_ms(), "", master});
        if (claim) shared->redis_ok();
        if (!claim) shared->redis_failed(claim.error());
        boost::asio::post(shared->io, [shared, media, master = std::move(master),
                                       done = std::move(done), claim = std::move(claim)]() mutable {
          if (shared->stopped) {
            return done(fail(control::ControlError{control::ControlErrorCode::unavailable,
                                                   "the media node is stopping"}));
          }
          if (!claim) {
            return done(fail(control::ControlError{
                control::ControlErrorCode::unavailable,
                "cannot locate group " + master + " in the cluster: " + claim.error()}));
          }
          const std::string& node = shared->self.node_id;
          if (!claim->claimed && claim->holder.node != node) {
            return done(fail(control::ControlError{
                control::ControlErrorCode::conflict,
                "group " + master + " is live on media node " + claim->holder.node}));
          }
          const bool claimed_now = claim->claimed;
          media->create_group(
              master, [shared, master, claimed_now, done = std::move(done)](
                          Result<control::GroupCreated, control::ControlError> created) {
                if (created) {
                  {
                    const std::lock_guard lock(shared->mutex);
                    shared->live.insert(master);
                  }
                  if (shared->groups.try_emplace(master).second) shared->count_load(true);
                } else if (claimed_now) {
                  shared->release(master);  // the claim was this call's: the group never was
                }
                done(std::move(created));
              });
        });
      });
}

void MediaNodeAgent::admit_viewer(std::string group, std::string viewer,
                                  control::Done<control::ViewerAdmitted> done) {
  media_.admit_viewer(std::move(group), std::move(viewer), std::move(done));
}
void MediaNodeAgent::start_phone_viewer(control::PhoneViewerRequest request,
                                        control::Done<control::PhoneViewerStarted> done) {
  media_.start_phone_viewer(std::move(request), std::move(done));
}
void MediaNodeAgent::start_phone_publisher(control::PhonePublisherRequest request,
                                           control::Done<control::PhonePublisherStarted> done) {
  media_.start_phone_publisher(std::move(request), std::move(done));
}
void MediaNodeAgent::start_webrtc_viewer(control::WebRtcViewerRequest request,
                                         control::Done<control::WebRtcViewerStarted> done) {
  media_.start_webrtc_viewer(std::move(request), std::move(done));
}
void MediaNodeAgent::start_webrtc_publisher(control::WebRtcPublisherRequest request,
                                            control::Done<control::WebRtcViewerStarted> done) {
  media_.start_webrtc_publisher(std::move(request), std::move(done));
}
// The edge's group is not claimed (its location stays the origin's); the node lists itself in
// the group's edges set while it relays.
void MediaNodeAgent::open_edge(control::EdgeRequest request,
                               control::Done<control::EdgeOpened> done) {
  auto* media = &media_;
  media_.open_edge(
      std::move(request), [shared = shared_, media, done = std::move(done)](
                              Result<control::EdgeOpened, control::ControlError> opened) {
        if (!opened || shared->stopped) return done(std::move(opened));
        // A pull that failed at once has closed the group already (its group_closed went by before
        // this answer): such an edge is not listed.
        const std::string group = opened->group;
        media->get_group(
            group, [shared, group](Result<control::GroupSnapshot, control::ControlError> snapshot) {
              if (snapshot && !snapshot->origin_url.empty() && !shared->stopped) {
                shared->start_relaying(group);
              }
            });
        done(std::move(opened));
      });
}
void MediaNodeAgent::remove_viewer(std::string group, std::string viewer,
                                   control::Done<bool> done) {
  media_.remove_viewer(std::move(group), std::move(viewer), std::move(done));
}
// The location goes with the group_closed event the media service reports.
void MediaNodeAgent::close_group(std::string group, control::Done<bool> done) {
  media_.close_group(std::move(group), std::move(done));
}
void MediaNodeAgent::list_groups(control::Done<std::vector<control::GroupSnapshot>> done) {
  media_.list_groups(std::move(done));
}
void MediaNodeAgent::get_group(std::string group, control::Done<control::GroupSnapshot> done) {
  media_.get_group(std::move(group), std::move(done));
}
void MediaNodeAgent::subscribe(std::function<void(const core::GroupEvent&)> listener) {
  media_.subscribe(std::move(listener));
}
control::EventSource* MediaNodeAgent::event_source() {
  return media_.event_source();
}

}  // namespace callcast::cluster
