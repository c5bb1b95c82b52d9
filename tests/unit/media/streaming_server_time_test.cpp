// The streaming server over time, on a simulated clock: token expiry, session timeouts, the
// master's grace period and stalls (708), admissions that lapse. The server runs in-process on
// its own loop thread with real sockets on loopback; time moves only when a test advances it (on
// the loop), so a test of a 60 s timeout takes milliseconds and cannot be late.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/token.hpp"
#include "media/streaming_server.hpp"
#include "support/rtsp_test_client.hpp"
#include "support/simulated_time.hpp"
#include "support/udp_media_receiver.hpp"
#include "support/wait_until.hpp"
#include "unit/media/h264_rtp_packets.hpp"

namespace callcast::media::streaming_server_time_test {
namespace {

using namespace std::chrono_literals;
using callcast::test::RtspTestClient;
using callcast::test::UdpMediaReceiver;
using callcast::test::wait_until;
using test::fu_a;
using test::kIdr;
using test::kPps;
using test::kSps;
using test::rtp_packet;
using test::stap_a;

const std::string kMaster = "13800000001";
const std::string kViewer = "13900000001";
const std::string kOtherViewer = "13900000002";
const std::string kSecret = "time-test-secret";

const std::string kVideoSdp =
    "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=time\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1\r\n"
    "a=control:streamid=0\r\n";

// Loopback, and every timer far away unless a test brings one near.
core::MediaConfig quiet_config() {
  core::MediaConfig config;
  config.rtsp = {"127.0.0.1", 0};
  config.rtp_ports = {0, 0};
  config.workers = 1;
  config.session_timeout = 600s;
  config.idle_timeout = 600s;
  config.publisher_grace = 600s;
  config.publisher_stall = 600s;
  config.token_ttl = 3600s;
  return config;
}

class StreamingServerTimeTest : public ::testing::Test {
 protected:
  explicit StreamingServerTimeTest(core::MediaConfig config = quiet_config())
      : server_(io_, config, kSecret, time_, time_) {}

  // Runs `f` on the server's loop and returns its result.
  template <class F>
  auto on_loop(F f) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto result = task.get_future();
    boost::asio::post(io_, [&task] { task(); });
    return result.get();
  }

  void SetUp() override {
    server_.add_listener([this](const core::GroupEvent& event) { events_.push_back(event); });
    auto bound = server_.start();
    ASSERT_TRUE(bound) << bound.error();
    bound_ = *bound;
    loop_ = std::thread([this] { io_.run(); });
  }

  void TearDown() override {
    on_loop([this] {
      server_.stop();
      return true;
    });
    work_.reset();
    io_.stop();
    loop_.join();
  }

  // Moves the server's clock on, running its sweeps and timers on the way.
  void advance(std::chrono::milliseconds by) {
    on_loop([&] { return time_.advance(by); });
  }

  std::string create_group() {
    auto group = on_loop([this] { return server_.create_group(kMaster); });
    EXPECT_TRUE(group);
    return group ? group->publish_url : "";
  }
  std::string admit(const std::string& viewer) {
    auto admitted = on_loop([&] { return server_.admit_viewer(kMaster, viewer); });
    EXPECT_TRUE(admitted);
    return admitted ? admitted->play_url : "";
  }
  // A token for `terminal` of the group that expired a second ago (signed with the secret).
  std::string expired_url(const std::string& fresh_url, const std::string& terminal,
                          core::TokenRole role) {
    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(time_.wall_now().time_since_epoch())
            .count();
    const core::TokenSigner signer(kSecret);
    const std::string token = signer.issue(core::TokenClaims{kMaster, role, terminal, now - 1});
    return fresh_url.substr(0, fresh_url.find("token=") + 6) + token;
  }

