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
  void open_edge(control::EdgeRequest, control::Done<control::EdgeOpened> done) override {
    later([done = std::move(done)] { done(unsupported()); });
  }
  void remove_viewer(std::string group, std::string, control::Done<bool> done) override {
    later([this, group, done = std::move(done)] {
      if (!groups_.contains(group)) return done(no_group(group));
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

  std::vector<std::string> created;  // the loop's

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

  MediaNodeUnderTest& add_node(const std::string& id) {
    nodes_.push_back(std::make_unique<MediaNodeUnderTest>(io_, redis_.address(), id));
    return *nodes_.back();
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

}  // namespace placement_test
}  // namespace callcast::cluster
