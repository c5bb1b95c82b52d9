// The network side's error answers and clean-up paths (issue 3, "Bad input" and point 6), each
// against a running callcastd with scripted SIP user agents: 401/403, 404/480, 482/483, 486,
// 488/415, the master's join timeout (408), CANCEL before the answer (487), master_lost, a full
// group and the call cap (503 with Retry-After). Every scenario ends with no group and no
// dialog left.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>

#include "sipwire/iptv_sdp.hpp"
#include "support/raw_viewer.hpp"
#include "support/sip_e2e.hpp"
#include "support/wait_until.hpp"

namespace callcast::test::sip_errors_test {
namespace {

using Clock = std::chrono::steady_clock;
using Sequence = std::vector<std::string>;

std::string offer() {
  return sip::make_iptv_offer("127.0.0.1");
}

std::string joined(const Sequence& sequence) {
  std::string text;
  for (const auto& label : sequence)
    text += (text.empty() ? "" : " ") + label;
  return "[" + text + "]";
}

// True once the call ended, refused by a final response with `status`.
::testing::AssertionResult refused_with(TestCall& call, int status,
                                        std::chrono::milliseconds timeout = 5s) {
  const auto ended = call.wait_terminated(timeout);
  const std::string expected = "rejected: " + std::to_string(status);
  if (ended && call.last_response(status) && ended->rfind(expected, 0) == 0) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "expected the call " << expected << "; ended: " << ended.value_or("not yet")
         << ", messages " << joined(call.sequence());
}

std::string warning_of(const TestCall& call, int status) {
  const auto response = call.last_response(status);
  return response ? response->warning.value_or("") : "";
}

class SipErrorsTest : public SipE2eTest {
 protected:
  SipErrorsTest() : SipE2eTest(CALLCASTD_PATH) {}

  // An INVITE to `to` written by hand (for what the scripted agent cannot send), with a Contact
  // on the raw peer's port and a body of `content_type`.
  static RawSipRequest raw_invite(const RawSipPeer& peer, const std::string& from,
                                  const std::string& to, const std::string& call_id,
                                  const std::string& content_type, std::string body) {
    RawSipRequest invite;
    invite.method = "INVITE";
    invite.to_user = to;
    invite.from_user = from;
    invite.call_id = call_id;
    invite.headers = {
        "Contact: <sip:" + from + "@127.0.0.1:" + std::to_string(peer.local_port()) + ">",
        "Content-Type: " + content_type};
    invite.body = std::move(body);
    return invite;
  }

