// The hiredis wrapper against a real redis-server: typed replies, binary-safe arguments (no
// format string ever sees a value), errors that name the server and the command, the timeout,
// and recovery after Redis is stopped and started again.
#include "cluster/redis_client.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "cluster/redis_script.hpp"
#include "redis_test.hpp"

namespace callcast::cluster {
namespace {

using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

class RedisClientTest : public test::RedisTest {
 protected:
  RedisClient client_{redis_.address(), RedisClientOptions{std::chrono::milliseconds(500),
                                                           std::chrono::milliseconds(500)}};
  std::string server_text() const { return "redis 127.0.0.1:" + std::to_string(redis_.port()); }
};

TEST_F(RedisClientTest, RepliesComeBackTyped) {
  EXPECT_TRUE(*client_.status_ok({"SET", "callcast:test:a", "1001"}));
  EXPECT_EQ(client_.string_or_nil({"GET", "callcast:test:a"})->value_or("<nil>"), "1001");
  EXPECT_FALSE(client_.string_or_nil({"GET", "callcast:test:none"})->has_value());
  EXPECT_EQ(*client_.integer({"INCRBY", "callcast:test:n", "41"}), 41);
  EXPECT_EQ(*client_.integer({"INCR", "callcast:test:n"}), 42);
  ASSERT_TRUE(client_.integer({"RPUSH", "callcast:test:l", "x", "y", "z"}).ok());
  EXPECT_EQ(*client_.strings({"LRANGE", "callcast:test:l", "0", "-1"}),
            (std::vector<std::string>{"x", "y", "z"}));
  auto pong = client_.command({"PING"});
  ASSERT_TRUE(pong.ok()) << pong.error();
  EXPECT_TRUE(pong->is_status("PONG"));
  EXPECT_EQ(client_.connects(), 1U) << "one connection for every command";
}

// Values reach Redis as they are: a format directive, CRLF, spaces and NUL bytes are data, never
// protocol (redisCommandArgv, not a format string).
TEST_F(RedisClientTest, ArgumentsAreBinarySafe) {
  const std::string nasty = std::string("%s %d %b\r\n*3\r\n$3\r\nDEL\r\n") + std::string(1, '\0') +
                            "rtsp://h:1/a b?c=%00";
  ASSERT_TRUE(*client_.status_ok({"SET", "callcast:test:nasty", nasty}));
  EXPECT_EQ(client_.string_or_nil({"GET", "callcast:test:nasty"})->value_or(""), nasty);
  EXPECT_EQ(*client_.integer({"STRLEN", "callcast:test:nasty"}),
            static_cast<long long>(nasty.size()));
  EXPECT_EQ(*client_.integer({"DBSIZE"}), 1) << "no command was injected";
}

TEST_F(RedisClientTest, ErrorRepliesNameTheServerAndTheCommand) {
  ASSERT_TRUE(client_.integer({"SADD", "callcast:test:set", "m1"}).ok());
  auto wrong = client_.string_or_nil({"GET", "callcast:test:set"});
  ASSERT_FALSE(wrong.ok());
  EXPECT_THAT(wrong.error(), HasSubstr(server_text() + ": GET callcast:test:set: WRONGTYPE"));
  auto unknown = client_.command({"NO-SUCH-COMMAND", "x"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(unknown.error(), HasSubstr("NO-SUCH-COMMAND x: ERR unknown command"));
  // A reply of another type than expected is a failure too, saying what came.
  auto not_integer = client_.integer({"GET", "callcast:test:missing"});
  ASSERT_FALSE(not_integer.ok());
  EXPECT_THAT(not_integer.error(), HasSubstr("expected an integer, got nil"));
  EXPECT_TRUE(client_.command({"PING"}).ok()) << "an error reply leaves the connection usable";
  EXPECT_EQ(client_.connects(), 1U);
}

TEST_F(RedisClientTest, UnreachableServerFailsFastNamingIt) {
  const std::uint16_t nobody = test::free_tcp_port();
  RedisClient lonely({"127.0.0.1", nobody}, RedisClientOptions{std::chrono::milliseconds(300),
                                                               std::chrono::milliseconds(300)});
  const auto started = Clock::now();
  auto reply = lonely.command({"HSET", "callcast:group:1001", "node", "m1"});
  ASSERT_FALSE(reply.ok());
  EXPECT_LT(Clock::now() - started, std::chrono::seconds(2));
  EXPECT_THAT(reply.error(), HasSubstr("redis 127.0.0.1:" + std::to_string(nobody) +
                                       ": HSET callcast:group:1001: cannot connect"));
  EXPECT_FALSE(lonely.connected());
  EXPECT_EQ(lonely.failures(), 1U);
}

TEST_F(RedisClientTest, StoppedRedisFailsClearlyAndRestartedRedisServesAgain) {
  ASSERT_TRUE(client_.status_ok({"SET", "callcast:test:k", "v"}).ok());
  redis_.stop();

  auto down = client_.command({"GET", "callcast:test:k"});
  ASSERT_FALSE(down.ok());
  EXPECT_THAT(down.error(), HasSubstr(server_text() + ": GET callcast:test:k: "));
  auto still_down = client_.command({"SET", "callcast:test:k", "v2"});
  ASSERT_FALSE(still_down.ok());
  EXPECT_THAT(still_down.error(),
              HasSubstr(server_text() + ": SET callcast:test:k: cannot connect"));

  ASSERT_TRUE(redis_.start()) << redis_.error();
  auto back = client_.string_or_nil({"GET", "callcast:test:k"});
  ASSERT_TRUE(back.ok()) << "the next command reconnects: " << back.error();
  EXPECT_FALSE(back->has_value()) << "a Redis without persistence restarts empty";
  EXPECT_TRUE(client_.status_ok({"SET", "callcast:test:k", "v3"}).ok());
  EXPECT_GE(client_.connects(), 2U);
}

// A restart while the client is idle: the closed connection is noticed before the next command
// is sent, so not even one command is lost to it.
TEST_F(RedisClientTest, ConnectionClosedWhileIdleIsReplacedBeforeTheNextCommand) {
  ASSERT_TRUE(client_.command({"PING"}).ok());
  RedisClient other(redis_.address());
  auto killed = other.integer({"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"});
  ASSERT_TRUE(killed.ok()) << killed.error();
  EXPECT_EQ(*killed, 1);
  // The kill reaches this client's socket asynchronously.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto reply = client_.command({"PING"});
  ASSERT_TRUE(reply.ok()) << reply.error();
  EXPECT_EQ(client_.connects(), 2U);
  EXPECT_EQ(client_.failures(), 0U);
}

TEST_F(RedisClientTest, CommandWithoutReplyTimesOutAndTheClientRecovers) {
  RedisClient pauser(redis_.address());
  RedisClient hasty(redis_.address(), RedisClientOptions{std::chrono::milliseconds(500),
                                                         std::chrono::milliseconds(200)});
  ASSERT_TRUE(hasty.command({"PING"}).ok());
  ASSERT_TRUE(pauser.status_ok({"CLIENT", "PAUSE", "800", "ALL"}).ok());
  const auto started = Clock::now();
  auto paused = hasty.command({"GET", "callcast:test:k"});
  const auto waited = Clock::now() - started;
  ASSERT_FALSE(paused.ok());
  EXPECT_THAT(paused.error(), HasSubstr(": GET callcast:test:k: no reply within 200 ms"));
  EXPECT_GE(waited, std::chrono::milliseconds(150));
  EXPECT_LT(waited, std::chrono::milliseconds(1500));
  EXPECT_FALSE(hasty.connected()) << "a connection with a reply still due is out of step";
  ASSERT_TRUE(pauser.status_ok({"CLIENT", "UNPAUSE"}).ok());
  auto later = hasty.command({"PING"});
  EXPECT_TRUE(later.ok()) << later.error();
}

TEST_F(RedisClientTest, PipelineAnswersEachCommandInItsSlot) {
  const std::vector<std::vector<std::string>> commands{{"SET", "callcast:test:p", "1"},
                                                       {"SADD", "callcast:test:p", "x"},
                                                       {"GET", "callcast:test:p"}};
  auto replies = client_.pipeline(commands);
  ASSERT_TRUE(replies.ok()) << replies.error();
  ASSERT_EQ(replies->size(), 3U);
  EXPECT_TRUE((*replies)[0].is_status("OK"));
  EXPECT_EQ((*replies)[1].type, RedisReply::Type::error);
  EXPECT_THAT((*replies)[1].text, HasSubstr("WRONGTYPE"));
  EXPECT_EQ((*replies)[2].text, "1");
  EXPECT_TRUE(client_.pipeline({}).ok());
}

TEST_F(RedisClientTest, ScriptsRunBySha1AndSurviveALostScriptCache) {
  const RedisScript script("test-add", "return tonumber(ARGV[1]) + tonumber(ARGV[2])");
  EXPECT_EQ(script.sha1().size(), 40U);
  const std::vector<std::string> no_keys;
  const std::vector<std::string> args{"40", "2"};
  auto first = client_.eval(script, no_keys, args);
  ASSERT_TRUE(first.ok()) << first.error();
  EXPECT_EQ(first->integer, 42);
  // Redis's own SHA-1 of the text is the one the client computed.
  auto loaded = client_.string_or_nil({"SCRIPT", "LOAD", script.source()});
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  EXPECT_EQ(loaded->value_or(""), script.sha1());

  ASSERT_TRUE(client_.status_ok({"SCRIPT", "FLUSH"}).ok());
  auto after_flush = client_.eval(script, no_keys, args);
  ASSERT_TRUE(after_flush.ok()) << after_flush.error();
  EXPECT_EQ(after_flush->integer, 42);

  const RedisScript broken("test-broken", "return redis.call('NO-SUCH')");
  auto failed = client_.eval(broken, no_keys, no_keys);
  ASSERT_FALSE(failed.ok());
  EXPECT_THAT(failed.error(), HasSubstr(server_text() + ": EVALSHA test-broken: "));
}

TEST(RedisCommandLabelTest, NamesTheCommandAndKeyButNeverLongValues) {
  const std::vector<std::string> set{"SET", "callcast:fwd:1001", std::string(500, 'v')};
  EXPECT_EQ(command_label(set), "SET callcast:fwd:1001");
  const std::vector<std::string> long_key{"GET", std::string(200, 'k')};
  EXPECT_EQ(command_label(long_key), "GET " + std::string(80, 'k') + "...");
  EXPECT_EQ(command_label(std::vector<std::string>{}), "(empty command)");
  const std::vector<std::string> scan{"SCAN", "1234", "MATCH", "callcast:fwd:*", "COUNT", "100"};
  EXPECT_EQ(command_label(scan), "SCAN callcast:fwd:*");
}

TEST(RedisIntegerTest, OnlyWholeIntegersAreRead) {
  EXPECT_EQ(parse_redis_integer("1700000000000"), 1700000000000);
  EXPECT_EQ(parse_redis_integer("-5"), -5);
  for (const char* bad : {"", "12a", " 1", "1.5", "99999999999999999999"}) {
    EXPECT_EQ(parse_redis_integer(bad), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace callcast::cluster