  // ANNOUNCE + SETUP (interleaved) + RECORD on a new connection, then one keyframe so that
  // viewers start at once.
  void connect_publisher(const std::string& url) {
    publish_url_ = url;
    publisher_ = std::make_unique<RtspTestClient>();
    ASSERT_TRUE(publisher_->connect("127.0.0.1", bound_.rtsp.port)) << publisher_->error();
    ASSERT_EQ(publisher_->announce(url, kVideoSdp)->status, 200);
    ASSERT_EQ(publisher_->setup_tcp(url + "/streamid=0", 0, true)->status, 200);
    ASSERT_EQ(publisher_->record(url)->status, 200);
    publish_keyframe();
  }
  void publish_keyframe() {
    ts_ += 3000;
    for (const auto& packet :
         {rtp_packet(seq_++, ts_, stap_a({kSps, kPps}), 96, false),
          rtp_packet(seq_++, ts_, fu_a(kIdr, true, false, {0x11}), 96, false),
          rtp_packet(seq_++, ts_, fu_a(kIdr, false, true, {0x22}), 96, true)}) {
      ASSERT_TRUE(publisher_->send_interleaved(0, packet));
    }
    // The answer comes after the server handled what the connection carried before it.
    keep_publisher_alive();
  }
  // A keep-alive on the master's session (it carries no media: a stall goes on).
  void keep_publisher_alive() { expect_response(*publisher_, "GET_PARAMETER", publish_url_, 200); }

  // DESCRIBE + SETUP (UDP) + PLAY.
  void watch(RtspTestClient& client, const std::string& play_url, const UdpMediaReceiver& ports) {
    ASSERT_TRUE(client.connect("127.0.0.1", bound_.rtsp.port)) << client.error();
    ASSERT_EQ(client.describe(play_url)->status, 200);
    ASSERT_EQ(client.setup_udp(play_url + "/trackID=0", ports.rtp_port())->status, 200);
    ASSERT_EQ(client.play(play_url)->status, 200);
  }

  // Sends a request (with the client's session once it has one) and checks the status.
  std::optional<rtsp::RtspResponse> expect_response(RtspTestClient& client,
                                                    const std::string& method,
                                                    const std::string& url, int status,
                                                    const std::vector<std::string>& headers = {},
                                                    const std::string& body = {}) {
    auto response = client.request(method, url, headers, body);
    EXPECT_TRUE(response) << method << ": no response";
    if (response) {
      EXPECT_EQ(response->status, status)
          << method << " -> " << response->header("Warning").value_or("");
    }
    return response;
  }

  std::string group_state() {
    auto snapshot = on_loop([this] { return server_.snapshot(kMaster); });
    return snapshot ? snapshot->state : "gone";
  }
  // The viewer's state in the group's snapshot; "not listed" when it is not.
  std::string viewer_state(const std::string& viewer) {
    auto snapshot = on_loop([this] { return server_.snapshot(kMaster); });
    if (!snapshot) return "no group";
    for (const auto& v : snapshot->viewers) {
      if (v.viewer == viewer) return v.state;
    }
    return "not listed";
  }
  // The events so far, as "kind terminal reason".
  std::vector<std::string> events() {
    return on_loop([this] {
      std::vector<std::string> out;
      for (const auto& e : events_)
        out.push_back(std::string(core::to_string(e.kind)) + " " + e.terminal + " " + e.reason);
      return out;
    });
  }
  bool has_event(core::GroupEventKind kind, const std::string& terminal = kMaster) {
    return on_loop([&] {
      for (const auto& e : events_) {
        if (e.kind == kind && e.terminal == terminal) return true;
      }
      return false;
    });
  }
  StreamingServer::Counters counters() {
    return on_loop([this] { return server_.counters(); });
  }