  // True when the media side lists no group right now (not waiting for one to go).
  bool no_group() {
    auto groups = api().groups();
    return groups && groups->empty();
  }
};

TEST_F(SipErrorsTest, UnauthenticatedInviteIsChallengedAndWrongPasswordsAreForbidden) {
  // A wrong password: the first INVITE goes without credentials and is challenged, the second
  // carries a digest that does not match.
  auto intruder = agent(kMaster, sipua::Transport::udp, "not-the-password");
  auto call = intruder->call(kServiceNumber, offer());
  ASSERT_TRUE(refused_with(*call, 403));
  EXPECT_EQ(call->sequence(),
            (Sequence{">INVITE", "<100", "<401", ">ACK", ">INVITE", "<100", "<403", ">ACK"}));
  const auto challenge = call->message_text("<401").value_or("");
  EXPECT_NE(challenge.find("WWW-Authenticate: Digest "), std::string::npos) << challenge;
  EXPECT_NE(challenge.find("realm=\"callcast\""), std::string::npos) << challenge;
  EXPECT_NE(warning_of(*call, 403).find("wrong user name or password"), std::string::npos);

  // The same for a user the server does not know, and for REGISTER.
  auto stranger = agent("19900000009", sipua::Transport::udp, kPassword);
  auto strange_call = stranger->call(kServiceNumber, offer());
  EXPECT_TRUE(refused_with(*strange_call, 403));
  EXPECT_EQ(intruder->register_(), 403);

  const auto stats = signaling_stats();
  EXPECT_GE(stats["counters"]["auth_challenges"].get<int>(), 3);
  EXPECT_GE(stats["counters"]["auth_failures"].get<int>(), 3);
  EXPECT_EQ(stats["registrations"], 0);
  EXPECT_TRUE(no_group()) << "a refused INVITE created a group";
  EXPECT_TRUE(wait_all_clean());
}

TEST_F(SipErrorsTest, CallsToNumbersWithoutABroadcastGet404Or480WithAWarning) {
  auto viewer = agent(kViewer);

  // Nobody's number.
  auto unknown = viewer->call("19999999999", offer());
  ASSERT_TRUE(refused_with(*unknown, 404));
  EXPECT_NE(warning_of(*unknown, 404).find("19999999999 is not a known number"), std::string::npos)
      << warning_of(*unknown, 404);

  // A user who does not forward and does not broadcast.
  auto idle = viewer->call(kOther, offer());
  ASSERT_TRUE(refused_with(*idle, 480));
  EXPECT_NE(warning_of(*idle, 480).find("is not broadcasting"), std::string::npos)
      << warning_of(*idle, 480);

  // A user whose forwarding still points at the service number, with no broadcast behind it.
  set_forwarding(kOther, kServiceNumber);
  auto stale = viewer->call(kOther, offer());
  ASSERT_TRUE(refused_with(*stale, 480));
  EXPECT_NE(warning_of(*stale, 480).find(std::string(kOther) + " is not broadcasting"),
            std::string::npos)
      << warning_of(*stale, 480);
  EXPECT_EQ(stale->sequence(),
            (Sequence{">INVITE", "<100", "<401", ">ACK", ">INVITE", "<100", "<480", ">ACK"}))
      << "no 181 when there is nothing to forward to";
  EXPECT_TRUE(wait_all_clean());
}

TEST_F(SipErrorsTest, AForwardingLoopGets482) {
  set_forwarding(kOther, kViewer2);
  set_forwarding(kViewer2, kOther);
  auto viewer = agent(kViewer);
  auto call = viewer->call(kOther, offer());
  ASSERT_TRUE(refused_with(*call, 482));
  EXPECT_NE(warning_of(*call, 482).find("loops"), std::string::npos) << warning_of(*call, 482);
  EXPECT_TRUE(wait_all_clean());
}

// Seven users forwarding one to the next: a chain of six hops.
class SipForwardingChainTest : public SipErrorsTest {
 protected:
  static std::string chain_user(int i) { return "1500000000" + std::to_string(i); }
  ServerOptions server_options() const override {
    ServerOptions options = SipE2eTest::server_options();
    for (int i = 1; i <= 7; ++i)
      options.users.emplace_back(chain_user(i), kPassword);
    return options;
  }
};

TEST_F(SipForwardingChainTest, MoreThanFiveForwardingHopsGet483) {
  for (int i = 1; i <= 6; ++i)
    set_forwarding(chain_user(i), chain_user(i + 1));
  auto viewer = agent(kViewer);
  // 2 -> 3 -> 4 -> 5 -> 6 -> 7: five hops are followed to the end (7 does not broadcast).
  auto five = viewer->call(chain_user(2), offer());
  ASSERT_TRUE(refused_with(*five, 480));
  EXPECT_NE(warning_of(*five, 480).find(chain_user(7)), std::string::npos)
      << warning_of(*five, 480);
  // 1 -> ... -> 7: six hops are too many.
  auto six = viewer->call(chain_user(1), offer());
  ASSERT_TRUE(refused_with(*six, 483));
  EXPECT_NE(warning_of(*six, 483).find("longer than 5 hops"), std::string::npos)
      << warning_of(*six, 483);
  EXPECT_TRUE(wait_all_clean());
}

TEST_F(SipErrorsTest, ASecondBroadcastFromTheSameMasterGets486AndLeavesTheFirstAlone) {
  Broadcast broadcast = start_broadcast();
  ASSERT_FALSE(broadcast.publish_url.empty());

  auto again = agent(kMaster);
  auto second = again->call(kServiceNumber, offer());
  ASSERT_TRUE(refused_with(*second, 486));
  EXPECT_NE(warning_of(*second, 486).find("already broadcasting"), std::string::npos)
      << warning_of(*second, 486);

  // The first broadcast goes on: its call is up, its group live, and a viewer gets in.
  EXPECT_FALSE(broadcast.call->end()) << broadcast.call->end()->describe();
  EXPECT_TRUE(api().wait_until_live(kMaster, 5s));
  auto viewer = agent(kViewer);
  auto watch = viewer->call(kMaster, offer());
  ASSERT_TRUE(watch->wait_answered(10s));
  EXPECT_EQ(signaling_stats()["broadcasts"], 1);

  broadcast.call->hang_up();
  EXPECT_EQ(watch->wait_terminated(10s).value_or("not ended"), "BYE from remote");
  EXPECT_TRUE(wait_all_clean());
}

TEST_F(SipErrorsTest, OffersItCannotUseGet488AndOtherBodies415WithNothingCreated) {
  auto master = agent(kMaster);
  // iptv_rtsp over UDP: the media side serves RTSP over TCP only.
  std::string udp_offer = offer();
  const auto tcp_line = udp_offer.find("m=application 9 TCP iptv_rtsp");
  ASSERT_NE(tcp_line, std::string::npos) << udp_offer;
  udp_offer.replace(tcp_line, std::string("m=application 9 TCP iptv_rtsp").size(),
                    "m=application 9 UDP iptv_rtsp");
  auto over_udp = master->call(kServiceNumber, udp_offer);
  ASSERT_TRUE(refused_with(*over_udp, 488));
  EXPECT_NE(warning_of(*over_udp, 488).find("only served over TCP"), std::string::npos)
      << warning_of(*over_udp, 488);

  // Not SDP at all, though labelled application/sdp.
  auto garbage = master->call(kServiceNumber, "this is not a session description\r\n");
  ASSERT_TRUE(refused_with(*garbage, 488));
  EXPECT_NE(warning_of(*garbage, 488).find("malformed SDP"), std::string::npos)
      << warning_of(*garbage, 488);
  EXPECT_TRUE(no_group()) << "a refused offer created a group";

  // Another content type: 415 with Accept: application/sdp. The scripted agent always labels
  // its offer application/sdp, so this INVITE is written by hand.
  auto raw = raw_peer();
  RawSipRequest invite =
      raw_invite(*raw, kMaster, kServiceNumber, "plain-text-offer", "text/plain", "watch me\r\n");
  const auto response = raw->send_authenticated(invite, kPassword);
  ASSERT_TRUE(response) << "no answer to the text/plain INVITE";
  EXPECT_EQ(sip_status(*response), 415) << *response;
  EXPECT_EQ(sip_header(*response, "Accept").value_or(""), "application/sdp") << *response;

  const auto stats = signaling_stats();
  EXPECT_EQ(stats["calls"], 0);
  EXPECT_TRUE(no_group());
  EXPECT_TRUE(wait_all_clean());
}

// Clean errors at the service number (issue 10): a viewer's offer (a=recvonly) and a phone's
// audio/video offer (no iptv_rtsp) are refused at once with a Warning saying what to do, and
// nothing is created; an INVITE without SDP still gets the 183 with our offer.
TEST_F(SipErrorsTest, AWatchOfferOrAnUnusablePhoneOfferToTheServiceNumberGets488AtOnce) {
  auto raw = raw_peer();
  const std::string watch_offer = sip::make_iptv_offer("127.0.0.1", sip::IptvDirection::recvonly);
  ASSERT_NE(watch_offer.find("a=recvonly\r\n"), std::string::npos) << watch_offer;
  const auto started = Clock::now();
  const auto watching = raw->send_authenticated(
      raw_invite(*raw, kViewer, kServiceNumber, "recvonly-to-777", "application/sdp", watch_offer),
      kPassword);
  ASSERT_TRUE(watching) << "no answer to a recvonly offer";
  EXPECT_EQ(sip_status(*watching), 488) << *watching;
  EXPECT_EQ(sip_header(*watching, "Warning").value_or(""),
            "399 callcast \"777 is the broadcast service number: to watch, call the "
            "broadcaster's number\"")
      << *watching;

  // A phone broadcasts what it offers to send (issue 13); G.729 and VP8 are nothing callcast takes.
  const std::string phone_offer =
      "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
      "m=audio 4000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n"
      "m=video 4002 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n";
  const auto phone = raw->send_authenticated(
      raw_invite(*raw, kMaster, kServiceNumber, "phone-to-777", "application/sdp", phone_offer),
      kPassword);
  ASSERT_TRUE(phone) << "no answer to a phone's offer";
  EXPECT_EQ(sip_status(*phone), 488) << *phone;
  EXPECT_NE(sip_header(*phone, "Warning").value_or("").find("nothing to broadcast"),
            std::string::npos)
      << *phone;
  const auto took =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
  std::printf("[e2e] both 488s within %lld ms\n", static_cast<long long>(took));
  EXPECT_LT(took, 3000) << "immediate, not the 15 s join timeout";
  EXPECT_TRUE(no_group()) << "a refused offer created a group";

  // A broadcaster's offer says sendonly; the answer says recvonly (RFC 3264 §6.1).
  auto master = agent(kMaster);
  auto call =
      master->call(kServiceNumber, sip::make_iptv_offer("127.0.0.1", sip::IptvDirection::sendonly));
  ASSERT_TRUE(call->wait_for_status(183, 5s));
  EXPECT_NE(call->last_response(183)->body.find("a=recvonly"), std::string::npos)
      << call->last_response(183)->body;
  call->hang_up();
  ASSERT_TRUE(call->wait_terminated(5s));
  // No SDP at all: still a broadcast, the 183 carries our offer.
  auto bare = master->call(kServiceNumber, "");
  ASSERT_TRUE(bare->wait_for_status(183, 5s));
  EXPECT_FALSE(sip::rtsp_uri_from_sdp(bare->last_response(183)->body).empty());
  bare->hang_up();
  ASSERT_TRUE(bare->wait_terminated(5s));
  EXPECT_TRUE(wait_all_clean());
}

class SipJoinTimeoutTest : public SipErrorsTest {
 protected:
  std::string extra_config() const override { return "[sip]\nmaster_join_timeout_s = 1\n"; }
};

TEST_F(SipJoinTimeoutTest, AMasterWhoseMediaNeverConnectsGets408AndItsGroupCloses) {
  auto master = agent(kMaster);
  auto call = master->call(kServiceNumber, offer());
  ASSERT_TRUE(call->wait_for_status(183, 5s));
  const auto progress_at = Clock::now();
  ASSERT_TRUE(api().group(kMaster)) << "the group exists while the master is awaited";

  ASSERT_TRUE(refused_with(*call, 408, 5s));
  const auto waited =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - progress_at);
  std::printf("[e2e] 408 came %lld ms after the 183 (master_join_timeout_s = 1)\n",
              static_cast<long long>(waited.count()));
  EXPECT_GE(waited.count(), 800);
  EXPECT_LE(waited.count(), 2500);
  EXPECT_NE(warning_of(*call, 408).find("did not connect within 1 s"), std::string::npos)
      << warning_of(*call, 408);
  EXPECT_EQ(call->sequence(), (Sequence{">INVITE", "<100", "<401", ">ACK", ">INVITE", "<100",
                                        "<183", ">PRACK", "<200 PRACK", "<408", ">ACK"}));
  EXPECT_TRUE(wait_all_clean(3s));
}

TEST_F(SipErrorsTest, CancelBeforeTheAnswerGets487AndClosesTheGroup) {
  auto master = agent(kMaster);
  auto call = master->call(kServiceNumber, offer());
  ASSERT_TRUE(call->wait_for_status(183, 5s));
  ASSERT_TRUE(api().group(kMaster)) << "the group exists while the master is awaited";
  call->hang_up();  // before publishing: CANCEL
  const auto ended = call->wait_terminated(5s);
  ASSERT_TRUE(ended);
  EXPECT_EQ(*ended, "CANCEL sent");
  EXPECT_TRUE(call->last_response(487)) << "no 487 to the INVITE";
  EXPECT_TRUE(call->wait_for_message("<200 CANCEL", 1s));
  EXPECT_TRUE(wait_all_clean(3s));
}

class SipMasterLostTest : public SipErrorsTest {
 protected:
  std::string extra_config() const override { return "[media]\npublisher_grace_s = 1\n"; }
};

TEST_F(SipMasterLostTest, MasterLostEndsTheMastersAndTheViewersCallsAndClearsForwarding) {
  Broadcast broadcast = start_broadcast();
  ASSERT_FALSE(broadcast.publish_url.empty());
  ASSERT_NE(broadcast.publisher, nullptr);
  auto viewer = agent(kViewer);
  auto watch = viewer->call(kMaster, offer());
  ASSERT_TRUE(watch->wait_answered(10s));
  ASSERT_EQ(ut("GET", kMaster).status, 200);

  // The master's media goes away without a word (no TEARDOWN, no BYE).
  const auto killed_at = Clock::now();
  ASSERT_TRUE(broadcast.publisher->send_signal(SIGKILL));
  const auto master_end = broadcast.call->wait_terminated(8s);
  const auto waited =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - killed_at);
  ASSERT_TRUE(master_end) << "the master's call was not ended";
  std::printf("[e2e] master's BYE %lld ms after the publisher died (publisher_grace_s = 1)\n",
              static_cast<long long>(waited.count()));
  EXPECT_EQ(*master_end, "BYE from remote");
  EXPECT_EQ(watch->wait_terminated(5s).value_or("not ended"), "BYE from remote");
  EXPECT_TRUE(wait_all_clean(3s));
  EXPECT_EQ(ut("GET", kMaster).status, 404) << "the forwarding to the service number stays";
}

