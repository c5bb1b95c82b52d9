// Issue 15's placement and routing across media nodes, against a real redis-server and real
// HTTP: each media node is a MediaNodeAgent in front of an in-memory media service, served by
// the admin API on a loopback port; the signaling side is a ClusterMediaControl. What is checked
// is what a signaling node relies on: new groups spread over the least loaded nodes, a node that
// does not answer is passed over, calls about a group reach its node, a number live on one node
// cannot be created on another, events arrive over Redis, and a node whose entry expires has its
// groups reported closed with reason media_node_lost.
#include "cluster/cluster_media_control.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cluster/cluster_keys.hpp"
#include "cluster/group_locations.hpp"
#include "cluster/media_node_agent.hpp"
#include "cluster/media_node_directory.hpp"
#include "cluster/redis_client.hpp"
#include "core/time_source.hpp"
#include "http/admin_api.hpp"
#include "http/http_server.hpp"
#include "redis_test.hpp"
#include "support/redis_server.hpp"
#include "support/wait_until.hpp"

namespace callcast::cluster {
namespace placement_test {

using std::chrono::milliseconds;
using ::testing::HasSubstr;

// A media service in memory: groups and their admitted viewers; events on demand. Completes on
// the loop, as the real one does.
class StubMediaService final : public control::MediaControl {
 public:
  StubMediaService(boost::asio::io_context& io, std::string name)
      : io_(io), name_(std::move(name)) {}

  void create_group(std::string master, control::Done<control::GroupCreated> done) override {
    later([this, master, done = std::move(done)] {
      if (!groups_.insert(master).second) {
        return done(fail(control::ControlError{control::ControlErrorCode::conflict, "exists"}));
      }
      created.push_back(master);
      done(control::GroupCreated{master, "rtsp://" + name_ + "/" + master, name_, 5000, 5001, ""});
    });
  }
  void admit_viewer(std::string group, std::string viewer,
                    control::Done<control::ViewerAdmitted> done) override {
    later([this, group, viewer, done = std::move(done)] {
      if (!groups_.contains(group)) return done(no_group(group));
      viewers_[group].insert(viewer);
      control::ViewerAdmitted admitted;
      admitted.group = group;
      admitted.viewer = viewer;
      admitted.play_url = "rtsp://" + name_ + "/" + group + "?viewer=" + viewer;
      done(std::move(admitted));
    });
  }
  void start_phone_viewer(control::PhoneViewerRequest,
                          control::Done<control::PhoneViewerStarted> done) override {
    later([done = std::move(done)] { done(unsupported()); });
  }
  void start_phone_publisher(control::PhonePublisherRequest,
                             control::Done<control::PhonePublisherStarted> done) override {
    later([done = std::move(done)] { done(unsupported()); });
  }
  void start_webrtc_viewer(control::WebRtcViewerRequest,
                           control::Done<control::WebRtcViewerStarted> done) override {
    later([done = std::move(done)] { done(unsupported()); });
  }
  void start_webrtc_publisher(control::WebRtcPublisherRequest,
                              control::Done<control::WebRtcViewerStarted> done) override {
    later([done = std::move(done)] { done(unsupported()); });
  }
  // As an edge: the group's copy, pulled from `origin_url`.
  void open_edge(control::EdgeRequest request, control::Done<control::EdgeOpened> done) override {
    later([this, request, done = std::move(done)] {
      if (origin_urls_.contains(request.group)) {
        return done(control::EdgeOpened{request.group, false});
      }
      if (!groups_.insert(request.group).second) {
        return done(fail(control::ControlError{control::ControlErrorCode::conflict, "held"}));
      }
      origin_urls_[request.group] = request.origin_url;
      edges_opened.push_back(request.group + " " + request.master + " " + request.origin_url);
      done(control::EdgeOpened{request.group, true});
    });
  }
  void remove_viewer(std::string group, std::string viewer, control::Done<bool> done) override {
    later([this, group, viewer, done = std::move(done)] {
      if (!groups_.contains(group)) return done(no_group(group));
      removed.push_back(group + " " + viewer);
      viewers_[group].erase(viewer);
      done(true);
    });
  }
  void close_group(std::string group, control::Done<bool> done) override {
    later([this, group, done = std::move(done)] {
      if (groups_.erase(group) == 0) return done(no_group(group));
      emit(core::GroupEvent{core::GroupEventKind::group_closed, group, group, "deleted"});
      done(true);
    });
  }
  void list_groups(control::Done<std::vector<control::GroupSnapshot>> done) override {
    later([this, done = std::move(done)] {
      std::vector<control::GroupSnapshot> all;
      for (const auto& group : groups_) {
        control::GroupSnapshot snapshot;
        snapshot.group = group;
        snapshot.master = group;
        snapshot.state = "live";
        if (auto it = origin_urls_.find(group); it != origin_urls_.end()) {
          snapshot.origin_url = it->second;
        }
        for (const auto& viewer : viewers_[group]) {
          control::ViewerStats stats;
          stats.viewer = viewer;
          snapshot.viewers.push_back(stats);
        }
        all.push_back(snapshot);
      }
      done(std::move(all));
    });
  }
  void get_group(std::string group, control::Done<control::GroupSnapshot> done) override {
    later([this, group, done = std::move(done)] {
      if (!groups_.contains(group)) return done(no_group(group));
      control::GroupSnapshot snapshot;
      snapshot.group = group;
      snapshot.master = name_;  // tells the test which node answered
      snapshot.state = "live";
      if (auto it = origin_urls_.find(group); it != origin_urls_.end()) {
        snapshot.origin_url = it->second;
        // An edge's copy waits for the pull's first media.
        if (waiting_answers > 0) {
          --waiting_answers;
          snapshot.state = "waiting_for_master";
        }
      }
      done(std::move(snapshot));
    });
  }
  void subscribe(std::function<void(const core::GroupEvent&)> listener) override {
    listeners_.push_back(std::move(listener));
  }

