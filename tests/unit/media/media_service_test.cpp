// The media service's event feed (control::EventSource): readers get what is buffered at once,
// wait without blocking the loop for what is not, and are told when they fell behind. The test
// thread runs the io_context itself, and time is simulated: a reader's wait ends when the test
// advances the clock past it, not after a sleep.
#include "media/media_service.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "support/simulated_time.hpp"

namespace callcast::media::media_service_test {
namespace {

using namespace std::chrono_literals;
using control::ControlError;
using control::EventPage;
using PollResult = Result<EventPage, ControlError>;

core::MediaConfig loopback_config() {
  core::MediaConfig config;
  config.rtsp = {"127.0.0.1", 0};
  config.rtp_ports = {0, 0};
  return config;
}

class MediaServiceTest : public ::testing::Test {
 protected:
  explicit MediaServiceTest(EventFeedOptions options = {})
      : server_(io_, loopback_config(), "test-secret", time_, time_),
        service_(io_, server_, time_, time_, options) {
    run_posted();  // the service's listener on the server
  }

  // Runs what is ready on the loop, without waiting.
  void run_posted() {
    io_.restart();  // a loop that ran out of work stays stopped until restarted
    io_.poll();
  }

  // One group created and closed: a group_closed event (the server is driven on this thread).
  void emit_group_closed(const std::string& group) {
    ASSERT_TRUE(server_.create_group(group).ok());
    ASSERT_TRUE(server_.close_group(group, "deleted").ok());
  }

  // Starts a poll; its result lands in the returned slot once the loop has run it.
  std::shared_ptr<std::optional<PollResult>> poll(std::optional<std::uint64_t> after,
                                                  std::chrono::milliseconds wait) {
    auto slot = std::make_shared<std::optional<PollResult>>();
    service_.poll_events(after, wait, [slot](PollResult result) { slot->emplace(result); });
    return slot;
  }

  // Moves the simulated clock on (running the timers due), then what they posted.
  void advance(std::chrono::milliseconds by) {
    time_.advance(by);
    run_posted();
  }

  static std::vector<std::string> groups_of(const EventPage& page) {
    std::vector<std::string> out;
    for (const auto& e : page.events)
      out.push_back(std::string(core::to_string(e.event.kind)) + " " + e.event.group);
    return out;
  }

