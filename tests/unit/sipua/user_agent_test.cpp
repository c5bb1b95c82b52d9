// The user agent against a real SIP peer: sipp as UAS on loopback, one scenario per test
// (tests/unit/sipua/scenarios). Each test checks the exact message sequence on the wire, what the
// observer heard, and that sipp's side of the scenario went through (its exit status).
#include "sipua/user_agent.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "sipp_peer.hpp"
#include "support/sip_test_agent.hpp"

namespace callcast::test::user_agent_test {
namespace {

using namespace std::chrono_literals;
using Sequence = std::vector<std::string>;

constexpr const char* kOffer =
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=video 0 RTP/AVP 96\r\n";

SippOptions scenario(std::string name, bool tcp = false) {
  SippOptions options;
  options.scenario = std::move(name);
  options.tcp = tcp;
  return options;
}

// A scenario that checks the digest of user "alice" against `password` (verifyauth).
SippOptions scenario_with_auth(std::string name, std::string password, bool tcp = false) {
  SippOptions options = scenario(std::move(name), tcp);
  options.auth_user = "alice";
  options.auth_password = std::move(password);
  return options;
}

class UserAgentTest : public ::testing::Test {
 protected:
  // Starts sipp with `options`; the test stops (fails) when sipp cannot start.
  void start_peer(SippOptions options) {
    peer_ = std::make_unique<SippPeer>(std::move(options));
    ASSERT_TRUE(peer_->ready()) << peer_->error();
  }

  sipua::UserAgentOptions agent_options(bool tcp = false) const {
    sipua::UserAgentOptions options;
    options.transport = tcp ? sipua::Transport::tcp : sipua::Transport::udp;
    options.account = {"alice", "secret", peer_->domain()};
    options.shutdown_timeout = 1000ms;
    return options;
  }

  // sipp exits 0 only when its whole scenario was played (e.g. verifyauth accepted).
  ::testing::AssertionResult peer_succeeded() {
    auto status = peer_->wait_exit(10s);
    if (!status) return ::testing::AssertionFailure() << "sipp still running\n" << peer_->output();
    if (!status->success()) {
      return ::testing::AssertionFailure() << "sipp " << status->describe() << "\n"
                                           << peer_->output();
    }
    return ::testing::AssertionSuccess();
  }

  // sipp's built-in UAS: 180, 200 with its SDP, our BYE. It pauses 4 s after the BYE and fails
  // the call if a TCP peer closes first, so the agent lives until sipp is done.
  void call_built_in_uas_and_hang_up(bool tcp) {
    SipTestAgent agent(agent_options(tcp));
    ASSERT_TRUE(agent.ok()) << agent.error();
    EXPECT_NE(agent.local_port(), 0);
    auto call = agent.call("service", kOffer);
    ASSERT_TRUE(call->wait_answered());
    ASSERT_TRUE(call->wait_for_message(">ACK"));
    call->hang_up();
    EXPECT_EQ(call->wait_terminated(), "BYE sent");
    EXPECT_EQ(call->sequence(), (Sequence{">INVITE", "<180", "<200", ">ACK", ">BYE", "<200 BYE"}));
    ASSERT_TRUE(call->last_sdp().has_value());
    EXPECT_NE(call->last_sdp()->find("m=audio"), std::string::npos);
    auto invite = call->message_text(">INVITE");
    ASSERT_TRUE(invite.has_value());
    EXPECT_NE(invite->find(tcp ? "SIP/2.0/TCP" : "SIP/2.0/UDP"), std::string::npos) << *invite;
    EXPECT_NE(invite->find("Content-Type: application/sdp"), std::string::npos) << *invite;
    auto bye = call->message_text(">BYE");
    ASSERT_TRUE(bye.has_value());
    EXPECT_NE(bye->find(tcp ? "SIP/2.0/TCP" : "SIP/2.0/UDP"), std::string::npos) << *bye;
    EXPECT_TRUE(peer_succeeded());
  }