  // On the loop.
  void emit(const core::GroupEvent& event) {
    for (auto& listener : listeners_)
      listener(event);
  }

  // The loop's.
  std::vector<std::string> created;
  std::vector<std::string> edges_opened;  // "<group> <master> <origin_url>"
  std::vector<std::string> removed;       // "<group> <viewer>"
  int waiting_answers = 0;                // edge copies reported not live yet, this many times
  std::set<std::string> admitted(const std::string& group) { return viewers_[group]; }

 private:
  template <class F>
  void later(F f) {
    boost::asio::post(io_, std::move(f));
  }
  static Failure<control::ControlError> no_group(const std::string& group) {
    return fail(control::ControlError{control::ControlErrorCode::not_found, "no group " + group});
  }
  static Failure<control::ControlError> unsupported() {
    return fail(control::ControlError{control::ControlErrorCode::bad_request, "unsupported"});
  }

  boost::asio::io_context& io_;
  std::string name_;
  std::set<std::string> groups_;
  std::map<std::string, std::string> origin_urls_;        // edge copies
  std::map<std::string, std::set<std::string>> viewers_;  // admitted
  std::vector<std::function<void(const core::GroupEvent&)>> listeners_;
};

// One media node: its media service, its agent, the admin API on a loopback port.
struct MediaNodeUnderTest {
  MediaNodeUnderTest(boost::asio::io_context& io, core::HostPort redis, const std::string& id,
                     std::size_t max_viewers = 100)
      : media(io, id), agent(io, media, agent_options(redis)), http(io) {
    const http::AdminApi api(http, agent, "");
    auto listening = http.listen("127.0.0.1", 0);
    EXPECT_TRUE(listening) << (listening ? "" : listening.error());
    MediaNodeAddress self;
    self.node_id = id;
    self.http_url = "http://127.0.0.1:" + std::to_string(http.port());
    self.rtsp_url = "rtsp://127.0.0.1:554";
    self.rtp_host = "127.0.0.1";
    self.rtp_port = 5000;
    self.max_viewers = max_viewers;
    agent.start(self);
  }
  static MediaNodeAgentOptions agent_options(core::HostPort redis) {
    MediaNodeAgentOptions options;
    options.redis = std::move(redis);
    options.media_node_ttl = milliseconds(1500);
    options.group_ttl = milliseconds(3000);
    return options;
  }