  callcast::test::SimulatedTime time_;  // outlives the server (its timers)
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ =
      boost::asio::make_work_guard(io_);
  StreamingServer server_;
  BoundAddresses bound_;
  std::thread loop_;
  std::vector<core::GroupEvent> events_;  // on the loop
  std::unique_ptr<RtspTestClient> publisher_;
  std::string publish_url_;
  std::uint16_t seq_ = 100;
  std::uint32_t ts_ = 0;
};

// ---- tokens -------------------------------------------------------------------------------------

class ExpiredTokenTest : public StreamingServerTimeTest {
 protected:
  ExpiredTokenTest() : StreamingServerTimeTest(config()) {}
  static core::MediaConfig config() {
    auto c = quiet_config();
    c.token_ttl = 1s;
    return c;
  }
};

TEST_F(ExpiredTokenTest, ExpiredTokensAre401) {
  const std::string publish_url = create_group();
  const std::string play_url = admit(kViewer);
  ASSERT_FALSE(HasFailure());
  // Tokens carry whole seconds: after 2.5 s a 1 s token is past its expiry for sure.
  advance(2500ms);
  RtspTestClient client;
  ASSERT_TRUE(client.connect("127.0.0.1", bound_.rtsp.port)) << client.error();
  const auto described =
      expect_response(client, "DESCRIBE", play_url, 401, {"Accept: application/sdp"});
  ASSERT_TRUE(described);
  EXPECT_NE(described->header("Warning").value_or("").find("expired"), std::string::npos);
  expect_response(client, "ANNOUNCE", publish_url, 401, {"Content-Type: application/sdp"},
                  kVideoSdp);
  EXPECT_GE(counters().unauthorized, 2U);
}

TEST_F(ExpiredTokenTest, TokensAreGoodUntilTheyExpire) {
  const std::string publish_url = create_group();
  ASSERT_FALSE(HasFailure());
  RtspTestClient client;
  ASSERT_TRUE(client.connect("127.0.0.1", bound_.rtsp.port)) << client.error();
  expect_response(client, "ANNOUNCE", publish_url, 200, {"Content-Type: application/sdp"},
                  kVideoSdp);
}

// ---- session timeout ----------------------------------------------------------------------------

class SilentSessionTest : public StreamingServerTimeTest {
 protected:
  SilentSessionTest() : StreamingServerTimeTest(config()) {}
  static core::MediaConfig config() {
    auto c = quiet_config();
    c.session_timeout = 2s;
    c.idle_timeout = 10s;
    return c;
  }
};

TEST_F(SilentSessionTest, SilentViewerTimesOutAndItsAdmissionStays) {
  connect_publisher(create_group());
  const std::string play_url = admit(kViewer);
  UdpMediaReceiver ports;
  ASSERT_TRUE(ports.ok());
  RtspTestClient viewer;
  watch(viewer, play_url, ports);
  ASSERT_FALSE(HasFailure());
  advance(1500ms);
  keep_publisher_alive();
  EXPECT_EQ(viewer_state(kViewer), "playing") << "timed out before its timeout";
  advance(1000ms);
  keep_publisher_alive();
  EXPECT_EQ(viewer_state(kViewer), "admitted") << "a silent session outlived its timeout";
  EXPECT_EQ(counters().sessions_timed_out, 1U);
  EXPECT_TRUE(has_event(core::GroupEventKind::viewer_left, kViewer));
  EXPECT_EQ(group_state(), "live") << "the master kept its own session alive";
  EXPECT_TRUE(viewer.wait_closed(2s)) << "the timed-out session's connection stays open";
}

// A connection that holds no session and says nothing is closed after the idle timeout, not
// before (the e2e BadInputTest checks the same against half-open TCP on a real clock).
TEST_F(SilentSessionTest, SilentConnectionIsClosedAfterTheIdleTimeoutNotBefore) {
  RtspTestClient silent;
  ASSERT_TRUE(silent.connect("127.0.0.1", bound_.rtsp.port)) << silent.error();
  ASSERT_TRUE(wait_until([&] { return counters().connections_accepted == 1; }, 2s));
  advance(9500ms);
  EXPECT_FALSE(silent.wait_closed(100ms)) << "closed before the idle timeout";
  advance(1000ms);
  EXPECT_TRUE(silent.wait_closed(2s)) << "a silent connection outlived the idle timeout";
}

// Keep-alives naming a foreign session must not keep it alive: the victim, silent, times out
// while another viewer sends GET_PARAMETER and OPTIONS with its id; a second viewer keeping its
// own session alive with an expired token on its own connection stays.
TEST_F(SilentSessionTest, ForeignKeepAlivesDoNotRefreshASession) {
  connect_publisher(create_group());
  const std::string victim_url = admit(kViewer);
  const std::string kept_url = admit(kOtherViewer);
  UdpMediaReceiver victim_ports;
  UdpMediaReceiver kept_ports;
  ASSERT_TRUE(victim_ports.ok() && kept_ports.ok());
  RtspTestClient victim;
  RtspTestClient kept;
  watch(victim, victim_url, victim_ports);
  watch(kept, kept_url, kept_ports);
  ASSERT_FALSE(HasFailure());
  RtspTestClient attacker;
  ASSERT_TRUE(attacker.connect("127.0.0.1", bound_.rtsp.port)) << attacker.error();
  const std::vector<std::string> victim_session = {"Session: " + victim.session()};
  const std::string expired_kept = expired_url(kept_url, kOtherViewer, core::TokenRole::play);
  const std::string expired_master = expired_url(publish_url_, kMaster, core::TokenRole::publish);
  bool victim_gone = false;
  int rounds = 0;
  for (auto elapsed = 0ms; elapsed < 6s && !victim_gone; elapsed += 300ms) {
    ++rounds;
    expect_response(attacker, "GET_PARAMETER", kept_url, 454, victim_session);
    const auto options = expect_response(attacker, "OPTIONS", kept_url, 200, victim_session);
    EXPECT_EQ(options ? options->header("Session") : std::nullopt, std::nullopt)
        << "OPTIONS must not confirm a foreign session";
    // The master and the second viewer keep their own sessions alive (expired token: allowed).
    expect_response(*publisher_, "GET_PARAMETER", expired_master, 200);
    expect_response(kept, "GET_PARAMETER", expired_kept, 200);
    victim_gone = viewer_state(kViewer) == "admitted";
    advance(300ms);  // the keep-alive period under test
  }
  EXPECT_TRUE(victim_gone) << "the victim's session survived " << rounds
                           << " rounds of foreign keep-alives";
  EXPECT_EQ(viewer_state(kOtherViewer), "playing") << "the own keep-alives did not keep it";
  EXPECT_GE(counters().foreign_session_requests, 1U);
}

// ---- the master lost, stalled (708) -------------------------------------------------------------

class MasterGraceTest : public StreamingServerTimeTest {
 protected:
  MasterGraceTest() : StreamingServerTimeTest(config()) {}
  static core::MediaConfig config() {
    auto c = quiet_config();
    c.publisher_grace = 5s;
    c.publisher_stall = 2s;
    return c;
  }
};

TEST_F(MasterGraceTest, LostMasterHasItsGraceToComeBack) {
  connect_publisher(create_group());
  ASSERT_FALSE(HasFailure());
  EXPECT_EQ(group_state(), "live");
  publisher_->disconnect();
  ASSERT_TRUE(wait_until([&] { return group_state() == "waiting_for_master"; }, 2s))
      << "the server did not notice the master's connection closing";
  advance(4500ms);
  EXPECT_EQ(group_state(), "waiting_for_master") << "given up before its grace was over";
  EXPECT_FALSE(has_event(core::GroupEventKind::master_lost));
  advance(1000ms);
  EXPECT_EQ(group_state(), "gone");
  EXPECT_TRUE(has_event(core::GroupEventKind::master_lost));
  EXPECT_TRUE(has_event(core::GroupEventKind::group_closed));
}

TEST_F(MasterGraceTest, MasterThatComesBackWithinItsGraceKeepsTheGroup) {
  const std::string url = create_group();
  connect_publisher(url);
  ASSERT_FALSE(HasFailure());
  publisher_->disconnect();
  ASSERT_TRUE(wait_until([&] { return group_state() == "waiting_for_master"; }, 2s));
  advance(4000ms);
  connect_publisher(url);
  ASSERT_FALSE(HasFailure());
  for (int second = 0; second < 10; ++second) {
    advance(1s);
    publish_keyframe();  // media goes on: no stall either
  }
  EXPECT_FALSE(has_event(core::GroupEventKind::master_lost));
  EXPECT_NE(group_state(), "gone");
}

TEST_F(MasterGraceTest, StalledMasterIsToldResumedAndGivenUpPastItsGrace) {
  connect_publisher(create_group());
  ASSERT_FALSE(HasFailure());
  advance(1500ms);
  keep_publisher_alive();
  EXPECT_EQ(group_state(), "live") << "stalled before publisher_stall";
  advance(1000ms);
  EXPECT_EQ(group_state(), "stalled");
  EXPECT_TRUE(has_event(core::GroupEventKind::master_stalled));
  // Media again: resumed.
  publish_keyframe();
  EXPECT_TRUE(has_event(core::GroupEventKind::master_resumed));
  EXPECT_EQ(group_state(), "live");
  // Silent again, past max(stall, grace): given up like a lost connection.
  advance(4500ms);
  keep_publisher_alive();
  EXPECT_EQ(group_state(), "stalled");
  EXPECT_FALSE(has_event(core::GroupEventKind::master_lost));
  advance(1000ms);
  EXPECT_EQ(group_state(), "gone");
  EXPECT_TRUE(has_event(core::GroupEventKind::master_lost));
  EXPECT_TRUE(publisher_->wait_closed(2s)) << "the stalled master's connection stays open";
}

// ---- admissions (issue 11, item 11) -------------------------------------------------------------

class AdmissionExpiryTest : public StreamingServerTimeTest {
 protected:
  AdmissionExpiryTest() : StreamingServerTimeTest(config()) {}
  static core::MediaConfig config() {
    auto c = quiet_config();
    c.token_ttl = 60s;
    return c;
  }
};

TEST_F(AdmissionExpiryTest, UnusedAdmissionExpiresWithItsToken) {
  connect_publisher(create_group());
  admit(kViewer);  // never connects
  const std::string play_url = admit(kOtherViewer);
  UdpMediaReceiver ports;
  ASSERT_TRUE(ports.ok());
  RtspTestClient viewer;
  watch(viewer, play_url, ports);
  ASSERT_FALSE(HasFailure());
  advance(59s);
  EXPECT_EQ(viewer_state(kViewer), "admitted") << "gone before its token expired";
  advance(2s);
  EXPECT_EQ(viewer_state(kViewer), "not listed") << "an unused admission outlived its token";
  const auto seen = events();
  EXPECT_NE(std::find(seen.begin(), seen.end(), "viewer_left " + kViewer + " admission expired"),
            seen.end())
      << "no viewer_left for the lapsed admission";
  EXPECT_EQ(viewer_state(kOtherViewer), "playing") << "a used admission must stay";
  EXPECT_EQ(counters().admissions_expired, 1U);
}

TEST_F(AdmissionExpiryTest, AdmittingAgainRenewsTheAdmission) {
  connect_publisher(create_group());
  admit(kViewer);
  advance(40s);
  admit(kViewer);  // a new token: 60 s from now
  advance(40s);
  EXPECT_EQ(viewer_state(kViewer), "admitted");
  advance(21s);
  EXPECT_EQ(viewer_state(kViewer), "not listed");
}

TEST_F(AdmissionExpiryTest, AdmissionOfAnEndedSessionGoesOnceItsTokenExpired) {
  connect_publisher(create_group());
  const std::string play_url = admit(kViewer);
  UdpMediaReceiver ports;
  ASSERT_TRUE(ports.ok());
  RtspTestClient viewer;
  watch(viewer, play_url, ports);
  ASSERT_FALSE(HasFailure());
  advance(61s);
  keep_publisher_alive();
  EXPECT_EQ(viewer_state(kViewer), "playing") << "a session in use keeps its admission";
  expect_response(viewer, "TEARDOWN", play_url, 200);
  advance(1s);
  EXPECT_EQ(viewer_state(kViewer), "not listed");
}

}  // namespace
}  // namespace callcast::media::streaming_server_time_test