class SipGroupFullTest : public SipErrorsTest {
 protected:
  std::string extra_config() const override { return "[media]\nmax_viewers_per_group = 1\n"; }
};

TEST_F(SipGroupFullTest, AViewerBeyondTheGroupsCapacityGets486) {
  Broadcast broadcast = start_broadcast();
  ASSERT_FALSE(broadcast.publish_url.empty());
  auto first = agent(kViewer);
  auto watching = first->call(kMaster, offer());
  ASSERT_TRUE(watching->wait_answered(10s));

  auto second = agent(kViewer2);
  auto turned_away = second->call(kMaster, offer());
  ASSERT_TRUE(refused_with(*turned_away, 486));
  EXPECT_EQ(turned_away->sequence(), (Sequence{">INVITE", "<100", "<401", ">ACK", ">INVITE", "<100",
                                               "<181", "<486", ">ACK"}));
  EXPECT_NE(warning_of(*turned_away, 486).find("is full"), std::string::npos)
      << warning_of(*turned_away, 486);
  // The refused call is forgotten once its transaction ends, a moment after the 486 arrived.
  EXPECT_TRUE(wait_until([&] { return signaling_stats()["viewer_calls"] == 1; }, 2s, 10ms))
      << signaling_stats().dump();

  broadcast.call->hang_up();
  EXPECT_EQ(watching->wait_terminated(10s).value_or("not ended"), "BYE from remote");
  EXPECT_TRUE(wait_all_clean());
}