  StubMediaService media;
  MediaNodeAgent agent;
  http::HttpServer http;
};

class ClusterPlacementTest : public test::RedisTest {
 protected:
  ~ClusterPlacementTest() override {
    // Everything that posts to the loop goes while it still runs, then the loop.
    control_.reset();
    for (auto& node : nodes_) {
      boost::asio::post(io_, [&node] { node->http.stop(); });
    }
    std::promise<void> flushed;
    boost::asio::post(io_, [&flushed] { flushed.set_value(); });
    flushed.get_future().wait_for(std::chrono::seconds(5));
    for (auto& node : nodes_)
      node->agent.stop();
    work_.reset();
    io_.stop();
    if (loop_.joinable()) loop_.join();
    nodes_.clear();
  }

  MediaNodeUnderTest& add_node(const std::string& id, std::size_t max_viewers = 100) {
    nodes_.push_back(std::make_unique<MediaNodeUnderTest>(io_, redis_.address(), id, max_viewers));
    return *nodes_.back();
  }

  // `f()` run on the loop, where the stubs' state lives.
  template <class F>
  auto on_loop(F f) {
    auto promise = std::make_shared<std::promise<decltype(f())>>();
    auto future = promise->get_future();
    boost::asio::post(io_, [promise, f = std::move(f)] { promise->set_value(f()); });
    return future.get();
  }

  Result<control::ViewerAdmitted, control::ControlError> admit(const std::string& group,
                                                               const std::string& viewer) {
    return call<control::ViewerAdmitted>(
        [&](auto done) { control_->admit_viewer(group, viewer, std::move(done)); });
  }

  std::vector<std::string> edges_of(const std::string& number) {
    RedisClient redis(redis_.address());
    GroupLocations locations(redis);
    auto edges = locations.edges(number);
    return edges ? *edges : std::vector<std::string>{"(redis: " + edges.error() + ")"};
  }

  // The nodes' entries are in Redis: a directory read sees `count` fresh nodes.
  bool wait_fresh(std::size_t count) {
    RedisClient redis(redis_.address());
    MediaNodeDirectory directory(redis, core::RealTimeSource::instance(), std::nullopt);
    return test::wait_until(
        [&] {
          auto fresh = directory.fresh_nodes();
          return fresh && fresh->size() == count;
        },
        milliseconds(5000), milliseconds(20));
  }

  void start_control() {
    ClusterMediaControlOptions options;
    options.redis = redis_.address();
    options.media_node_ttl = milliseconds(1500);
    options.directory_poll = milliseconds(200);
    options.http.request_timeout = milliseconds(1000);
    control_ = std::make_unique<ClusterMediaControl>(io_, std::move(options));
    auto started = control_->start();
    ASSERT_TRUE(started) << started.error();
    control_->subscribe([this](const core::GroupEvent& event) {
      const std::lock_guard lock(mutex_);
      events_.push_back(std::string(core::to_string(event.kind)) + " " + event.group + " " +
                        event.reason);
    });
  }

  void run_loop() {
    loop_ = std::thread([this] { io_.run(); });
  }

  template <class T, class Call>
  Result<T, control::ControlError> call(Call c) {
    auto promise = std::make_shared<std::promise<Result<T, control::ControlError>>>();
    auto future = promise->get_future();
    c([promise](Result<T, control::ControlError> result) {
      promise->set_value(std::move(result));
    });
    if (future.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
      return fail(control::ControlError{control::ControlErrorCode::unavailable, "test: no answer"});
    }
    return future.get();
  }

