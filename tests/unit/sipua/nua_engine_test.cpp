// NuaEngine on the test's own thread and su_root, its shutdown timers on simulated time: the
// shutdown's bound is checked without waiting for it (user_agent_test runs the same engine on
// its own thread with real timers).
#include "sipua/nua_engine.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sofia-sip/su_wait.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "support/simulated_time.hpp"

namespace callcast::sipua::nua_engine_test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kOffer =
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=application 9 TCP iptv_rtsp\r\na=setup:active\r\n";

class RecordingObserver final : public CallObserver {
 public:
  void on_message(const WireMessage& message) override { messages.push_back(message.label()); }
  void on_terminated(const CallEnd& ended) override { end = ended; }
  std::vector<std::string> messages;
  std::optional<CallEnd> end;
};

// A UDP port on loopback that receives and never answers.
class SilentPeer {
 public:
  SilentPeer() : fd_(::socket(AF_INET, SOCK_DGRAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    socklen_t length = sizeof address;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }
  ~SilentPeer() { ::close(fd_); }
  std::uint16_t port() const { return port_; }

 private:
  int fd_;
  std::uint16_t port_ = 0;
};

class NuaEngineTest : public ::testing::Test {
 protected:
  NuaEngineTest() {
    su_init();
    root_ = su_root_create(nullptr);
    su_root_threading(root_, 0);
  }
  ~NuaEngineTest() override {
    const bool clean = engine_ == nullptr || engine_->shut_down();
    engine_.reset();
    if (clean) su_root_destroy(root_);  // else nua's stack still hangs off it
    su_deinit();
  }

  // Runs the loop (real sockets) until `done` holds; false after `limit` of it. This waits for
  // I/O on loopback, not for time to pass: every timer of the engine is simulated.
  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds limit = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      su_root_step(root_, 10);
    }
    return true;
  }

  su_root_t* root_ = nullptr;
  test::SimulatedTime time_;
  std::unique_ptr<NuaEngine> engine_;
};

// A peer that never answers: the INVITE would be retransmitted for 32 s, yet the shutdown gives
// up on it once its timeout has passed and finishes within one more second.
TEST_F(NuaEngineTest, ShutdownDoesNotWaitForAPeerThatNeverAnswers) {
  SilentPeer silent;
  UserAgentOptions options;
  options.account = {"alice", "secret", "127.0.0.1:" + std::to_string(silent.port())};
  options.bind_host = "127.0.0.1";
  options.record_messages = true;
  options.shutdown_timeout = 300ms;
  std::optional<std::uint16_t> port;
  auto created = NuaEngine::create(
      root_, options, [&](std::uint16_t bound) { port = bound; }, &time_);
  ASSERT_TRUE(created) << created.error();
  engine_ = std::move(created).value();
  ASSERT_TRUE(run_until([&] { return port.has_value(); }));

  auto observer = std::make_shared<RecordingObserver>();
  engine_->start_call(CallHandle{1, "shutdown-test-1"}, "777", kOffer, observer);
  ASSERT_TRUE(run_until([&] {
    return std::find(observer->messages.begin(), observer->messages.end(), ">INVITE") !=
           observer->messages.end();
  }));

  std::optional<bool> finished;
  engine_->shutdown([&](bool clean) { finished = clean; });
  time_.advance(options.shutdown_timeout - 1ms);
  EXPECT_FALSE(observer->end.has_value()) << "the call is still waited for";

  time_.advance(1ms);  // the shutdown timeout: the handles are dropped
  ASSERT_TRUE(observer->end.has_value());
  EXPECT_EQ(observer->end->cause, EndCause::shutdown);
  // nua may still wait on its INVITE transaction: one more second and the engine gives up.
  if (!run_until([&] { return finished.has_value(); }, 100ms)) time_.advance(1s);
  EXPECT_TRUE(finished.has_value());
  EXPECT_TRUE(engine_->shut_down() || finished == false);
}

}  // namespace
}  // namespace callcast::sipua::nua_engine_test
