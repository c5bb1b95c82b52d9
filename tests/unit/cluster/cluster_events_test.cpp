// The media nodes' events over Redis pub/sub end to end: a publisher per node, a subscriber on
// the signaling side, a real redis-server between them. Malformed messages are dropped and
// counted, a jump in a node's seq or a new epoch asks for a resync, and so does a subscription
// made again after Redis restarted.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "cluster/cluster_event_publisher.hpp"
#include "cluster/cluster_event_subscriber.hpp"
#include "cluster/cluster_keys.hpp"
#include "redis_test.hpp"
#include "support/wait_until.hpp"

namespace callcast::cluster {
namespace {

using std::chrono::milliseconds;
using ::testing::ElementsAre;

control::LoggedEvent logged(std::uint64_t seq, core::GroupEventKind kind, const std::string& group,
                            const std::string& terminal) {
  return control::LoggedEvent{seq, 1'700'000'000'000 + static_cast<std::int64_t>(seq),
                              core::GroupEvent{kind, group, terminal, ""}};
}

class ClusterEventsTest : public test::RedisTest {
 protected:
  void start_subscriber() {
    ClusterEventSubscriberOptions options;
    options.subscriber.connect_timeout = milliseconds(300);
    options.subscriber.backoff_first = milliseconds(20);
    options.subscriber.backoff_max = milliseconds(200);
    subscriber_ = std::make_unique<ClusterEventSubscriber>(
        redis_.address(),
        [this](const ClusterEvent& event) {
          const std::lock_guard lock(mutex_);
          seen_.push_back(event.node_id + " " + std::to_string(event.logged.seq) + " " +
                          std::string(core::to_string(event.logged.event.kind)) + " " +
                          event.logged.event.group + "/" + event.logged.event.terminal);
        },
        [this](control::ResyncCause cause, std::string_view node) {
          const std::lock_guard lock(mutex_);
          resyncs_.push_back(std::to_string(static_cast<int>(cause)) + ":" + std::string(node));
        },
        options);
    ASSERT_TRUE(test::wait_until([&] { return subscriber_->subscribed(); }, milliseconds(5000),
                                 milliseconds(10)));
    // Subscribed comes first, then the first contact's resync on the subscriber's thread.
    ASSERT_TRUE(
        test::wait_until([&] { return !resyncs().empty(); }, milliseconds(3000), milliseconds(10)));
  }

  std::unique_ptr<ClusterEventPublisher> publisher(const std::string& node,
                                                   const std::string& epoch) {
    return std::make_unique<ClusterEventPublisher>(redis_.address(), node, epoch);
  }

  std::vector<std::string> seen() {
    const std::lock_guard lock(mutex_);
    return seen_;
  }
  std::vector<std::string> resyncs() {
    const std::lock_guard lock(mutex_);
    return resyncs_;
  }
  bool wait_seen(std::size_t count) {
    return test::wait_until([&] { return seen().size() >= count; }, milliseconds(5000),
                            milliseconds(10));
  }

  static std::string cause(control::ResyncCause c, const std::string& node) {
    return std::to_string(static_cast<int>(c)) + ":" + node;
  }