  Result<control::GroupCreated, control::ControlError> create(const std::string& master) {
    return call<control::GroupCreated>(
        [&](auto done) { control_->create_group(master, std::move(done)); });
  }

  std::optional<std::string> located(const std::string& number) {
    RedisClient redis(redis_.address());
    GroupLocations locations(redis);
    auto found = locations.lookup(number);
    if (!found || !*found) return std::nullopt;
    return (*found)->node;
  }

  std::vector<std::string> events() {
    const std::lock_guard lock(mutex_);
    return events_;
  }
  bool wait_event(const std::string& line) {
    return test::wait_until(
        [&] {
          auto seen = events();
          return std::find(seen.begin(), seen.end(), line) != seen.end();
        },
        milliseconds(8000), milliseconds(20));
  }

  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_{
      boost::asio::make_work_guard(io_)};
  std::vector<std::unique_ptr<MediaNodeUnderTest>> nodes_;
  std::unique_ptr<ClusterMediaControl> control_;
  std::thread loop_;
  std::mutex mutex_;
  std::vector<std::string> events_;
};

TEST_F(ClusterPlacementTest, GroupsSpreadOverTheLeastLoadedNodesAndCallsReachTheirNode) {
  add_node("media-a");
  add_node("media-b");
  add_node("media-c");
  ASSERT_TRUE(wait_fresh(3));
  start_control();
  run_loop();

  std::set<std::string> holders;
  for (const std::string master : {"1001", "1002", "1003"}) {
    auto created = create(master);
    ASSERT_TRUE(created) << created.error().message;
    auto node = located(master);
    ASSERT_TRUE(node) << master << " has no location in Redis";
    holders.insert(*node);
    // The publish URL is the holder's own.
    EXPECT_THAT(created->publish_url, HasSubstr(*node));
  }
  EXPECT_EQ(holders, (std::set<std::string>{"media-a", "media-b", "media-c"}));

  // A viewer of 1002 is admitted where 1002 lives, whichever node that is.
  auto admitted = call<control::ViewerAdmitted>(
      [&](auto done) { control_->admit_viewer("1002", "2001", std::move(done)); });
  ASSERT_TRUE(admitted) << admitted.error().message;
  EXPECT_THAT(admitted->play_url, HasSubstr("rtsp://" + *located("1002") + "/1002"));

  auto missing = call<control::ViewerAdmitted>(
      [&](auto done) { control_->admit_viewer("1999", "2001", std::move(done)); });
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, control::ControlErrorCode::not_found);

  auto all = call<std::vector<control::GroupSnapshot>>(
      [&](auto done) { control_->list_groups(std::move(done)); });
  ASSERT_TRUE(all) << all.error().message;
  std::set<std::string> listed;
  for (const auto& group : *all)
    listed.insert(group.group);
  EXPECT_EQ(listed, (std::set<std::string>{"1001", "1002", "1003"}));