class SipCallCapTest : public SipErrorsTest {
 protected:
  std::string extra_config() const override { return "[sip]\nmax_calls = 2\n"; }
};

TEST_F(SipCallCapTest, ACallBeyondMaxCallsGets503WithRetryAfter) {
  // Two masters waiting for their media hold two calls.
  auto first = agent(kMaster);
  auto second = agent(kViewer);
  auto first_call = first->call(kServiceNumber, offer());
  auto second_call = second->call(kServiceNumber, offer());
  ASSERT_TRUE(first_call->wait_for_status(183, 5s));
  ASSERT_TRUE(second_call->wait_for_status(183, 5s));

  // The third, written by hand: sofia's client would retry by itself after the Retry-After.
  auto third = raw_peer();
  RawSipRequest invite =
      raw_invite(*third, kViewer2, kServiceNumber, "over-the-cap", "application/sdp", offer());
  ASSERT_TRUE(third->send(third->build(invite)));
  // The cap comes before the digest round: no 401 first.
  const auto refused = third->wait_response(invite.call_id, invite.cseq);
  ASSERT_TRUE(refused) << "no answer over the cap";
  EXPECT_EQ(sip_status(*refused), 503) << *refused;
  EXPECT_EQ(sip_header(*refused, "Retry-After").value_or(""), "5") << *refused;
  const auto stats = signaling_stats();
  EXPECT_EQ(stats["calls"], 2);
  EXPECT_GE(stats["counters"]["rejected_over_cap"].get<int>(), 1);

  first_call->hang_up();
  second_call->hang_up();
  EXPECT_TRUE(first_call->wait_terminated(5s));
  EXPECT_TRUE(second_call->wait_terminated(5s));
  EXPECT_TRUE(wait_all_clean());
}

