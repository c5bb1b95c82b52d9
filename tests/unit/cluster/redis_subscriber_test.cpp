// Pub/sub on its own thread against a real redis-server: messages in order, a prompt stop, and
// a subscription that comes back by itself when Redis is restarted (or starts late).
#include "cluster/redis_subscriber.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "cluster/redis_client.hpp"
#include "redis_test.hpp"
#include "support/wait_until.hpp"

namespace callcast::cluster {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// What a subscriber handed out, read from the test's thread.
class Inbox {
 public:
  void add(std::string_view channel, std::string_view message) {
    const std::lock_guard lock(mutex_);
    messages_.push_back(std::string(channel) + "=" + std::string(message));
  }
  void subscribed(bool first) {
    const std::lock_guard lock(mutex_);
    subscriptions_.push_back(first);
  }
  std::vector<std::string> messages() const {
    const std::lock_guard lock(mutex_);
    return messages_;
  }
  std::vector<bool> subscriptions() const {
    const std::lock_guard lock(mutex_);
    return subscriptions_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> messages_;
  std::vector<bool> subscriptions_;
};

RedisSubscriberOptions quick_options() {
  RedisSubscriberOptions options;
  options.connect_timeout = milliseconds(300);
  options.ping_interval = milliseconds(500);
  options.reply_timeout = milliseconds(500);
  options.backoff_first = milliseconds(20);
  options.backoff_max = milliseconds(200);
  return options;
}

class RedisSubscriberTest : public test::RedisTest {
 protected:
  std::unique_ptr<RedisSubscriber> subscribe(std::vector<std::string> channels,
                                             RedisSubscriberOptions options = quick_options()) {
    return std::make_unique<RedisSubscriber>(
        redis_.address(), std::move(channels),
        [this](std::string_view channel, std::string_view message) {
          inbox_.add(channel, message);
        },
        [this](bool first) { inbox_.subscribed(first); }, options);
  }

  // PUBLISHes until one subscriber got it (Redis tells how many did).
  long long publish(const std::string& channel, const std::string& message) {
    auto receivers = publisher_.integer({"PUBLISH", channel, message});
    EXPECT_TRUE(receivers.ok()) << receivers.error();
    return receivers.ok() ? *receivers : -1;
  }

  bool wait_subscribed(const RedisSubscriber& subscriber) {
    return test::wait_until([&] { return subscriber.subscribed(); }, milliseconds(5000),
                            milliseconds(10));
  }