  std::unique_ptr<SippPeer> peer_;
};

TEST_F(UserAgentTest, CallAnsweredByBuiltInUasIsHungUpWithBye) {
  start_peer(scenario("uas"));
  call_built_in_uas_and_hang_up(false);
}

TEST_F(UserAgentTest, CallOverTcpKeepsEveryRequestOnTcp) {
  start_peer(scenario("uas", true));
  call_built_in_uas_and_hang_up(true);
}

TEST_F(UserAgentTest, InviteChallengedWithDigestIsRetriedWithCredentials) {
  start_peer(scenario_with_auth("invite_auth.xml", "secret"));
  SipTestAgent agent(agent_options());
  ASSERT_TRUE(agent.ok()) << agent.error();
  auto call = agent.call("777", kOffer);
  ASSERT_TRUE(call->wait_for_status(401));
  ASSERT_TRUE(call->wait_answered());
  ASSERT_TRUE(call->wait_for_message(">ACK"));
  EXPECT_NE(call->last_sdp().value_or("").find("s=answer-after-auth"), std::string::npos);
  call->hang_up();
  EXPECT_EQ(call->wait_terminated(), "BYE sent");
  // The first ACK is the INVITE transaction's own ACK to the 401 (RFC 3261 §17.1.1.3).
  EXPECT_EQ(call->sequence(), (Sequence{">INVITE", "<401", ">ACK", ">INVITE", "<100", "<200",
                                        ">ACK", ">BYE", "<200 BYE"}));
  EXPECT_TRUE(peer_succeeded());
}

TEST_F(UserAgentTest, WrongPasswordEndsTheCallWithForbidden) {
  start_peer(scenario_with_auth("invite_auth.xml", "other"));
  SipTestAgent agent(agent_options());
  ASSERT_TRUE(agent.ok()) << agent.error();
  auto call = agent.call("777", kOffer);
  EXPECT_EQ(call->wait_terminated(), "rejected: 403 Forbidden");
  EXPECT_EQ(call->sequence(), (Sequence{">INVITE", "<401", ">ACK", ">INVITE", "<403", ">ACK"}));
}

TEST_F(UserAgentTest, ReliableEarlyMediaIsPrackedBeforeTheAnswer) {
  start_peer(scenario("early_media_reliable.xml"));
  SipTestAgent agent(agent_options());
  ASSERT_TRUE(agent.ok()) << agent.error();
  auto call = agent.call("777", kOffer);
  ASSERT_TRUE(call->wait_for_status(183));
  auto progress = call->last_response(183);
  ASSERT_TRUE(progress.has_value());
  EXPECT_EQ(progress->content_type, "application/sdp");
  EXPECT_NE(progress->body.find("a=h-uri:rtsp://127.0.0.1:8554/publish"), std::string::npos);
  ASSERT_TRUE(call->wait_answered());
  ASSERT_TRUE(call->wait_for_message(">ACK"));
  auto invite = call->message_text(">INVITE");
  ASSERT_TRUE(invite.has_value());
  EXPECT_NE(invite->find("100rel"), std::string::npos) << *invite;
  call->hang_up();
  EXPECT_EQ(call->wait_terminated(), "BYE sent");
  EXPECT_EQ(call->sequence(), (Sequence{">INVITE", "<100", "<183", ">PRACK", "<200 PRACK", "<200",
                                        ">ACK", ">BYE", "<200 BYE"}));
  EXPECT_TRUE(peer_succeeded());
}

TEST_F(UserAgentTest, ReliableEarlyMediaOverTcp) {
  start_peer(scenario("early_media_reliable.xml", true));
  SipTestAgent agent(agent_options(true));
  ASSERT_TRUE(agent.ok()) << agent.error();
  auto call = agent.call("777", kOffer);
  ASSERT_TRUE(call->wait_answered());
  ASSERT_TRUE(call->wait_for_message(">ACK"));
  auto prack = call->message_text(">PRACK");
  ASSERT_TRUE(prack.has_value());
  EXPECT_NE(prack->find("SIP/2.0/TCP"), std::string::npos) << *prack;
  call->hang_up();
  EXPECT_EQ(call->wait_terminated(), "BYE sent");
  EXPECT_EQ(call->sequence(), (Sequence{">INVITE", "<100", "<183", ">PRACK", "<200 PRACK", "<200",
                                        ">ACK", ">BYE", "<200 BYE"}));
  EXPECT_TRUE(peer_succeeded());
}

TEST_F(UserAgentTest, Without100relTheEarlyMediaNeedsNoPrack) {
  start_peer(scenario("early_media.xml"));
  auto options = agent_options();
  options.support_100rel = false;
  SipTestAgent agent(options);
  ASSERT_TRUE(agent.ok()) << agent.error();
  auto call = agent.call("777", kOffer);
  ASSERT_TRUE(call->wait_for_status(183));
  ASSERT_TRUE(call->wait_answered());
  ASSERT_TRUE(call->wait_for_message(">ACK"));
  auto invite = call->message_text(">INVITE");
  ASSERT_TRUE(invite.has_value());
  EXPECT_EQ(invite->find("100rel"), std::string::npos) << *invite;
  call->hang_up();
  EXPECT_EQ(call->wait_terminated(), "BYE sent");
  EXPECT_EQ(call->sequence(),
            (Sequence{">INVITE", "<100", "<183", "<200", ">ACK", ">BYE", "<200 BYE"}));
  EXPECT_TRUE(peer_succeeded());
}

TEST_F(UserAgentTest, ByeFromRemoteEndsTheCall) {
  start_peer(scenario("remote_bye.xml"));
  SipTestAgent agent(agent_options());
  ASSERT_TRUE(agent.ok()) << agent.error();
  auto call = agent.call("777", kOffer);
  ASSERT_TRUE(call->wait_answered());
  EXPECT_EQ(call->wait_terminated(), "BYE from remote");
  EXPECT_TRUE(call->wait_for_message(">200 BYE"));
  EXPECT_EQ(call->sequence(), (Sequence{">INVITE", "<100", "<200", ">ACK", "<BYE", ">200 BYE"}));
  EXPECT_EQ(agent.agent().active_calls(), 0u);
  EXPECT_TRUE(peer_succeeded());
}

// What the load generator does: several calls at once on one agent, each with its own dialog.
TEST_F(UserAgentTest, ConcurrentCallsOnOneAgentKeepTheirOwnSequences) {
  auto options = scenario("remote_bye.xml");
  options.calls = 3;
  start_peer(options);
  SipTestAgent agent(agent_options());
  ASSERT_TRUE(agent.ok()) << agent.error();
  std::vector<std::shared_ptr<TestCall>> calls;
  for (int i = 0; i < 3; ++i)
    calls.push_back(agent.call("777", kOffer));
  for (auto& call : calls) {
    EXPECT_EQ(call->wait_terminated(), "BYE from remote");
    EXPECT_TRUE(call->wait_for_message(">200 BYE"));
    EXPECT_EQ(call->sequence(), (Sequence{">INVITE", "<100", "<200", ">ACK", "<BYE", ">200 BYE"}));
    EXPECT_EQ(agent.agent().sequence(call->handle().call_id), call->sequence());
  }
  EXPECT_NE(calls[0]->handle().call_id, calls[1]->handle().call_id);
  EXPECT_EQ(agent.agent().active_calls(), 0u);
  EXPECT_TRUE(peer_succeeded());
}

TEST_F(UserAgentTest, HangUpBeforeTheAnswerSendsCancel) {
  start_peer(scenario("cancel.xml"));
  SipTestAgent agent(agent_options());
  ASSERT_TRUE(agent.ok()) << agent.error();
  auto call = agent.call("777", kOffer);
  ASSERT_TRUE(call->wait_for_status(180));
  call->hang_up();
  EXPECT_EQ(call->wait_terminated(), "CANCEL sent");
  EXPECT_TRUE(call->wait_for_message(">ACK"));
  EXPECT_EQ(call->sequence(),
            (Sequence{">INVITE", "<100", "<180", ">CANCEL", "<200 CANCEL", "<487", ">ACK"}));
  EXPECT_TRUE(peer_succeeded());
}

TEST_F(UserAgentTest, BusyResponseCarriesWarningReasonAndRetryAfter) {
  start_peer(scenario("busy_warning.xml"));
  SipTestAgent agent(agent_options());
  ASSERT_TRUE(agent.ok()) << agent.error();
  auto call = agent.call("1001", kOffer);
  EXPECT_EQ(call->wait_terminated(), "rejected: 486 Busy Here");
  auto busy = call->last_response(486);
  ASSERT_TRUE(busy.has_value());
  EXPECT_EQ(busy->warning, "399 127.0.0.1 \"group is full\"");
  EXPECT_EQ(busy->reason, "SIP;cause=486;text=\"group is full\"");
  EXPECT_EQ(busy->retry_after, "30");
  EXPECT_TRUE(call->wait_for_message(">ACK"));
  EXPECT_EQ(call->sequence(), (Sequence{">INVITE", "<100", "<486", ">ACK"}));
  EXPECT_TRUE(peer_succeeded());
}

TEST_F(UserAgentTest, RegisterAnswersTheDigestChallengeAndUnregisters) {
  start_peer(scenario_with_auth("register_auth.xml", "secret"));
  SipTestAgent agent(agent_options());
  ASSERT_TRUE(agent.ok()) << agent.error();
  EXPECT_EQ(agent.register_(), 200);
  EXPECT_EQ(agent.unregister(), 200);
  EXPECT_TRUE(peer_succeeded());
}

TEST_F(UserAgentTest, RegisterOverTcp) {
  start_peer(scenario_with_auth("register_auth.xml", "secret", true));
  SipTestAgent agent(agent_options(true));
  ASSERT_TRUE(agent.ok()) << agent.error();
  EXPECT_EQ(agent.register_(), 200);
  EXPECT_EQ(agent.unregister(), 200);
  EXPECT_TRUE(peer_succeeded());
}

TEST_F(UserAgentTest, RegisterWithWrongPasswordIsForbidden) {
  start_peer(scenario_with_auth("register_auth.xml", "other"));
  SipTestAgent agent(agent_options());
  ASSERT_TRUE(agent.ok()) << agent.error();
  EXPECT_EQ(agent.register_(), 403);
}

TEST_F(UserAgentTest, OptionsIsAnswered) {
  start_peer(scenario("options.xml"));
  SipTestAgent agent(agent_options());
  ASSERT_TRUE(agent.ok()) << agent.error();
  auto response = agent.options("sip:" + peer_->domain());
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->method, "OPTIONS");
  EXPECT_TRUE(peer_succeeded());
}

// A port nobody answers on: the INVITE is retransmitted for 32 s, yet the destructor returns
// (on its own thread with real timers). That it gives up after options.shutdown_timeout, plus
// at most one second, is checked on simulated time in nua_engine_test.
TEST(UserAgentShutdownTest, DestructorDoesNotWaitForAPeerThatNeverAnswers) {
  const int silent = ::socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(silent, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(silent, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  socklen_t length = sizeof address;
  ::getsockname(silent, reinterpret_cast<sockaddr*>(&address), &length);

  sipua::UserAgentOptions options;
  options.account = {"alice", "secret", "127.0.0.1:" + std::to_string(ntohs(address.sin_port))};
  options.shutdown_timeout = 300ms;
  std::shared_ptr<TestCall> call;
  {
    SipTestAgent agent(options);
    ASSERT_TRUE(agent.ok()) << agent.error();
    call = agent.call("777", kOffer);
    ASSERT_TRUE(call->wait_for_message(">INVITE"));
  }
  EXPECT_TRUE(call->end().has_value());
  ::close(silent);
}

TEST(UserAgentStartTest, StartFailsWhenThePortIsTaken) {
  const int taken = ::socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(taken, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(taken, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  socklen_t length = sizeof address;
  ::getsockname(taken, reinterpret_cast<sockaddr*>(&address), &length);

  sipua::UserAgentOptions options;
  options.bind_port = ntohs(address.sin_port);
  options.account = {"alice", "secret", "127.0.0.1:5060"};
  auto agent = sipua::UserAgent::start(options);
  EXPECT_FALSE(agent.ok());
  ::close(taken);
}

}  // namespace
}  // namespace callcast::test::user_agent_test
