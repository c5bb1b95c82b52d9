// RTSP sessions belong to their owner (issue 10, item 9): a session is used only with a token
// of the terminal that created it, in its role and group; an interleaved (TCP) session only from
// its own connection; a UDP session from another connection only with a fresh token. Only the
// session's own keep-alives and teardown on its own connection may carry an expired token. A
// request naming a session it may not use is answered 454 exactly as an unknown id and changes
// nothing (step 714). Tokens are minted by the test with the server's configured secret, so an
// expired token needs no waiting.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "core/token.hpp"
#include "rtsp/group_url.hpp"
#include "support/e2e_test.hpp"
#include "support/rtsp_test_client.hpp"
#include "support/udp_media_receiver.hpp"
#include "support/wait_until.hpp"

namespace callcast::test::session_ownership_test {
namespace {

using namespace std::chrono_literals;

const std::string kSecret = "session-ownership-test-secret";
const std::string kMaster = "13800000001";
const std::string kVictim = "13900000001";    // Y: a viewer with a live session
const std::string kAttacker = "13900000002";  // X: another admitted viewer of the same group
const std::string kOtherMaster = "13800000002";

const std::string kVideoSdp =
    "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=ownership\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1\r\n"
    "a=control:streamid=0\r\n";

std::string text_of(const std::optional<rtsp::RtspResponse>& response) {
  if (!response) return "no response";
  std::string text = std::to_string(response->status) + " " + response->reason;
  for (const auto& header : response->headers)
    text += "\n  " + header.name + ": " + header.value;
  return text;
}

int status_of(const std::optional<rtsp::RtspResponse>& response) {
  return response ? response->status : 0;
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A viewer's RTSP connection and, over UDP, its port pair.
struct ViewerSession {
  std::unique_ptr<RtspTestClient> rtsp;
  std::unique_ptr<UdpMediaReceiver> udp;
  std::string session;
};

class SessionOwnershipTest : public E2eTest {
 protected:
  SessionOwnershipTest() : E2eTest(CALLCASTD_PATH) {}

  ServerOptions server_options() const override {
    ServerOptions options;
    options.config_toml = "token_secret = \"" + kSecret + "\"\n[media]\n" + media_toml();
    return options;
  }
  virtual std::string media_toml() const { return ""; }

  void SetUp() override {
    E2eTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_FALSE(create_group(kMaster).empty());
    ASSERT_FALSE(admit_viewer(kMaster, kVictim).empty());
    ASSERT_FALSE(admit_viewer(kMaster, kAttacker).empty());
    publish();
  }

  // A token as the media side would issue it, expiring `ttl_s` from now (negative: expired).
  static std::string token(const std::string& terminal, core::TokenRole role, int ttl_s,
                           const std::string& group = kMaster) {
    return core::TokenSigner(kSecret).issue({group, role, terminal, unix_now() + ttl_s});
  }
  static std::string fresh_play(const std::string& terminal) {
    return token(terminal, core::TokenRole::play, 3600);
  }
  static std::string expired_play(const std::string& terminal) {
    return token(terminal, core::TokenRole::play, -3600);
  }
  std::string url(const std::string& token, const std::string& control = {},
                  const std::string& group = kMaster) {
    return rtsp::make_group_url("127.0.0.1", server().rtsp_port(), group, token, control);
  }

  std::unique_ptr<RtspTestClient> connect() {
    auto client = std::make_unique<RtspTestClient>();
    EXPECT_TRUE(client->connect("127.0.0.1", server().rtsp_port())) << client->error();
    return client;
  }

  // The master: ANNOUNCE, SETUP (interleaved), RECORD on its own connection. No media is needed
  // for viewers to DESCRIBE, SETUP and PLAY.
  void publish() {
    publisher_ = connect();
    const std::string base = url(token(kMaster, core::TokenRole::publish, 3600));
    ASSERT_EQ(status_of(publisher_->announce(base, kVideoSdp)), 200);
    const auto setup = publisher_->setup_tcp(base + "/streamid=0", 0, true);
    ASSERT_EQ(status_of(setup), 200) << text_of(setup);
    ASSERT_EQ(status_of(publisher_->record(base)), 200);
  }

  // DESCRIBE, SETUP of the video track (UDP or interleaved) and PLAY with a fresh token.
  ViewerSession watch(const std::string& viewer, bool tcp = false) {
    ViewerSession out;
    out.rtsp = connect();
    const std::string base = url(fresh_play(viewer));
    const auto described = out.rtsp->describe(base);
    EXPECT_EQ(status_of(described), 200) << text_of(described);
    const std::string track = url(fresh_play(viewer), "trackID=0");
    std::optional<rtsp::RtspResponse> setup;
    if (tcp) {
      setup = out.rtsp->setup_tcp(track, 0, false);
    } else {
      out.udp = std::make_unique<UdpMediaReceiver>();
      EXPECT_TRUE(out.udp->ok()) << out.udp->error();
      setup = out.rtsp->setup_udp(track, out.udp->rtp_port());
    }
    EXPECT_EQ(status_of(setup), 200) << text_of(setup);
    const auto played = out.rtsp->play(base);
    EXPECT_EQ(status_of(played), 200) << text_of(played);
    out.session = out.rtsp->session();
    EXPECT_FALSE(out.session.empty());
    return out;
  }

  // One request naming `session` explicitly (the client's own remembered session is not used).
  static std::optional<rtsp::RtspResponse> ask(RtspTestClient& client, const std::string& method,
                                               const std::string& target,
                                               const std::string& session,
                                               std::vector<std::string> headers = {}) {
    if (!session.empty()) headers.push_back("Session: " + session);
    return client.request(method, target, headers);
  }

  nlohmann::json viewer_json(const std::string& viewer) {
    auto snapshot = api().group(kMaster);
    return snapshot ? find_viewer(*snapshot, viewer) : nlohmann::json();
  }
  std::string viewer_state(const std::string& viewer) {
    const auto v = viewer_json(viewer);
    return v.is_object() ? v.value("state", "") : "";
  }
  // A request the session's owner may make on its own connection: the session must be alive.
  void expect_alive(ViewerSession& owner, const std::string& what) {
    const auto response =
        ask(*owner.rtsp, "GET_PARAMETER", url(fresh_play(kVictim)), owner.session);
    EXPECT_EQ(status_of(response), 200)
        << what << ": the owner's keep-alive -> " << text_of(response);
    EXPECT_EQ(viewer_state(kVictim), "playing") << what;
  }

  std::unique_ptr<RtspTestClient> publisher_;
};

// Hole 1 of the issue: an expired token of viewer X plus viewer Y's session id, on another
// connection. Before: 200 for DESCRIBE, SETUP (adding X's client_port to Y's session), PLAY,
// TEARDOWN.
TEST_F(SessionOwnershipTest, ExpiredTokenOfAnotherViewerCannotUseALiveSession) {
  auto victim = watch(kVictim);
  ASSERT_FALSE(HasFailure());
  const auto before = viewer_json(kVictim);
  auto attacker = connect();
  UdpMediaReceiver attacker_udp;
  ASSERT_TRUE(attacker_udp.ok());
  const std::string stale = expired_play(kAttacker);

  const auto described = ask(*attacker, "DESCRIBE", url(stale), victim.session);
  EXPECT_EQ(status_of(described), 401) << "DESCRIBE -> " << text_of(described);
  const auto setup =
      ask(*attacker, "SETUP", url(stale, "trackID=0"), victim.session,
          {"Transport: RTP/AVP;unicast;client_port=" + std::to_string(attacker_udp.rtp_port()) +
           "-" + std::to_string(attacker_udp.rtcp_port())});
  EXPECT_EQ(status_of(setup), 454) << "SETUP -> " << text_of(setup);
  for (const std::string method : {"PLAY", "PAUSE", "GET_PARAMETER", "TEARDOWN"}) {
    const auto response = ask(*attacker, method, url(stale), victim.session);
    EXPECT_EQ(status_of(response), 454) << method << " -> " << text_of(response);
  }
  // Nothing changed: the victim still plays, to its own port, and no packet reached X's port.
  expect_alive(victim, "after the attack");
  EXPECT_EQ(viewer_json(kVictim).value("remote", ""), before.value("remote", "x"));
  EXPECT_FALSE(attacker_udp.receive_rtcp(200ms).has_value());
  // The server logs each refusal, naming the session's owner (for the operator, not the caller).
  EXPECT_TRUE(server().wait_for_log("names session " + victim.session + " of " + kVictim, 2s));
}

// Hole 2: any connection with a valid token of the group could TEARDOWN another's session.
TEST_F(SessionOwnershipTest, ValidTokenOfAnotherViewerCannotTouchASession) {
  auto victim = watch(kVictim);
  ASSERT_FALSE(HasFailure());
  auto attacker = connect();
  const std::string valid = fresh_play(kAttacker);
  for (const std::string method : {"TEARDOWN", "PAUSE", "PLAY", "GET_PARAMETER"}) {
    const auto response = ask(*attacker, method, url(valid), victim.session);
    EXPECT_EQ(status_of(response), 454) << method << " -> " << text_of(response);
    EXPECT_EQ(response ? response->header("Session") : std::nullopt, std::nullopt)
        << method << ": the answer must not confirm the session";
  }
  const auto setup = ask(*attacker, "SETUP", url(valid, "trackID=0"), victim.session,
                         {"Transport: RTP/AVP;unicast;client_port=40000-40001"});
  EXPECT_EQ(status_of(setup), 454) << "SETUP -> " << text_of(setup);
  // The same request without a token at all, and with the victim's session under another group.
  EXPECT_EQ(status_of(ask(*attacker, "TEARDOWN", url(""), victim.session)), 401);
  const auto other_group =
      ask(*attacker, "TEARDOWN",
          url(token(kVictim, core::TokenRole::play, 3600, kOtherMaster), {}, kOtherMaster),
          victim.session);
  EXPECT_EQ(status_of(other_group), 454) << text_of(other_group);
  // The victim's session holds, and its owner can still end it.
  expect_alive(victim, "after the attack");
  EXPECT_EQ(status_of(ask(*victim.rtsp, "TEARDOWN", url(fresh_play(kVictim)), victim.session)),
            200);
  EXPECT_TRUE(wait_until([&] { return viewer_state(kVictim) == "admitted"; }, 5s));
}

// The right terminal on another connection: an interleaved session lives on its connection only.
TEST_F(SessionOwnershipTest, InterleavedSessionIsUsableOnlyFromItsOwnConnection) {
  auto victim = watch(kVictim, /*tcp=*/true);
  ASSERT_FALSE(HasFailure());
  auto other = connect();
  const std::string valid = fresh_play(kVictim);
  for (const std::string method : {"GET_PARAMETER", "PAUSE", "PLAY", "TEARDOWN"}) {
    const auto response = ask(*other, method, url(valid), victim.session);
    EXPECT_EQ(status_of(response), 454)
        << method << " from another connection -> " << text_of(response);
  }
  const auto own = ask(*victim.rtsp, "GET_PARAMETER", url(valid), victim.session);
  EXPECT_EQ(status_of(own), 200) << text_of(own);
  EXPECT_EQ(viewer_state(kVictim), "playing");
}

// The right terminal on another connection over UDP (a player that reconnects): accepted with a
// fresh token, refused (401) with an expired one.
TEST_F(SessionOwnershipTest, UdpSessionFromAnotherConnectionNeedsAFreshTokenOfItsOwner) {
  auto victim = watch(kVictim);
  ASSERT_FALSE(HasFailure());
  auto reconnected = connect();
  const auto stale = ask(*reconnected, "GET_PARAMETER", url(expired_play(kVictim)), victim.session);
  EXPECT_EQ(status_of(stale), 401) << text_of(stale);
  const auto fresh = ask(*reconnected, "GET_PARAMETER", url(fresh_play(kVictim)), victim.session);
  EXPECT_EQ(status_of(fresh), 200) << text_of(fresh);
  const auto teardown = ask(*reconnected, "TEARDOWN", url(fresh_play(kVictim)), victim.session);
  EXPECT_EQ(status_of(teardown), 200) << text_of(teardown);
  EXPECT_TRUE(wait_until([&] { return viewer_state(kVictim) == "admitted"; }, 5s));
}

// On its own connection an expired token keeps the session alive and may end it, but starts
// nothing: no new SETUP, no PLAY, no new session.
TEST_F(SessionOwnershipTest, ExpiredTokenServesOnlyKeepAlivesOnItsOwnConnection) {
  auto victim = watch(kVictim);
  ASSERT_FALSE(HasFailure());
  const std::string stale = expired_play(kVictim);
  auto& own = *victim.rtsp;
  for (const std::string method : {"GET_PARAMETER", "SET_PARAMETER"}) {
    const auto response = ask(own, method, url(stale), victim.session);
    EXPECT_EQ(status_of(response), 200) << method << " -> " << text_of(response);
  }
  const auto options = ask(own, "OPTIONS", url(stale), victim.session);
  EXPECT_EQ(status_of(options), 200);
  EXPECT_NE(options ? options->header("Session") : std::nullopt, std::nullopt)
      << "OPTIONS on its own session echoes it: " << text_of(options);
  const auto setup = ask(own, "SETUP", url(stale, "trackID=0"), victim.session,
                         {"Transport: RTP/AVP;unicast;client_port=40010-40011"});
  EXPECT_EQ(status_of(setup), 401) << "SETUP in the session -> " << text_of(setup);
  const auto paused = ask(own, "PAUSE", url(stale), victim.session);
  EXPECT_EQ(status_of(paused), 200) << text_of(paused);
  const auto played = ask(own, "PLAY", url(stale), victim.session, {"Range: npt=now-"});
  EXPECT_EQ(status_of(played), 401) << "PLAY (resume) -> " << text_of(played);
  auto newcomer = connect();
  const auto new_setup = newcomer->setup_udp(url(stale, "trackID=0"), 40020);
  EXPECT_EQ(status_of(new_setup), 401) << "a new SETUP -> " << text_of(new_setup);
  const auto teardown = ask(own, "TEARDOWN", url(stale), victim.session);
  EXPECT_EQ(status_of(teardown), 200) << text_of(teardown);
  EXPECT_TRUE(wait_until([&] { return viewer_state(kVictim) == "admitted"; }, 5s));
}

// The master's session id with a viewer's play token, on the viewer's connection or another.
TEST_F(SessionOwnershipTest, PublisherSessionIdWithAPlayTokenIs454) {
  auto victim = watch(kVictim);
  ASSERT_FALSE(HasFailure());
  const std::string publisher_session = publisher_->session();
  ASSERT_FALSE(publisher_session.empty());
  const std::string play = fresh_play(kAttacker);
  auto attacker = connect();
  for (const std::string method : {"RECORD", "PAUSE", "GET_PARAMETER", "TEARDOWN"}) {
    const auto response = ask(*attacker, method, url(play), publisher_session);
    EXPECT_EQ(status_of(response), 454) << method << " -> " << text_of(response);
  }
  const auto setup = ask(*attacker, "SETUP", url(play, "streamid=0"), publisher_session,
                         {"Transport: RTP/AVP/TCP;unicast;interleaved=4-5;mode=record"});
  EXPECT_EQ(status_of(setup), 454) << text_of(setup);
  // Also with the publish token on another connection: the master's session is interleaved.
  const auto stolen = ask(*attacker, "TEARDOWN", url(token(kMaster, core::TokenRole::publish, 60)),
                          publisher_session);
  EXPECT_EQ(status_of(stolen), 454) << text_of(stolen);
  const auto snapshot = api().group(kMaster);
  ASSERT_TRUE(snapshot);
  EXPECT_EQ(snapshot->value("state", ""), "live");
  expect_alive(victim, "after the attack on the master's session");
}

// Keep-alives naming a foreign session must not keep it alive: tested on a simulated clock,
// without sleeping, in tests/unit/media/streaming_server_time_test.cpp
// (SessionTimeoutTest.ForeignKeepAlivesDoNotRefreshASession).

}  // namespace
}  // namespace callcast::test::session_ownership_test
