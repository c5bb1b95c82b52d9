// GET /v1/events over real sockets, against the real media service: the long-poll answers at
// once, wakes on an event, ends empty, reports gaps, and bounds its waiting readers.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "http_test_client.hpp"
#include "media_stack.hpp"
#include "support/wait_until.hpp"

namespace callcast::http {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using test::MediaStack;
using test::Reply;
using test::TestClient;

class AdminApiEventsTest : public ::testing::Test {
 protected:
  void start(MediaStack::Options options = {}) { stack_ = std::make_unique<MediaStack>(options); }

  Reply get(std::string_view target, std::vector<Header> headers = {}) {
    TestClient client(stack_->http_port());
    EXPECT_TRUE(client.connected());
    auto reply = client.request("GET", target, {}, std::move(headers));
    EXPECT_TRUE(reply.has_value()) << target << ": no reply";
    return reply.value_or(Reply{});
  }

  // Waits (bounded) until the media service holds `n` readers.
  bool readers_waiting(std::size_t n) {
    return callcast::test::wait_until([&] { return stack_->waiting_readers() == n; }, 5s, 5ms);
  }

  static std::vector<std::string> groups_of(const json& body) {
    std::vector<std::string> out;
    for (const auto& e : body.at("events"))
      out.push_back(e.at("kind").get<std::string>() + " " + e.at("group").get<std::string>());
    return out;
  }

  std::unique_ptr<MediaStack> stack_;
};

TEST_F(AdminApiEventsTest, BufferedEventsAreAnsweredAtOnce) {
  start();
  stack_->emit_group_closed("13800000001");
  stack_->emit_group_closed("13800000002");
  // The default wait is 25 s, the client gives up after 5 s: a reply at all means it was not
  // waited, and no reader was left waiting for it.
  const Reply reply = get("/v1/events?after=0");
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(stack_->waiting_readers(), 0U);
  EXPECT_EQ(reply.header("Content-Type"), "application/json");
  const json body = reply.json();
  ASSERT_EQ(body.at("events").size(), 2U) << reply.body;
  const json& first = body["events"][0];
  EXPECT_EQ(first.at("seq"), 1);
  EXPECT_EQ(first.at("kind"), "group_closed");
  EXPECT_EQ(first.at("group"), "13800000001");
  EXPECT_EQ(first.at("terminal"), "13800000001");
  EXPECT_EQ(first.at("reason"), "deleted");
  EXPECT_TRUE(first.at("unix_ms").is_number_integer());
  EXPECT_EQ(first.size(), 6U) << first.dump();
  EXPECT_EQ(body["events"][1].at("seq"), 2);
  EXPECT_EQ(body.at("next"), 2);
  EXPECT_EQ(body.at("gap"), false);
  EXPECT_TRUE(body.at("epoch").is_string());
  EXPECT_EQ(body.size(), 4U) << reply.body;
}

TEST_F(AdminApiEventsTest, LongPollWakesOnTheNextEvent) {
  start();
  stack_->emit_group_closed("1001");
  TestClient client(stack_->http_port(), 10s);
  ASSERT_TRUE(client.send_request("GET", "/v1/events?after=1&wait_ms=20000"));
  ASSERT_TRUE(readers_waiting(1));
  stack_->emit_group_closed("1002");
  // Woken by the event, not by the end of the 20 s wait: that would answer an empty list, and
  // after the client's 10 s.
  const auto reply = client.read_reply();
  ASSERT_TRUE(reply.has_value());
  ASSERT_EQ(reply->status, 200) << reply->body;
  EXPECT_EQ(groups_of(reply->json()), (std::vector<std::string>{"group_closed 1002"}));
  EXPECT_EQ(reply->json().at("next"), 2);
}

TEST_F(AdminApiEventsTest, WaitEndsWithAnEmptyListWhenItsTimeIsUp) {
  MediaStack::Options options;
  options.simulated_time = true;
  start(options);
  stack_->emit_group_closed("1001");
  TestClient client(stack_->http_port(), 10s);
  ASSERT_TRUE(client.send_request("GET", "/v1/events?after=1&wait_ms=150"));
  ASSERT_TRUE(readers_waiting(1));
  stack_->advance(149ms);
  EXPECT_EQ(stack_->waiting_readers(), 1U) << "answered before its wait was over";
  stack_->advance(1ms);
  const auto reply = client.read_reply();
  ASSERT_TRUE(reply.has_value());
  ASSERT_EQ(reply->status, 200) << reply->body;
  const json body = reply->json();
  EXPECT_TRUE(body.at("events").empty());
  EXPECT_EQ(body.at("next"), 1);
  EXPECT_EQ(body.at("gap"), false);
  EXPECT_EQ(stack_->waiting_readers(), 0U);
}

TEST_F(AdminApiEventsTest, WithoutAfterOnlyEventsFromNowOn) {
  start();
  stack_->emit_group_closed("1001");
  stack_->emit_group_closed("1002");
  const Reply now = get("/v1/events?wait_ms=0");
  ASSERT_EQ(now.status, 200) << now.body;
  EXPECT_TRUE(now.json().at("events").empty());
  EXPECT_EQ(now.json().at("next"), 2);

  TestClient client(stack_->http_port(), 10s);
  ASSERT_TRUE(client.send_request("GET", "/v1/events?wait_ms=20000"));
  ASSERT_TRUE(readers_waiting(1));
  stack_->emit_group_closed("1003");
  const auto reply = client.read_reply();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(groups_of(reply->json()), (std::vector<std::string>{"group_closed 1003"}));
}

TEST_F(AdminApiEventsTest, ReaderBehindTheRingIsToldOfTheGap) {
  MediaStack::Options options;
  options.feed.capacity = 2;
  start(options);
  for (const char* group : {"1001", "1002", "1003", "1004"})
    stack_->emit_group_closed(group);
  const Reply behind = get("/v1/events?after=1&wait_ms=0");
  ASSERT_EQ(behind.status, 200) << behind.body;
  EXPECT_EQ(behind.json().at("gap"), true);
  EXPECT_EQ(groups_of(behind.json()),
            (std::vector<std::string>{"group_closed 1003", "group_closed 1004"}));
  EXPECT_EQ(behind.json().at("next"), 4);
  // Past the end, as after a restart of the media side: a gap too, answered without waiting.
  const Reply ahead = get("/v1/events?after=99");
  EXPECT_EQ(ahead.json().at("gap"), true);
  EXPECT_EQ(ahead.json().at("next"), 4);
  // In step again: no gap.
  EXPECT_EQ(get("/v1/events?after=3&wait_ms=0").json().at("gap"), false);
}

TEST_F(AdminApiEventsTest, ReadersOverTheCapGet503) {
  MediaStack::Options options;
  options.feed.max_waiting_readers = 1;
  start(options);
  TestClient waiting(stack_->http_port(), 10s);
  // Over the 30 s cap: accepted, and cut down to it.
  ASSERT_TRUE(waiting.send_request("GET", "/v1/events?wait_ms=600000"));
  ASSERT_TRUE(readers_waiting(1));
  const Reply refused = get("/v1/events?wait_ms=20000");
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_EQ(refused.json().value("error", ""), "limit_reached");
  stack_->emit_group_closed("1001");
  const auto reply = waiting.read_reply();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->status, 200);
}

