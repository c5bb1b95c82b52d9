#include "support/sip_e2e.hpp"

#include "sipwire/iptv_sdp.hpp"
#include "support/wait_until.hpp"

namespace callcast::test {

ServerOptions SipE2eTest::server_options() const {
  ServerOptions options;
  options.users = {
      {kMaster, kPassword}, {kViewer, kPassword}, {kViewer2, kPassword}, {kOther, kPassword}};
  options.config_toml = extra_config();
  return options;
}

std::string SipE2eTest::sip_domain() {
  return "127.0.0.1:" + std::to_string(signaling_server().sip_port());
}

std::unique_ptr<SipTestAgent> SipE2eTest::agent(const std::string& number,
                                                sipua::Transport transport,
                                                const std::string& password) {
  sipua::UserAgentOptions options;
  options.transport = transport;
  options.account = {number, password, sip_domain()};
  auto agent = std::make_unique<SipTestAgent>(options);
  EXPECT_TRUE(agent->ok()) << agent->error();
  return agent;
}

SipE2eTest::UtResult SipE2eTest::ut(const std::string& method, const std::string& number,
                                    const std::string& body, const std::string& password) {
  const std::string url = "http://127.0.0.1:" + std::to_string(signaling_server().http_port()) +
                          "/ut/v1/users/" + number + "/forwarding/unconditional";
  std::vector<std::string> argv = {"curl", "-sS", "--digest", "-u", number + ":" + password, "-X",
                                   method, "-o",  "-",        "-w", "\n%{http_code}",        url};
  if (!body.empty()) {
    for (const char* arg : {"-H", "Content-Type: application/json", "--data-binary"}) {
      argv.emplace_back(arg);
    }
    argv.push_back(body);
  }
  const ToolRun run = run_tool(argv, dir(), "curl-ut", 10s);
  UtResult result;
  const auto newline = run.out.rfind('\n');
  if (!run.ok() || newline == std::string::npos) {
    ADD_FAILURE() << "curl failed: " << run.command << "\n" << run.err;
    return result;
  }
  result.body = run.out.substr(0, newline);
  result.status = std::atoi(run.out.c_str() + newline + 1);
  return result;
}

void SipE2eTest::set_forwarding(const std::string& number, const std::string& target) {
  const auto result = ut("PUT", number, R"({"target":")" + target + R"("})");
  EXPECT_TRUE(result.status == 200 || result.status == 201)
      << "PUT forwarding of " << number << " -> " << target << ": " << result.status << " "
      << result.body;
}

Broadcast SipE2eTest::start_broadcast(const std::string& master, sipua::Transport transport) {
  Broadcast broadcast;
  broadcast.agent = agent(master, transport);
  if (!broadcast.agent->ok()) return broadcast;
  // 701
  broadcast.call = broadcast.agent->call(kServiceNumber, sip::make_iptv_offer("127.0.0.1"));
  // 704: the publish URI travels in the 183's SDP.
  EXPECT_TRUE(broadcast.call->wait_for_status(183, 10s));
  const auto progress = broadcast.call->last_response(183);
  if (!progress) return broadcast;
  broadcast.publish_url = sip::rtsp_uri_from_sdp(progress->body);
  EXPECT_NE(broadcast.publish_url.find("/groups/" + master), std::string::npos)
      << "no publish URI in the 183's SDP:\n"
      << progress->body;
  if (broadcast.publish_url.empty()) return broadcast;
  // 705: the master's media (ffmpeg) connects; 706-707: the 200 OK follows.
  broadcast.publisher =
      &spawn(ffmpeg_publisher(broadcast.publish_url, dir(), true, "publisher-" + master));
  EXPECT_TRUE(broadcast.call->wait_answered(15s));
  // 708: calls to the master's number go to the service.
  set_forwarding(master, kServiceNumber);
  return broadcast;
}

void SipE2eTest::run_broadcast_and_watch() {
  using Sequence = std::vector<std::string>;
  // 701-708
  Broadcast broadcast = start_broadcast();
  ASSERT_FALSE(broadcast.publish_url.empty());
  EXPECT_EQ(broadcast.call->sequence(),
            (Sequence{">INVITE", "<100", "<401", ">ACK", ">INVITE", "<100", "<183", ">PRACK",
                      "<200 PRACK", "<200", ">ACK"}));
  // The caller supports 100rel, so the 183 with the publish URI goes reliably (RFC 3262).
  EXPECT_NE(broadcast.call->message_text("<183").value_or("").find("RSeq:"), std::string::npos);
  const auto answer = broadcast.call->last_response(200);
  ASSERT_TRUE(answer);
  EXPECT_EQ(sip::rtsp_uri_from_sdp(answer->body), broadcast.publish_url)
      << "707's 200 OK carries the same SDP as the 183";
  EXPECT_NE(
      answer->body.find("m=application " + std::to_string(server().rtsp_port()) + " TCP iptv_rtsp"),
      std::string::npos)
      << answer->body;

  // 710-713
  Watch watch{agent(kViewer), nullptr, {}};
  watch.call = watch.agent->call(kMaster, sip::make_iptv_offer("127.0.0.1"));
  ASSERT_TRUE(watch.call->wait_answered(10s));
  EXPECT_EQ(watch.call->sequence(), (Sequence{">INVITE", "<100", "<401", ">ACK", ">INVITE", "<100",
                                              "<181", "<200", ">ACK"}));
  watch.play_url = sip::rtsp_uri_from_sdp(watch.call->last_sdp().value_or(""));
  ASSERT_NE(watch.play_url.find("/groups/" + std::string(kMaster)), std::string::npos)
      << watch.call->last_sdp().value_or("(no SDP)");

  // 714: a real player decodes the group's stream from that URI.
  auto& viewer = spawn(ffprobe_live_viewer(watch.play_url, 3, dir(), "ffprobe-viewer"));
  ASSERT_TRUE(viewer.wait_for(20s)) << "ffprobe did not finish";
  const auto decoded = decoded_from_ffprobe_json(
      file_tail(viewer.options().stdout_file, 64 * 1024 * 1024), viewer.stderr_tail());
  ASSERT_TRUE(decoded.error.empty()) << decoded.error;
  EXPECT_GE(decoded.video_frames, kPublishFps) << "at least a second of video decoded";
  EXPECT_GT(decoded.audio_frames, 0);

  // The viewer hangs up: the media side forgets it.
  watch.call->hang_up();
  ASSERT_TRUE(watch.call->wait_terminated(5s));
  EXPECT_TRUE(wait_until(
      [&] {
        auto group = api().group(kMaster);
        return group && (*group)["viewers"].empty();
      },
      5s));

  // A second viewer is watching when the master hangs up: the network side ends its call too.
  Watch late{agent(kViewer2), nullptr, {}};
  late.call = late.agent->call(kMaster, sip::make_iptv_offer("127.0.0.1"));
  ASSERT_TRUE(late.call->wait_answered(10s));
  broadcast.call->hang_up();
  const auto ended = late.call->wait_terminated(10s);
  ASSERT_TRUE(ended);
  EXPECT_EQ(*ended, "BYE from remote");
  EXPECT_EQ(late.call->sequence().back(), ">200 BYE");
  EXPECT_TRUE(broadcast.call->wait_terminated(5s));

  // Nothing is left: no group, no dialog, and the master's forwarding is cleared.
  EXPECT_TRUE(wait_all_clean());
  EXPECT_EQ(ut("GET", kMaster).status, 404);
}

std::unique_ptr<RawSipPeer> SipE2eTest::raw_peer(sipua::Transport transport) {
  auto peer = std::make_unique<RawSipPeer>(transport, signaling_server().sip_port());
  EXPECT_TRUE(peer->ok()) << peer->error();
  return peer;
}

nlohmann::json SipE2eTest::signaling_stats() {
  const auto result = signaling_server().http().get("/v1/signaling");
  if (result.status != 200) return {};
  return nlohmann::json::parse(result.body, nullptr, false);
}

::testing::AssertionResult SipE2eTest::wait_all_clean(std::chrono::milliseconds timeout) {
  nlohmann::json groups;
  nlohmann::json stats;
  const bool clean = wait_until(
      [&] {
        auto listed = api().groups();
        groups = listed ? *listed : nlohmann::json();
        stats = signaling_stats();
        return listed && listed->empty() && stats.is_object() && stats["calls"] == 0 &&
               stats["broadcasts"] == 0;
      },
      timeout);
  if (clean) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "not clean after " << timeout.count() << " ms: groups=" << groups.dump()
         << " signaling=" << stats.dump();
}

}  // namespace callcast::test