class SipGroupCapTest : public SipErrorsTest {
 protected:
  std::string extra_config() const override { return "[media]\nmax_groups = 1\n"; }
};

TEST_F(SipGroupCapTest, ABroadcastBeyondMaxGroupsGets503WithRetryAfter) {
  auto first = agent(kMaster);
  auto first_call = first->call(kServiceNumber, offer());
  ASSERT_TRUE(first_call->wait_for_status(183, 5s));

  // The media side refuses a second group. Written by hand: sofia's client would retry by itself
  // after the Retry-After.
  auto second = raw_peer();
  RawSipRequest invite =
      raw_invite(*second, kViewer, kServiceNumber, "second-group", "application/sdp", offer());
  const auto refused = second->send_authenticated(invite, kPassword);
  ASSERT_TRUE(refused) << "no answer to the second broadcast";
  EXPECT_EQ(sip_status(*refused), 503) << *refused;
  EXPECT_EQ(sip_header(*refused, "Retry-After").value_or(""), "5") << *refused;
  EXPECT_NE(sip_header(*refused, "Warning").value_or("").find("media side"), std::string::npos)
      << *refused;
  const auto groups = api().groups();
  ASSERT_TRUE(groups);
  EXPECT_EQ(groups->size(), 1u) << groups->dump();

  first_call->hang_up();
  EXPECT_TRUE(first_call->wait_terminated(5s));
  EXPECT_TRUE(wait_all_clean());
}