  // Closing goes to the holder; its group_closed comes back over Redis and the location goes.
  auto closed = call<bool>([&](auto done) { control_->close_group("1001", std::move(done)); });
  ASSERT_TRUE(closed) << closed.error().message;
  EXPECT_TRUE(wait_event("group_closed 1001 deleted"));
  EXPECT_TRUE(
      test::wait_until([&] { return !located("1001"); }, milliseconds(5000), milliseconds(20)));
}

TEST_F(ClusterPlacementTest, ANumberLiveOnOneNodeCannotBeCreatedOnAnother) {
  auto& a = add_node("media-a");
  auto& b = add_node("media-b");
  ASSERT_TRUE(wait_fresh(2));
  run_loop();
  auto on_a = call<control::GroupCreated>([&](auto done) {
    boost::asio::post(io_, [&a, done = std::move(done)]() mutable {
      a.agent.create_group("1001", std::move(done));
    });
  });
  ASSERT_TRUE(on_a) << on_a.error().message;
  auto on_b = call<control::GroupCreated>([&](auto done) {
    boost::asio::post(io_, [&b, done = std::move(done)]() mutable {
      b.agent.create_group("1001", std::move(done));
    });
  });
  ASSERT_FALSE(on_b);
  EXPECT_EQ(on_b.error().code, control::ControlErrorCode::conflict);
  EXPECT_THAT(on_b.error().message, HasSubstr("media-a"));
  EXPECT_EQ(located("1001"), "media-a");
}

TEST_F(ClusterPlacementTest, ANodeThatDoesNotAnswerIsPassedOver) {
  add_node("media-b");
  ASSERT_TRUE(wait_fresh(1));
  // An entry whose admin API nobody serves, first in placement order (no load, smallest id).
  RedisClient redis(redis_.address());
  MediaNodeDirectory ghost(
      redis, core::RealTimeSource::instance(),
      MediaNodeAddress{"media-a", "http://127.0.0.1:" + std::to_string(test::free_tcp_port()),
                       "rtsp://127.0.0.1:554", "127.0.0.1", 5000, 100},
      MediaNodeDirectoryOptions{.ttl = milliseconds(60000)});
  ASSERT_TRUE(ghost.publish(MediaNodeLoad{}));
  start_control();
  run_loop();
  auto created = create("1001");
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_EQ(located("1001"), "media-b");
  auto stats = std::make_shared<std::promise<ClusterMediaControlStats>>();
  control_->stats([stats](ClusterMediaControlStats s) { stats->set_value(s); });
  EXPECT_EQ(stats->get_future().get().placement_skips, 1U);
}

TEST_F(ClusterPlacementTest, EventsTravelOverRedisAndALostNodesGroupsAreClosed) {
  auto& a = add_node("media-a");
  ASSERT_TRUE(wait_fresh(1));
  start_control();
  run_loop();
  ASSERT_TRUE(create("1001"));
  ASSERT_TRUE(test::wait_until(
      [&] {
        boost::asio::post(io_, [&a] {
          a.media.emit(core::GroupEvent{core::GroupEventKind::master_joined, "1001", "1001", ""});
        });
        return !events().empty();
      },
      milliseconds(5000), milliseconds(200)));
  EXPECT_TRUE(wait_event("master_joined 1001 "));

  // The node stops refreshing without withdrawing (killed): its entry expires within the TTL
  // and its group is reported closed as lost.
  const auto killed_at = std::chrono::steady_clock::now();
  a.agent.stop();  // withdraws: put the entry back as a node that died would leave it
  RedisClient redis(redis_.address());
  MediaNodeDirectory stale(redis, core::RealTimeSource::instance(),
                           MediaNodeAddress{"media-a", "http://127.0.0.1:1", "rtsp://127.0.0.1:554",
                                            "127.0.0.1", 5000, 100},
                           MediaNodeDirectoryOptions{.ttl = milliseconds(1500)});
  ASSERT_TRUE(stale.publish(MediaNodeLoad{}));
  EXPECT_TRUE(wait_event("group_closed 1001 media_node_lost"));
  EXPECT_LT(std::chrono::steady_clock::now() - killed_at, std::chrono::seconds(5));

  // New calls avoid it: nothing left to place on.
  auto created = create("1002");
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code, control::ControlErrorCode::unavailable);
}

TEST_F(ClusterPlacementTest, AnOrderlyStopWithdrawsTheNodeAndReleasesItsGroups) {
  auto& a = add_node("media-a");
  ASSERT_TRUE(wait_fresh(1));
  run_loop();
  auto created = call<control::GroupCreated>([&](auto done) {
    boost::asio::post(io_, [&a, done = std::move(done)]() mutable {
      a.agent.create_group("1001", std::move(done));
    });
  });
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_EQ(located("1001"), "media-a");
  a.agent.stop();
  EXPECT_FALSE(located("1001"));
  EXPECT_TRUE(wait_fresh(0));
}