  Inbox inbox_;
  RedisClient publisher_{redis_.address()};
};

TEST_F(RedisSubscriberTest, DeliversMessagesOfItsChannelsInOrder) {
  auto subscriber = subscribe({"callcast:a", "callcast:b"});
  ASSERT_TRUE(wait_subscribed(*subscriber)) << subscriber->last_error();
  EXPECT_THAT(inbox_.subscriptions(), ElementsAre(true));
  EXPECT_EQ(publish("callcast:a", "1"), 1);
  EXPECT_EQ(publish("callcast:other", "x"), 0);
  EXPECT_EQ(publish("callcast:b", "2"), 1);
  EXPECT_EQ(publish("callcast:a", std::string("3 with\r\nCRLF and \0 NUL", 22)), 1);
  ASSERT_TRUE(test::wait_until([&] { return inbox_.messages().size() == 3; }, milliseconds(3000),
                               milliseconds(10)));
  EXPECT_THAT(inbox_.messages(),
              ElementsAre("callcast:a=1", "callcast:b=2",
                          "callcast:a=" + std::string("3 with\r\nCRLF and \0 NUL", 22)));
  EXPECT_EQ(subscriber->messages(), 3U);
}

TEST_F(RedisSubscriberTest, StopsPromptlyWhenDestroyed) {
  RedisSubscriberOptions slow = quick_options();
  slow.ping_interval = milliseconds(60'000);  // nothing of its own wakes it for a minute
  auto subscriber = subscribe({"callcast:a"}, slow);
  ASSERT_TRUE(wait_subscribed(*subscriber));
  const auto started = Clock::now();
  subscriber.reset();
  EXPECT_LT(Clock::now() - started, milliseconds(1000)) << "its own wake-ups are a minute apart";
}

TEST_F(RedisSubscriberTest, StopsPromptlyWhileBackingOffFromADownRedis) {
  redis_.stop();
  RedisSubscriberOptions patient = quick_options();
  patient.backoff_first = milliseconds(60'000);
  auto subscriber = subscribe({"callcast:a"}, patient);
  ASSERT_TRUE(test::wait_until([&] { return subscriber->connection_failures() > 0; },
                               milliseconds(3000), milliseconds(10)));
  const auto started = Clock::now();
  subscriber.reset();
  EXPECT_LT(Clock::now() - started, milliseconds(1000)) << "its backoff is a minute long";
}

TEST_F(RedisSubscriberTest, ResubscribesAfterRedisRestartsAndSaysSo) {
  auto subscriber = subscribe({"callcast:a"});
  ASSERT_TRUE(wait_subscribed(*subscriber));
  ASSERT_EQ(publish("callcast:a", "before"), 1);

  redis_.stop();
  ASSERT_TRUE(test::wait_until([&] { return !subscriber->subscribed(); }, milliseconds(3000),
                               milliseconds(10)));
  ASSERT_TRUE(test::wait_until([&] { return subscriber->connection_failures() > 0; },
                               milliseconds(3000), milliseconds(10)));
  EXPECT_THAT(subscriber->last_error(),
              ::testing::AnyOf(HasSubstr("closed the connection"), HasSubstr("cannot connect")));

  ASSERT_TRUE(redis_.start()) << redis_.error();
  ASSERT_TRUE(wait_subscribed(*subscriber)) << subscriber->last_error();
  EXPECT_EQ(publish("callcast:a", "after"), 1);
  ASSERT_TRUE(test::wait_until([&] { return inbox_.messages().size() == 2; }, milliseconds(3000),
                               milliseconds(10)));
  EXPECT_THAT(inbox_.messages(), ElementsAre("callcast:a=before", "callcast:a=after"));
  EXPECT_THAT(inbox_.subscriptions(), ElementsAre(true, false))
      << "the second subscription says that messages may have been missed";
}

TEST_F(RedisSubscriberTest, RedisThatStartsLateIsSubscribedOnceItIsUp) {
  redis_.stop();
  auto subscriber = subscribe({"callcast:a"});
  ASSERT_TRUE(test::wait_until([&] { return subscriber->connection_failures() >= 2; },
                               milliseconds(3000), milliseconds(10)))
      << "it keeps trying";
  EXPECT_FALSE(subscriber->subscribed());
  EXPECT_THAT(subscriber->last_error(), HasSubstr("cannot connect"));
  ASSERT_TRUE(redis_.start()) << redis_.error();
  ASSERT_TRUE(wait_subscribed(*subscriber)) << subscriber->last_error();
  EXPECT_THAT(inbox_.subscriptions(), ElementsAre(true));
}

// A server that stops answering without closing (here: paused) is detected by the keep-alive
// PING, and the subscription is made again once it answers.
TEST_F(RedisSubscriberTest, SilentServerIsDetectedByPing) {
  RedisSubscriberOptions options = quick_options();
  options.ping_interval = milliseconds(100);
  options.reply_timeout = milliseconds(200);
  auto subscriber = subscribe({"callcast:a"}, options);
  ASSERT_TRUE(wait_subscribed(*subscriber));
  RedisClient pauser(redis_.address());
  ASSERT_TRUE(pauser.status_ok({"CLIENT", "PAUSE", "700", "ALL"}).ok());
  ASSERT_TRUE(test::wait_until([&] { return subscriber->connection_failures() > 0; },
                               milliseconds(3000), milliseconds(10)));
  EXPECT_THAT(subscriber->last_error(), HasSubstr("no reply to"));
  ASSERT_TRUE(test::wait_until([&] { return subscriber->subscriptions() >= 2; }, milliseconds(5000),
                               milliseconds(10)))
      << subscriber->last_error();
  EXPECT_EQ(publish("callcast:a", "after"), 1);
  ASSERT_TRUE(test::wait_until([&] { return inbox_.messages().size() == 1; }, milliseconds(3000),
                               milliseconds(10)));
}

}  // namespace
}  // namespace callcast::cluster