// Issue 13 items 3-4: an answered viewer call never stays up with nothing in it; its BYE's
// Reason (RFC 3326) says why.
class SipViewerMediaTest : public SipErrorsTest {
 protected:
  std::string extra_config() const override {
    return "[sip]\nviewer_media_start_timeout_s = 2\n[media]\nsession_timeout_s = 2\n";
  }

  // The viewer's call ended by the network side, with this text in the BYE's Reason header.
  void expect_ended_with_reason(TestCall& watch, const std::string& reason,
                                std::chrono::milliseconds timeout) {
    EXPECT_EQ(watch.wait_terminated(timeout).value_or("not ended"), "BYE from remote");
    const std::string bye = watch.message_text("<BYE").value_or("");
    EXPECT_NE(bye.find("Reason: " + reason), std::string::npos) << bye;
  }
};

TEST_F(SipViewerMediaTest, AViewerWhoseMediaNeverStartsGetsAByeSayingWhy) {
  Broadcast broadcast = start_broadcast();
  ASSERT_FALSE(broadcast.publish_url.empty());
  auto viewer = agent(kViewer);
  auto watch = viewer->call(kMaster, offer());
  ASSERT_TRUE(watch->wait_answered(10s));
  const auto answered_at = Clock::now();
  // No RTSP PLAY follows the 200.
  expect_ended_with_reason(*watch, "SIP;cause=408;text=\"the media did not start within 2 s\"", 8s);
  const auto waited =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - answered_at);
  std::printf("[e2e] BYE %lld ms after the 200 (viewer_media_start_timeout_s = 2)\n",
              static_cast<long long>(waited.count()));
  EXPECT_GE(waited.count(), 1500);
  EXPECT_TRUE(server().wait_for_log("step=714 event=viewer_media_start_timeout", 1s));
  EXPECT_FALSE(broadcast.call->end()) << "the broadcast goes on";
  broadcast.call->hang_up();
  ASSERT_TRUE(broadcast.call->wait_terminated(5s));
  EXPECT_TRUE(wait_all_clean());
}

TEST_F(SipViewerMediaTest, AViewerTheMediaSideTimesOutGetsAByeSayingWhy) {
  Broadcast broadcast = start_broadcast();
  ASSERT_FALSE(broadcast.publish_url.empty());
  auto viewer = agent(kViewer);
  auto watch = viewer->call(kMaster, offer());
  ASSERT_TRUE(watch->wait_answered(10s));
  const auto answer = watch->last_response(200);
  ASSERT_TRUE(answer);
  // PLAY, then silence: no RTCP, no RTSP (a terminal that died, or whose reports are blocked).
  RawViewer player;
  ASSERT_TRUE(player.start(sip::rtsp_uri_from_sdp(answer->body)));
  EXPECT_TRUE(server().wait_for_log("step=714 event=viewer_media_started", 2s));
  expect_ended_with_reason(
      *watch, "SIP;cause=408;text=\"no media reports from the terminal: the streaming server", 10s);
  EXPECT_TRUE(server().wait_for_log(
      "step=714 event=viewer_media_ended_by_media_side reason=\"timeout\"", 1s));
  EXPECT_FALSE(broadcast.call->end()) << "the broadcast goes on";
  broadcast.call->hang_up();
  ASSERT_TRUE(broadcast.call->wait_terminated(5s));
  EXPECT_TRUE(wait_all_clean());
}

}  // namespace
}  // namespace callcast::test::sip_errors_test