TEST_F(AdminApiEventsTest, ReaderThatHungUpIsReleasedByTheNextEvent) {
  start();
  {
    TestClient gone(stack_->http_port());
    ASSERT_TRUE(gone.send_request("GET", "/v1/events?wait_ms=20000"));
    ASSERT_TRUE(readers_waiting(1));
  }  // disconnects while its request waits
  stack_->emit_group_closed("1001");
  EXPECT_EQ(stack_->waiting_readers(), 0U);
  const Reply reply = get("/v1/events?after=0&wait_ms=0");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(groups_of(reply.json()), (std::vector<std::string>{"group_closed 1001"}));
}

TEST_F(AdminApiEventsTest, MalformedQueryIsBadRequest) {
  start();
  for (const char* target : {"/v1/events?after=abc", "/v1/events?after=-1", "/v1/events?after=",
                             "/v1/events?wait_ms=1.5", "/v1/events?wait_ms=99999999999999999999"}) {
    const Reply reply = get(target);
    EXPECT_EQ(reply.status, 400) << target << ": " << reply.body;
    EXPECT_EQ(reply.json().value("error", ""), "bad_request") << target;
  }
}

TEST_F(AdminApiEventsTest, EventsNeedTheApiKeyWhenOneIsSet) {
  MediaStack::Options options;
  options.api_key = "k3y";
  start(options);
  const Reply denied = get("/v1/events?wait_ms=0");
  EXPECT_EQ(denied.status, 401);
  const Reply served = get("/v1/events?wait_ms=0", {{"Authorization", "Bearer k3y"}});
  EXPECT_EQ(served.status, 200) << served.body;
}

}  // namespace
}  // namespace callcast::http