  test::SimulatedTime time_;  // outlives the server and the service (their timers)
  boost::asio::io_context io_;
  StreamingServer server_;
  MediaService service_;
};

TEST_F(MediaServiceTest, ServerEventsAreLoggedInOrder) {
  emit_group_closed("1001");
  emit_group_closed("1002");
  const EventPage page = service_.event_log().read_after(0, 10);
  EXPECT_EQ(groups_of(page), (std::vector<std::string>{"group_closed 1001", "group_closed 1002"}));
  EXPECT_EQ(page.events[0].event.reason, "deleted");
  EXPECT_GT(page.events[0].unix_ms, 1'600'000'000'000);
  // Stamped by the injected clock.
  EXPECT_EQ(page.events[0].unix_ms, std::chrono::duration_cast<std::chrono::milliseconds>(
                                        time_.wall_now().time_since_epoch())
                                        .count());
}

TEST_F(MediaServiceTest, PollReturnsBufferedEventsAtOnce) {
  emit_group_closed("1001");
  emit_group_closed("1002");
  auto result = poll(1, 10s);
  run_posted();  // no waiting: the posted poll alone must complete it
  ASSERT_TRUE(result->has_value());
  ASSERT_TRUE((*result)->ok());
  EXPECT_EQ(groups_of((*result)->value()), (std::vector<std::string>{"group_closed 1002"}));
  EXPECT_EQ((*result)->value().next, 2U);
  EXPECT_FALSE((*result)->value().gap);
  EXPECT_EQ(service_.waiting_readers(), 0U);
}

TEST_F(MediaServiceTest, PollWaitsAndWakesOnTheNextEvent) {
  emit_group_closed("1001");
  auto result = poll(1, 10s);
  run_posted();
  EXPECT_FALSE(result->has_value());
  EXPECT_EQ(service_.waiting_readers(), 1U);
  emit_group_closed("1002");
  ASSERT_TRUE(result->has_value());  // answered synchronously by the append
  EXPECT_EQ(groups_of((*result)->value()), (std::vector<std::string>{"group_closed 1002"}));
  EXPECT_EQ(service_.waiting_readers(), 0U);
}

TEST_F(MediaServiceTest, PollWithoutPositionSeesOnlyLaterEvents) {
  emit_group_closed("1001");
  auto result = poll(std::nullopt, 10s);
  run_posted();
  EXPECT_FALSE(result->has_value());
  emit_group_closed("1002");
  ASSERT_TRUE(result->has_value());
  EXPECT_EQ(groups_of((*result)->value()), (std::vector<std::string>{"group_closed 1002"}));
  EXPECT_EQ((*result)->value().next, 2U);
}

TEST_F(MediaServiceTest, PollTimesOutWithAnEmptyPage) {
  emit_group_closed("1001");
  auto result = poll(1, 50ms);
  run_posted();
  advance(49ms);
  EXPECT_FALSE(result->has_value()) << "answered before its wait was over";
  advance(1ms);
  ASSERT_TRUE(result->has_value()) << "not answered when its wait was over";
  ASSERT_TRUE((*result)->ok());
  EXPECT_TRUE((*result)->value().events.empty());
  EXPECT_EQ((*result)->value().next, 1U);
  EXPECT_FALSE((*result)->value().gap);
  EXPECT_EQ(service_.waiting_readers(), 0U);
}

TEST_F(MediaServiceTest, ZeroWaitAnswersAtOnceWithTheCurrentPosition) {
  emit_group_closed("1001");
  emit_group_closed("1002");
  auto result = poll(std::nullopt, 0ms);
  run_posted();
  ASSERT_TRUE(result->has_value());
  EXPECT_TRUE((*result)->value().events.empty());
  EXPECT_EQ((*result)->value().next, 2U);
}

TEST_F(MediaServiceTest, EveryWaitingReaderGetsTheEvent) {
  auto first = poll(0, 10s);
  auto second = poll(0, 10s);
  run_posted();
  EXPECT_EQ(service_.waiting_readers(), 2U);
  emit_group_closed("1001");
  ASSERT_TRUE(first->has_value() && second->has_value());
  EXPECT_EQ(groups_of((*first)->value()), (std::vector<std::string>{"group_closed 1001"}));
  EXPECT_EQ(groups_of((*second)->value()), (std::vector<std::string>{"group_closed 1001"}));
}

TEST_F(MediaServiceTest, EventIsLoggedBeforeSubscribersHearIt) {
  std::vector<std::uint64_t> seen;
  service_.subscribe(
      [&](const core::GroupEvent&) { seen.push_back(service_.event_log().last_seq()); });
  run_posted();
  emit_group_closed("1001");
  EXPECT_EQ(seen, (std::vector<std::uint64_t>{1}));
}

TEST_F(MediaServiceTest, DestroyedServiceAnswersWaitingReadersUnavailable) {
  std::optional<PollResult> result;
  {
    MediaService other(io_, server_, time_, time_);
    run_posted();
    other.poll_events(std::nullopt, 10s, [&](PollResult r) { result.emplace(std::move(r)); });
    run_posted();
    EXPECT_EQ(other.waiting_readers(), 1U);
  }
  ASSERT_TRUE(result.has_value());
  ASSERT_FALSE(result->ok());
  EXPECT_EQ(result->error().code, control::ControlErrorCode::unavailable);
  run_posted();  // the cancelled timer completes without touching the service
  EXPECT_EQ(time_.pending(), 0U) << "the reader's timer went with the service";
}

class SmallFeedTest : public MediaServiceTest {
 protected:
  SmallFeedTest() : MediaServiceTest(EventFeedOptions{2, 1, 1}) {}
};

TEST_F(SmallFeedTest, ReaderBehindTheRingGetsGapAtOnce) {
  emit_group_closed("1001");
  emit_group_closed("1002");
  emit_group_closed("1003");  // 1001 is gone
  auto result = poll(0, 10s);
  run_posted();
  ASSERT_TRUE(result->has_value());
  EXPECT_TRUE((*result)->value().gap);
  EXPECT_EQ(groups_of((*result)->value()), (std::vector<std::string>{"group_closed 1002"}));
  EXPECT_EQ((*result)->value().next, 2U);  // one per page here: 1003 comes next
}

TEST_F(SmallFeedTest, ReadersOverTheCapAreRefused) {
  auto first = poll(std::nullopt, 10s);
  auto second = poll(std::nullopt, 10s);
  run_posted();
  EXPECT_FALSE(first->has_value());
  ASSERT_TRUE(second->has_value());
  ASSERT_FALSE((*second)->ok());
  EXPECT_EQ((*second)->error().code, control::ControlErrorCode::limit_reached);
  emit_group_closed("1001");
  EXPECT_TRUE(first->has_value());
  // The slot is free again.
  auto third = poll(std::nullopt, 10s);
  run_posted();
  EXPECT_FALSE(third->has_value());
  EXPECT_EQ(service_.waiting_readers(), 1U);
}

}  // namespace
}  // namespace callcast::media::media_service_test