// Issue 15, 711-712 past the origin's room (cluster.max_viewers_per_node = 2 on every node):
// two viewers on the group's node, the next ones on an edge that the origin admitted as
// "edge-<node>" and that opened its pull from the URL it got, the edge relaying the group
// preferred while it has room, then the next least loaded node. Later calls for a viewer go to
// its node; the listing shows one group with every node's viewers; an edge's end is not the
// broadcast's.
TEST_F(ClusterPlacementTest, ViewersBeyondTheOriginsRoomArePlayedFromAnEdge) {
  auto& a = add_node("media-a", 2);
  auto& b = add_node("media-b", 2);
  auto& c = add_node("media-c", 2);
  ASSERT_TRUE(wait_fresh(3));
  start_control();
  run_loop();
  ASSERT_TRUE(create("1001"));
  ASSERT_EQ(located("1001"), "media-a");  // all empty: the smallest id

  const std::vector<std::pair<std::string, std::string>> expected = {{"2001", "media-a"},
                                                                     {"2002", "media-a"},
                                                                     {"2003", "media-b"},
                                                                     {"2004", "media-b"},
                                                                     {"2005", "media-c"}};
  for (const auto& [viewer, node] : expected) {
    auto admitted = admit("1001", viewer);
    ASSERT_TRUE(admitted) << viewer << ": " << admitted.error().message;
    EXPECT_THAT(admitted->play_url, HasSubstr("rtsp://" + node + "/1001?viewer=" + viewer))
        << viewer;
  }
  // Each edge opened once, from the URL the origin admitted it with.
  EXPECT_EQ(on_loop([&] { return b.media.edges_opened; }),
            std::vector<std::string>{"1001 1001 rtsp://media-a/1001?viewer=edge-media-b"});
  EXPECT_EQ(on_loop([&] { return c.media.edges_opened; }),
            std::vector<std::string>{"1001 1001 rtsp://media-a/1001?viewer=edge-media-c"});
  EXPECT_TRUE(on_loop([&] { return a.media.edges_opened; }).empty());
  EXPECT_EQ(on_loop([&] { return a.media.admitted("1001"); }),
            (std::set<std::string>{"2001", "2002", "edge-media-b", "edge-media-c"}));
  // The edges' agents list themselves.
  EXPECT_TRUE(test::wait_until(
      [&] {
        return edges_of("1001") == std::vector<std::string>{"media-b", "media-c"};
      },
      milliseconds(5000), milliseconds(20)))
      << ::testing::PrintToString(edges_of("1001"));

  // A viewer's removal goes to its edge; its place there is free again for the next viewer,
  // which prefers a node relaying the group (b and c tie: the smaller id).
  auto removed =
      call<bool>([&](auto done) { control_->remove_viewer("1001", "2003", std::move(done)); });
  ASSERT_TRUE(removed) << removed.error().message;
  EXPECT_EQ(on_loop([&] { return b.media.removed; }), std::vector<std::string>{"1001 2003"});
  EXPECT_TRUE(on_loop([&] { return a.media.removed; }).empty());
  auto again = admit("1001", "2006");
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_THAT(again->play_url, HasSubstr("rtsp://media-b/"));
  auto last = admit("1001", "2007");
  ASSERT_TRUE(last) << last.error().message;
  EXPECT_THAT(last->play_url, HasSubstr("rtsp://media-c/"));
  // Every node full now.
  auto full = admit("1001", "2008");
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().code, control::ControlErrorCode::limit_reached);
  EXPECT_THAT(full.error().message, HasSubstr("max_viewers_per_node"));

  // The same routing from a signaling node that admitted none of them: Redis says where.
  {
    ClusterMediaControlOptions options;
    options.redis = redis_.address();
    options.media_node_ttl = milliseconds(1500);
    options.http.request_timeout = milliseconds(1000);
    auto other = std::make_unique<ClusterMediaControl>(io_, std::move(options));
    ASSERT_TRUE(other->start());
    auto gone =
        call<bool>([&](auto done) { other->remove_viewer("1001", "2005", std::move(done)); });
    ASSERT_TRUE(gone) << gone.error().message;
    EXPECT_EQ(on_loop([&] { return c.media.removed; }), std::vector<std::string>{"1001 2005"});
    other.reset();
  }

  // One group, with the edges' viewers.
  auto all = call<std::vector<control::GroupSnapshot>>(
      [&](auto done) { control_->list_groups(std::move(done)); });
  ASSERT_TRUE(all) << all.error().message;
  ASSERT_EQ(all->size(), 1U);
  std::set<std::string> watching;
  for (const auto& viewer : all->front().viewers)
    watching.insert(viewer.viewer);
  EXPECT_EQ(watching, (std::set<std::string>{"2001", "2002", "2004", "2006", "2007"}));

  // An edge's copy ends (its last viewer left): out of the edges set, not the broadcast's end;
  // its viewer events are passed on.
  boost::asio::post(io_, [&c] {
    c.media.emit(core::GroupEvent{core::GroupEventKind::viewer_left, "1001", "2005", "teardown"});
    c.media.emit(
        core::GroupEvent{core::GroupEventKind::group_closed, "1001", "1001", "edge_closed"});
  });
  EXPECT_TRUE(wait_event("viewer_left 1001 teardown"));
  EXPECT_TRUE(
      test::wait_until([&] { return edges_of("1001") == std::vector<std::string>{"media-b"}; },
                       milliseconds(5000), milliseconds(20)))
      << ::testing::PrintToString(edges_of("1001"));
  for (const auto& line : events())
    EXPECT_EQ(line.find("group_closed"), std::string::npos) << line;
  EXPECT_EQ(located("1001"), "media-a");
}