  std::mutex mutex_;
  std::vector<std::string> seen_;
  std::vector<std::string> resyncs_;
  std::unique_ptr<ClusterEventSubscriber> subscriber_;
};

TEST_F(ClusterEventsTest, EventsOfEveryNodeReachTheSubscriberWithTheirNode) {
  start_subscriber();
  EXPECT_THAT(resyncs(), ElementsAre(cause(control::ResyncCause::first_contact, "")))
      << "what happened before the subscription is unknown";
  auto media_1 = publisher("media-1:8080", "e1");
  auto media_2 = publisher("media-2:8080", "e2");
  using core::GroupEventKind;
  ASSERT_TRUE(media_1->post(logged(1, GroupEventKind::master_joined, "1001", "1001")));
  ASSERT_TRUE(media_1->flush(milliseconds(3000)));
  ASSERT_TRUE(media_2->post(logged(1, GroupEventKind::master_joined, "2001", "2001")));
  ASSERT_TRUE(media_2->flush(milliseconds(3000)));
  ASSERT_TRUE(media_1->post(logged(2, GroupEventKind::viewer_joined, "1001", "1002")));
  ASSERT_TRUE(wait_seen(3));
  EXPECT_THAT(seen(), ElementsAre("media-1:8080 1 master_joined 1001/1001",
                                  "media-2:8080 1 master_joined 2001/2001",
                                  "media-1:8080 2 viewer_joined 1001/1002"));
  EXPECT_EQ(media_1->published(), 2U);
  EXPECT_EQ(subscriber_->delivered(), 3U);
  EXPECT_EQ(resyncs().size(), 1U) << "no gap, no resync";
}

TEST_F(ClusterEventsTest, MalformedMessagesAreDroppedAndCounted) {
  start_subscriber();
  RedisClient raw(redis_.address());
  const std::vector<std::string> junk_messages{"not json", "{\"node\":\"m1\"}", "[]",
                                               std::string(5000, '{')};
  for (const std::string& junk : junk_messages) {
    ASSERT_TRUE(raw.integer({"PUBLISH", keys::kEventsChannel, junk}).ok());
  }
  auto media_1 = publisher("media-1", "e1");
  ASSERT_TRUE(media_1->post(logged(1, core::GroupEventKind::group_closed, "1001", "1001")));
  ASSERT_TRUE(wait_seen(1));
  EXPECT_THAT(seen(), ElementsAre("media-1 1 group_closed 1001/1001"));
  EXPECT_EQ(subscriber_->malformed(), 4U);
}

TEST_F(ClusterEventsTest, ASeqJumpOrANewEpochAsksForAResyncAfterTheEvent) {
  start_subscriber();
  using core::GroupEventKind;
  auto media_1 = publisher("media-1", "e1");
  ASSERT_TRUE(media_1->post(logged(1, GroupEventKind::master_joined, "1001", "1001")));
  ASSERT_TRUE(media_1->post(logged(4, GroupEventKind::viewer_joined, "1001", "1002")));
  ASSERT_TRUE(wait_seen(2));
  ASSERT_TRUE(test::wait_until([&] { return resyncs().size() == 2; }, milliseconds(3000),
                               milliseconds(10)));
  EXPECT_EQ(resyncs().back(), cause(control::ResyncCause::events_missed, "media-1"));

  // The node restarts: a new epoch, its seq from 1 again.
  media_1 = publisher("media-1", "e2");
  ASSERT_TRUE(media_1->post(logged(1, GroupEventKind::master_joined, "1003", "1003")));
  ASSERT_TRUE(wait_seen(3));
  ASSERT_TRUE(test::wait_until([&] { return resyncs().size() == 3; }, milliseconds(3000),
                               milliseconds(10)));
  EXPECT_EQ(resyncs().back(), cause(control::ResyncCause::media_restarted, "media-1"));

  // A replayed (old) seq of the same epoch is not delivered twice.
  ASSERT_TRUE(media_1->post(logged(1, GroupEventKind::master_joined, "1003", "1003")));
  ASSERT_TRUE(media_1->post(logged(2, GroupEventKind::master_lost, "1003", "1003")));
  ASSERT_TRUE(wait_seen(4));
  EXPECT_EQ(seen().back(), "media-1 2 master_lost 1003/1003");
  EXPECT_EQ(subscriber_->duplicates(), 1U);
  EXPECT_EQ(resyncs().size(), 3U);
}

TEST_F(ClusterEventsTest, RedisRestartFailsPublishesThenBothSidesRecover) {
  start_subscriber();
  using core::GroupEventKind;
  auto media_1 = publisher("media-1", "e1");
  ASSERT_TRUE(media_1->post(logged(1, GroupEventKind::master_joined, "1001", "1001")));
  ASSERT_TRUE(wait_seen(1));

  redis_.stop();
  ASSERT_TRUE(test::wait_until([&] { return !subscriber_->subscribed(); }, milliseconds(3000),
                               milliseconds(10)));
  ASSERT_TRUE(media_1->post(logged(2, GroupEventKind::viewer_joined, "1001", "1002")));
  ASSERT_TRUE(media_1->flush(milliseconds(5000)));
  EXPECT_EQ(media_1->failed(), 1U) << "sent while Redis was down: lost, and counted";

  ASSERT_TRUE(redis_.start()) << redis_.error();
  ASSERT_TRUE(test::wait_until([&] { return subscriber_->subscribed(); }, milliseconds(5000),
                               milliseconds(10)));
  // The subscriber reports itself subscribed before it runs the resync handler.
  EXPECT_TRUE(test::wait_until(
      [&] {
        const auto now = resyncs();
        return !now.empty() && now.back() == cause(control::ResyncCause::events_missed, "");
      },
      milliseconds(3000), milliseconds(10)))
      << "resubscribed: what was published meanwhile is unknown";
  ASSERT_TRUE(media_1->post(logged(3, GroupEventKind::viewer_left, "1001", "1002")));
  ASSERT_TRUE(wait_seen(2));
  EXPECT_EQ(seen().back(), "media-1 3 viewer_left 1001/1002");
}

// A Redis that accepts connections but never answers (hung): each PUBLISH waits out the command
// timeout, the queue fills, and post() keeps returning at once.
TEST_F(ClusterEventsTest, FullQueueDropsAndCountsInsteadOfBlocking) {
  const int hung = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(hung, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof(address);
  ASSERT_EQ(::bind(hung, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(::listen(hung, 16), 0);
  ASSERT_EQ(::getsockname(hung, reinterpret_cast<sockaddr*>(&address), &size), 0);
  const core::HostPort hung_redis{"127.0.0.1", ntohs(address.sin_port)};

  ClusterEventPublisherOptions tiny;
  tiny.queue_capacity = 2;
  tiny.redis.command_timeout = milliseconds(300);
  auto media_1 = std::make_unique<ClusterEventPublisher>(hung_redis, "media-1", "e1", tiny);
  const auto started = std::chrono::steady_clock::now();
  int accepted = 0;
  for (std::uint64_t seq = 1; seq <= 20; ++seq) {
    if (media_1->post(logged(seq, core::GroupEventKind::viewer_joined, "1001", "1002"))) {
      ++accepted;
    }
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, milliseconds(250))
      << "post() never waits for Redis (a PUBLISH here takes 300 ms)";
  EXPECT_GE(accepted, 2);
  EXPECT_LE(accepted, 3) << "the queue, plus the one being sent";
  EXPECT_EQ(media_1->dropped(), static_cast<std::uint64_t>(20 - accepted));
  media_1.reset();  // waits for the send in flight only: bounded by the command timeout
  ::close(hung);
}

}  // namespace
}  // namespace callcast::cluster