// Viewers calling at the same moment: the admissions under way count, so the origin takes two
// and the other two share one edge (one pull), not one edge each.
TEST_F(ClusterPlacementTest, ViewersArrivingTogetherShareOneEdge) {
  add_node("media-a", 2);
  auto& b = add_node("media-b", 2);
  auto& c = add_node("media-c", 2);
  b.media.waiting_answers = 3;  // its pull takes a while: no viewer is sent there before it is live
  ASSERT_TRUE(wait_fresh(3));
  start_control();
  run_loop();
  ASSERT_TRUE(create("1001"));
  std::vector<std::future<Result<control::ViewerAdmitted, control::ControlError>>> pending;
  for (const std::string viewer : {"2001", "2002", "2003", "2004"}) {
    auto promise =
        std::make_shared<std::promise<Result<control::ViewerAdmitted, control::ControlError>>>();
    pending.push_back(promise->get_future());
    control_->admit_viewer("1001", viewer,
                           [promise](auto result) { promise->set_value(std::move(result)); });
  }
  std::map<std::string, int> per_node;
  for (auto& future : pending) {
    ASSERT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    auto admitted = future.get();
    ASSERT_TRUE(admitted) << admitted.error().message;
    const auto& url = admitted->play_url;
    ++per_node[url.substr(7, url.find('/', 7) - 7)];
  }
  EXPECT_EQ(per_node, (std::map<std::string, int>{{"media-a", 2}, {"media-b", 2}}));
  EXPECT_EQ(on_loop([&] { return b.media.edges_opened.size(); }), 1U);
  EXPECT_EQ(on_loop([&] { return b.media.waiting_answers; }), 0);
  EXPECT_TRUE(on_loop([&] { return c.media.edges_opened; }).empty());
}

}  // namespace placement_test
}  // namespace callcast::cluster
