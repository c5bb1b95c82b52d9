// Bad input against a running callcastd (issue 2, "Bad input"): each gets its documented answer
// (401, 403, 404, 461, 400/413 and a closed connection, counters for bad media), and a stream
// that flows meanwhile is not disturbed.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <thread>

#include "core/token.hpp"
#include "ice/stun_message.hpp"
#include "support/e2e_test.hpp"
#include "support/media_tools.hpp"
#include "support/relay_publisher.hpp"
#include "support/rtsp_test_client.hpp"
#include "support/wait_until.hpp"

namespace callcast::test::bad_input_test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

const std::string kMaster = "13800000001";
const std::string kOtherMaster = "13800000002";
constexpr auto kIdleTimeout = 2s;
// Known to the test so that it can sign tokens the control API never hands out.
const std::string kTokenSecret = "bad-input-test-secret";

// A publisher's SDP: one H.264 track, as ffmpeg announces it.
const std::string kVideoSdp =
    "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=bad input\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1\r\n"
    "a=control:streamid=0\r\n";

// "rtsp://h:p/groups/G?token=T" -> T
std::string token_of(const std::string& url) {
  return url.substr(url.find("?token=") + 7);
}
// The URL with its token replaced.
std::string with_token(const std::string& url, const std::string& token) {
  return url.substr(0, url.find("?token=")) + "?token=" + token;
}
// The URL without its query.
std::string without_token(const std::string& url) {
  return url.substr(0, url.find('?'));
}

std::string describe(const std::optional<rtsp::RtspResponse>& response,
                     const std::string& client_error = "") {
  if (!response) return "no response (" + client_error + ")";
  std::string text = std::to_string(response->status) + " " + response->reason;
  for (const auto& header : response->headers)
    text += "\n  " + header.name + ": " + header.value;
  return text;
}

std::string warning_of(const std::optional<rtsp::RtspResponse>& response) {
  if (!response) return "";
  return std::string(response->header("Warning").value_or(""));
}

class BadInputTest : public E2eTest {
 protected:
  BadInputTest() : E2eTest(CALLCASTD_PATH) {}

  ServerOptions server_options() const override {
    ServerOptions options;
    options.config_toml = "token_secret = \"" + kTokenSecret +
                          "\"\n[media]\nidle_timeout_s = " + std::to_string(kIdleTimeout.count()) +
                          "\n";
    return options;
  }

  // A fresh RTSP connection to the server (fatal for the caller when it fails: check HasFailure).
  std::unique_ptr<RtspTestClient> connect() {
    auto client = std::make_unique<RtspTestClient>();
    EXPECT_TRUE(client->connect("127.0.0.1", server().rtsp_port())) << client->error();
    return client;
  }

  // One request on a fresh connection; its answer.
  std::optional<rtsp::RtspResponse> ask(std::string_view method, const std::string& url,
                                        const std::vector<std::string>& headers = {},
                                        std::string_view body = {}) {
    auto client = connect();
    auto response = client->request(method, url, headers, body);
    if (!response) ADD_FAILURE() << method << " " << url << ": " << client->error();
    return response;
  }

  // Publishes the relay (ffmpeg RTP, forwarded by the test) to `publish_url`; waits until live.
  std::unique_ptr<RelayPublisher> relay_publish(const std::string& publish_url) {
    auto relay = std::make_unique<RelayPublisher>(dir());
    EXPECT_TRUE(relay->start(publish_url));
    if (!HasFailure()) {
      EXPECT_TRUE(api().wait_until_live(kMaster, 20s));
    }
    return relay;
  }

  // ---- the cases: each usable alone or in the storm below ---------------------------------------

  void expect_wrong_tokens_refused(const std::string& play_url, const std::string& publish_url) {
    SCOPED_TRACE("wrong tokens");
    std::string tampered = token_of(play_url);
    tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
    const std::pair<std::string, std::string> cases[] = {
        {"made-up token", with_token(play_url, "bm90LWEtdG9rZW4.c2lnbmF0dXJl")},
        {"tampered signature", with_token(play_url, tampered)},
        {"no token", without_token(play_url)},
        {"publish token used to play", with_token(play_url, token_of(publish_url))},
    };
    for (const auto& [what, url] : cases) {
      const auto response = ask("DESCRIBE", url, {"Accept: application/sdp"});
      ASSERT_TRUE(response) << what;
      EXPECT_EQ(response->status, 401) << what << ": DESCRIBE -> " << describe(response);
      EXPECT_NE(warning_of(response), "") << what << ": a 401 should say why (Warning header)";
    }
    const auto announced = ask("ANNOUNCE", with_token(publish_url, token_of(play_url)),
                               {"Content-Type: application/sdp"}, kVideoSdp);
    ASSERT_TRUE(announced);
    EXPECT_EQ(announced->status, 401)
        << "play token used to publish: ANNOUNCE -> " << describe(announced);
  }

  // A viewer's valid token presented on another group's URL.
  void expect_other_group_token_refused(const std::string& play_url,
                                        const std::string& other_group) {
    SCOPED_TRACE("token of another group");
    const std::string url = "rtsp://127.0.0.1:" + std::to_string(server().rtsp_port()) +
                            "/groups/" + other_group + "?token=" + token_of(play_url);
    const auto response = ask("DESCRIBE", url, {"Accept: application/sdp"});
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 401) << "DESCRIBE -> " << describe(response);
  }

  // A token that is valid but whose group was deleted.
  void expect_unknown_group_404() {
    SCOPED_TRACE("unknown group");
    const std::string group = "13800000077";
    const auto publish_url = api().create_group(group);
    const auto play_url = api().admit_viewer(group, "13900000077");
    ASSERT_TRUE(publish_url && play_url);
    ASSERT_TRUE(api().delete_group(group));
    const auto described = ask("DESCRIBE", *play_url, {"Accept: application/sdp"});
    ASSERT_TRUE(described);
    EXPECT_EQ(described->status, 404) << "DESCRIBE (deleted group) -> " << describe(described);
    const auto announced =
        ask("ANNOUNCE", *publish_url, {"Content-Type: application/sdp"}, kVideoSdp);
    ASSERT_TRUE(announced);
    EXPECT_EQ(announced->status, 404) << "ANNOUNCE (deleted group) -> " << describe(announced);
  }

  // `publish_url`'s group is live: a valid publish token of another terminal is refused. (The
  // master's own URL announcing again takes over from its old connection: issue 10,
  // publisher_recovery_test.)
  void expect_second_publisher_refused(const std::string& publish_url) {
    SCOPED_TRACE("second publisher");
    const core::TokenSigner signer(kTokenSecret);
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    const std::string group =
        without_token(publish_url).substr(without_token(publish_url).rfind('/') + 1);
    const std::string intruder_url = with_token(
        publish_url, signer.issue({group, core::TokenRole::publish, "13999999999", now + 600}));
    const auto response =
        ask("ANNOUNCE", intruder_url, {"Content-Type: application/sdp"}, kVideoSdp);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 403) << "ANNOUNCE (second publisher) -> " << describe(response);
  }

  // `play_url`'s group has no publisher yet.
  void expect_play_before_master_404(const std::string& play_url, const std::string& group) {
    SCOPED_TRACE("play before the master");
    const auto response = ask("DESCRIBE", play_url, {"Accept: application/sdp"});
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 404) << "DESCRIBE -> " << describe(response);
    EXPECT_EQ(warning_of(response),
              "399 callcast \"group " + group + " is waiting for its master\"")
        << describe(response);
  }

  // `play_url`'s group is live.
  void expect_unsupported_transports_461(const std::string& play_url) {
    SCOPED_TRACE("unsupported transports");
    auto client = connect();
    ASSERT_FALSE(HasFailure());
    const auto described = client->describe(play_url);
    ASSERT_TRUE(described && described->status == 200) << describe(described, client->error());
    const auto tracks = sdp_tracks(described->body, play_url);
    ASSERT_FALSE(tracks.empty()) << described->body;
    for (const std::string transport :
         {"RTP/AVP;multicast;destination=232.0.0.1;port=5000-5001",
          "RTP/SAVP;unicast;client_port=5000-5001", "RAW/RAW/UDP;unicast;client_port=5000-5001"}) {
      const auto response =
          client->request("SETUP", tracks[0].control, {"Transport: " + transport});
      ASSERT_TRUE(response) << transport << ": " << client->error();
      EXPECT_EQ(response->status, 461)
          << "SETUP with " << transport << " -> " << describe(response, client->error());
    }
  }

  void expect_bad_transport_400(const std::string& play_url) {
    SCOPED_TRACE("bad Transport header");
    auto client = connect();
    ASSERT_FALSE(HasFailure());
    const auto described = client->describe(play_url);
    ASSERT_TRUE(described && described->status == 200) << describe(described, client->error());
    const auto tracks = sdp_tracks(described->body, play_url);
    ASSERT_FALSE(tracks.empty());
    const auto garbled = client->request("SETUP", tracks[0].control,
                                         {"Transport: RTP/AVP;unicast;client_port=ab-cd"});
    ASSERT_TRUE(garbled) << client->error();
    EXPECT_EQ(garbled->status, 400)
        << "SETUP client_port=ab-cd -> " << describe(garbled, client->error());
    const auto missing = client->request("SETUP", tracks[0].control);
    ASSERT_TRUE(missing) << client->error();
    EXPECT_EQ(missing->status, 400)
        << "SETUP without Transport -> " << describe(missing, client->error());
  }

  void expect_missing_cseq_400() {
    SCOPED_TRACE("missing CSeq");
    auto client = connect();
    ASSERT_FALSE(HasFailure());
    ASSERT_TRUE(client->send_raw("OPTIONS * RTSP/1.0\r\nUser-Agent: e2e\r\n\r\n"));
    const auto response = client->read_response();
    ASSERT_TRUE(response) << client->error();
    EXPECT_EQ(response->status, 400) << describe(response, client->error());
  }

  // Sends `bytes` on a fresh connection and expects a 400 or 413 and the connection closed.
  void expect_rejected_and_closed(const std::string& what, const std::string& bytes) {
    SCOPED_TRACE(what);
    auto client = connect();
    ASSERT_FALSE(HasFailure());
    // The server may close while we are still writing: that is an acceptable answer too.
    (void)client->send_raw(bytes);
    const auto started = Clock::now();
    const bool closed = client->wait_closed(3s);
    EXPECT_TRUE(closed) << what << ": the connection was still open 3 s later";
    auto answer = rtsp::parse_response(client->bytes_before_close(), {1 << 20, 1000});
    if (answer.status == rtsp::ParseStatus::complete) {
      const int status = answer.message.status;
      EXPECT_TRUE(status == 400 || status == 413)
          << what << ": answered " << status << " " << answer.message.reason;
      std::printf("[e2e] %s: %d %s (%s), connection closed\n", what.c_str(), status,
                  answer.message.reason.c_str(),
                  std::string(answer.message.header("Warning").value_or("")).c_str());
    } else {
      // Closing without a word is allowed by the issue; say so in the output.
      std::printf("[e2e] %s: closed after %.0f ms without an RTSP answer\n", what.c_str(),
                  std::chrono::duration<double, std::milli>(Clock::now() - started).count());
    }
  }

  void expect_oversized_headers_rejected() {
    // Limits by default: 16 KiB per message, 64 headers.
    expect_rejected_and_closed("oversized header", "OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nX-Big: " +
                                                       std::string(20000, 'a') + "\r\n\r\n");
    std::string many = "OPTIONS * RTSP/1.0\r\nCSeq: 2\r\n";
    for (int i = 0; i < 200; ++i)
      many += "X-Header-" + std::to_string(i) + ": v\r\n";
    expect_rejected_and_closed("too many headers", many + "\r\n");
  }

  void expect_endless_headers_rejected() {
    SCOPED_TRACE("endless headers");
    auto client = connect();
    ASSERT_FALSE(HasFailure());
    ASSERT_TRUE(client->send_raw("OPTIONS * RTSP/1.0\r\nCSeq: 3\r\n"));
    // Header lines without an end, 1 KiB at a time, until the server gives up on us.
    std::size_t sent = 0;
    const std::string chunk = "X-Endless: " + std::string(1000, 'z') + "\r\n";
    while (sent < 1024 * 1024 && client->send_raw(chunk)) {
      sent += chunk.size();
      if (sent % (32 * 1024) < chunk.size() && client->wait_closed(10ms)) break;
    }
    EXPECT_TRUE(client->wait_closed(3s)) << "still open after " << sent << " bytes of headers";
    EXPECT_LE(sent, 256u * 1024) << "the server read " << sent << " bytes of one header section";
    auto answer = rtsp::parse_response(client->bytes_before_close(), {1 << 20, 1000});
    if (answer.status == rtsp::ParseStatus::complete) {
      EXPECT_TRUE(answer.message.status == 400 || answer.message.status == 413)
          << answer.message.status;
      std::printf("[e2e] endless headers: %d %s after %zu bytes, connection closed\n",
                  answer.message.status, answer.message.reason.c_str(), sent);
    } else {
      std::printf("[e2e] endless headers: closed after %zu bytes without an RTSP answer\n", sent);
    }
  }

  void expect_binary_garbage_rejected() {
    std::mt19937 random(20240611);
    std::string garbage(4096, '\0');
    for (auto& c : garbage)
      c = static_cast<char>(random() & 0xff);
    garbage[0] = '\x17';  // not '$': this is not an interleaved frame
    expect_rejected_and_closed("binary garbage", garbage);
  }

  // A connection that sends half a request and a connection that says nothing: both closed by
  // the idle timeout, not before it.
  void expect_half_open_and_silent_connections_closed() {
    SCOPED_TRACE("half-open and silent connections");
    auto half_open = connect();
    auto silent = connect();
    ASSERT_FALSE(HasFailure());
    const auto started = Clock::now();
    ASSERT_TRUE(half_open->send_raw("DESCRIBE rtsp://127.0.0.1/groups/" + kMaster +
                                    " RTSP/1.0\r\nCSeq: 4\r\nAccept: appl"));
    const auto limit = kIdleTimeout + 4s;
    EXPECT_TRUE(half_open->wait_closed(limit))
        << "a half-sent request kept its connection open for " << limit.count() << " s";
    const auto half_open_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
    const auto silent_left =
        std::chrono::duration_cast<std::chrono::milliseconds>(limit - (Clock::now() - started));
    EXPECT_TRUE(silent->wait_closed(silent_left + 1s))
        << "a silent connection was not closed by the idle timeout";
    const auto silent_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
    // Closed by the idle timeout, not by a mistake earlier.
    EXPECT_GE(half_open_ms, kIdleTimeout - 500ms);
    EXPECT_GE(silent_ms, kIdleTimeout - 500ms);
    std::printf("[e2e] half-open connection closed after %lld ms, silent one after %lld ms\n",
                static_cast<long long>(half_open_ms.count()),
                static_cast<long long>(silent_ms.count()));
  }

  // Malformed RTP and frames on channels nobody set up, slipped between real packets on the
  // publisher's connection: counted, dropped, and the stream keeps flowing.
  // The malformed_input counter of `kind` in the server's /metrics (0 when absent).
  double malformed_input(const std::string& kind) {
    const auto scraped = server().http().get("/metrics");
    const std::string series = "callcast_malformed_input_total{kind=\"" + kind + "\"} ";
    const auto at = scraped.body.find(series);
    if (at == std::string::npos) return 0;
    return std::stod(scraped.body.substr(at + series.size()));
  }

  // Issue 14: what a browser's transport looks like on the RTP port (STUN, DTLS) from nobody
  // the server gave ICE credentials to: a check for unknown credentials is answered 401 without
  // integrity (RFC 8445 §7.3), garbage and a DTLS record from an address no ICE check chose are
  // dropped and counted; the live group is untouched.
  void expect_webrtc_datagrams_refused() {
    SCOPED_TRACE("STUN and DTLS for no WebRTC session");
    const double stun_before = malformed_input("stun");
    const double unknown_before = malformed_input("udp_unknown_source");
    const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(server().ready().rtp_port);
    ::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    auto send_bytes = [&](const std::vector<std::uint8_t>& bytes) {
      ::sendto(fd, bytes.data(), bytes.size(), 0, reinterpret_cast<const sockaddr*>(&to),
               sizeof(to));
    };
    ice::BindingRequestOptions check;
    check.username = "nosuchuf:browser1";
    check.password = "not-a-password-of-ours-at-all";
    check.priority = 1853824767;
    check.ice_controlling = 42;
    check.use_candidate = true;
    check.transaction = ice::random_transaction_id();
    send_bytes(ice::binding_request(check));
    pollfd ready{fd, POLLIN, 0};
    ASSERT_EQ(::poll(&ready, 1, 3000), 1) << "no answer to a STUN check for unknown credentials";
    std::vector<std::uint8_t> reply(1500);
    const auto got = ::recv(fd, reply.data(), reply.size(), 0);
    ASSERT_GT(got, 0);
    reply.resize(static_cast<std::size_t>(got));
    auto parsed = ice::parse_stun(reply);
    ASSERT_TRUE(parsed) << parsed.error();
    EXPECT_TRUE(parsed->is_binding_error());
    ASSERT_TRUE(parsed->error.has_value());
    EXPECT_EQ(parsed->error->code, 401);
    EXPECT_EQ(parsed->transaction, check.transaction);
    EXPECT_EQ(parsed->integrity_offset, 0U) << "no key to sign a refusal with";
    // Not STUN at all though its first byte says so; a DTLS ClientHello's start; a record.
    send_bytes({0x00, 0x01, 0x00, 0x08, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3});
    send_bytes({0x16, 0xfe, 0xfd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2f, 0x01,
                0x00, 0x00, 0x23});
    send_bytes({0x17, 0xfe, 0xfd, 0x00, 0x01});
    EXPECT_TRUE(wait_until([&] { return malformed_input("stun") >= stun_before + 2; }, 5s))
        << "the refused checks are counted under kind=\"stun\"";
    EXPECT_TRUE(
        wait_until([&] { return malformed_input("udp_unknown_source") >= unknown_before + 2; }, 5s))
        << "DTLS from an address no ICE check chose is dropped and counted";
    ::close(fd);
  }

  void expect_bad_media_counted(RelayPublisher& relay) {
    SCOPED_TRACE("malformed RTP and wrong interleaved channels");
    const auto before = api().group(kMaster);
    ASSERT_TRUE(before);
    const auto video_before = find_track(*before, "video");
    ASSERT_TRUE(video_before.is_object()) << before->dump();
    ASSERT_TRUE((*before)["publisher"].is_object()) << before->dump();
    const auto malformed_before = video_before.value("malformed", std::uint64_t{0});
    const auto wrong_before =
        (*before)["publisher"].value("wrong_channel_packets", std::uint64_t{0});
    const auto packets_before = video_before.value("packets", std::uint64_t{0});

    const std::vector<std::vector<std::uint8_t>> malformed = {
        {0x00, 0x60, 0x00, 0x01, 0, 0, 0, 1, 0, 0, 0, 1, 0x65},  // RTP version 0
        {0x80, 0x60, 0x00},                                      // shorter than an RTP header
        {0x80, 0x6f, 0x00, 0x02, 0, 0, 0, 2, 0, 0, 0, 1, 0x65},  // payload type 111, not 96
        {0x80, 0x60, 0x00, 0x03, 0, 0, 0, 3, 0, 0, 0, 1, 0x85},  // H.264 forbidden bit set
        {0x8f, 0x60, 0x00, 0x04, 0, 0, 0, 4, 0, 0, 0, 1},        // 15 CSRCs announced, none there
    };
    for (const auto& packet : malformed)
      relay.inject(0, packet);
    for (const std::uint8_t channel : {std::uint8_t{4}, std::uint8_t{5}, std::uint8_t{77}}) {
      relay.inject(channel, {0x80, 0x60, 0x00, 0x09});
    }
    EXPECT_TRUE(wait_until([&] { return relay.pending_injections() == 0; }, 5s));

    nlohmann::json after;
    const bool counted = wait_until(
        [&] {
          auto snapshot = api().http().get("/v1/groups/" + kMaster);
          after = snapshot.json;
          if (!after.is_object() || !after["publisher"].is_object()) return false;
          const auto video = find_track(after, "video");
          return video.value("malformed", std::uint64_t{0}) >=
                     malformed_before + malformed.size() &&
                 after["publisher"].value("wrong_channel_packets", std::uint64_t{0}) >=
                     wrong_before + 3;
        },
        5s);
    EXPECT_TRUE(counted) << "expected tracks[video].malformed >= "
                         << malformed_before + malformed.size()
                         << " and publisher.wrong_channel_packets >= " << wrong_before + 3
                         << "; snapshot: " << after.dump();
    if (counted) {
      std::printf(
          "[e2e] bad media counted: tracks[video].malformed %llu -> %llu, "
          "publisher.wrong_channel_packets %llu -> %llu\n",
          static_cast<unsigned long long>(malformed_before),
          static_cast<unsigned long long>(
              find_track(after, "video").value("malformed", std::uint64_t{0})),
          static_cast<unsigned long long>(wrong_before),
          static_cast<unsigned long long>(
              after["publisher"].value("wrong_channel_packets", std::uint64_t{0})));
    }
    EXPECT_EQ(relay.failure(), "") << "the server dropped the publisher's connection";
    // Still flowing: the video track keeps counting packets.
    EXPECT_TRUE(wait_until(
        [&] {
          auto snapshot = api().group(kMaster);
          return snapshot && find_track(*snapshot, "video").value("packets", std::uint64_t{0}) >
                                 packets_before + 100;
        },
        10s))
        << "the stream stopped after the bad packets";
  }
};

// ---- one case per test ------------------------------------------------------------------------

TEST_F(BadInputTest, WrongTokensAre401) {
  const std::string publish_url = create_group(kMaster);
  const std::string play_url = admit_viewer(kMaster, "13900000001");
  ASSERT_FALSE(HasFailure());
  expect_wrong_tokens_refused(play_url, publish_url);
}

TEST_F(BadInputTest, TokenOfAnotherGroupIs401) {
  create_group(kMaster);
  create_group(kOtherMaster);
  const std::string play_url = admit_viewer(kMaster, "13900000001");
  ASSERT_FALSE(HasFailure());
  expect_other_group_token_refused(play_url, kOtherMaster);
}

TEST_F(BadInputTest, ValidTokenOfADeletedGroupIs404) {
  expect_unknown_group_404();
}

TEST_F(BadInputTest, PlayBeforeTheMasterIs404WithAReason) {
  create_group(kMaster);
  const std::string play_url = admit_viewer(kMaster, "13900000001");
  ASSERT_FALSE(HasFailure());
  expect_play_before_master_404(play_url, kMaster);
}

TEST_F(BadInputTest, PublishTokenOfAnotherTerminalIs403WhileTheMasterPublishes) {
  const std::string publish_url = create_group(kMaster);
  ASSERT_FALSE(HasFailure());
  auto relay = relay_publish(publish_url);
  ASSERT_FALSE(HasFailure());
  expect_second_publisher_refused(publish_url);
}

TEST_F(BadInputTest, UnsupportedTransportIs461) {
  const std::string publish_url = create_group(kMaster);
  const std::string play_url = admit_viewer(kMaster, "13900000001");
  ASSERT_FALSE(HasFailure());
  auto relay = relay_publish(publish_url);
  ASSERT_FALSE(HasFailure());
  expect_unsupported_transports_461(play_url);
}

TEST_F(BadInputTest, BadTransportHeaderIs400) {
  const std::string publish_url = create_group(kMaster);
  const std::string play_url = admit_viewer(kMaster, "13900000001");
  ASSERT_FALSE(HasFailure());
  auto relay = relay_publish(publish_url);
  ASSERT_FALSE(HasFailure());
  expect_bad_transport_400(play_url);
}

TEST_F(BadInputTest, MissingCSeqIs400) {
  expect_missing_cseq_400();
}

TEST_F(BadInputTest, OversizedHeadersAreRefusedAndTheConnectionClosed) {
  expect_oversized_headers_rejected();
}

TEST_F(BadInputTest, EndlessHeadersAreCutOff) {
  expect_endless_headers_rejected();
}

TEST_F(BadInputTest, BinaryGarbageIsRefusedAndTheConnectionClosed) {
  expect_binary_garbage_rejected();
}

TEST_F(BadInputTest, HalfOpenAndSilentConnectionsCloseAfterTheIdleTimeout) {
  expect_half_open_and_silent_connections_closed();
}

TEST_F(BadInputTest, StunAndDtlsForNoWebRtcSessionAreRefusedAndCounted) {
  create_group(kMaster);
  ASSERT_FALSE(HasFailure());
  expect_webrtc_datagrams_refused();
}

TEST_F(BadInputTest, MalformedRtpAndWrongChannelsAreCountedAndDropped) {
  const std::string publish_url = create_group(kMaster);
  ASSERT_FALSE(HasFailure());
  auto relay = relay_publish(publish_url);
  ASSERT_FALSE(HasFailure());
  expect_bad_media_counted(*relay);
}

// ---- all of them against one live group -------------------------------------------------------

TEST_F(BadInputTest, AfterEveryBadInputViewersStillDecodeTheStream) {
  const std::string publish_url = create_group(kMaster);
  const std::string watcher_url = admit_viewer(kMaster, "13900000001");
  const std::string probe_url = admit_viewer(kMaster, "13900000002");
  const std::string after_url = admit_viewer(kMaster, "13900000003");
  create_group(kOtherMaster);
  const std::string waiting_url = admit_viewer(kOtherMaster, "13900000009");
  ASSERT_FALSE(HasFailure());
  auto relay = relay_publish(publish_url);
  ASSERT_FALSE(HasFailure());

  // A viewer watches through the whole storm.
  constexpr int kWatchSeconds = 16;
  const auto watched = dir() / "watcher.mkv";
  ChildProcess& watcher =
      spawn(ffmpeg_recorder(watcher_url, watched, kWatchSeconds, dir(), "watcher"));
  ASSERT_FALSE(HasFailure());
  EXPECT_TRUE(wait_until(
      [&] {
        auto s = api().group(kMaster);
        return s && find_viewer(*s, "13900000001").value("state", "") == "playing";
      },
      10s))
      << "the watching viewer did not start playing";

  const auto storm_started = Clock::now();
  expect_wrong_tokens_refused(probe_url, publish_url);
  expect_other_group_token_refused(probe_url, kOtherMaster);
  expect_unknown_group_404();
  expect_second_publisher_refused(publish_url);
  expect_play_before_master_404(waiting_url, kOtherMaster);
  expect_unsupported_transports_461(probe_url);
  expect_bad_transport_400(probe_url);
  expect_missing_cseq_400();
  expect_oversized_headers_rejected();
  expect_endless_headers_rejected();
  expect_binary_garbage_rejected();
  expect_bad_media_counted(*relay);
  expect_webrtc_datagrams_refused();
  expect_half_open_and_silent_connections_closed();
  std::printf("[e2e] the bad inputs took %.1f s\n",
              std::chrono::duration<double>(Clock::now() - storm_started).count());
  EXPECT_TRUE(server().alive()) << "callcastd died";

  const auto watcher_status = watcher.wait_for(40s);
  ASSERT_TRUE(watcher_status) << "the watching viewer did not finish";
  EXPECT_TRUE(watcher_status->success()) << watcher_status->describe() << watcher.stderr_tail();
  const DecodedMedia during = decode_file(watched, dir());
  std::printf("[e2e] viewer during the bad input: %s\n", during.describe().c_str());
  EXPECT_GE(during.video_window_s(), kWatchSeconds - 1.0) << during.describe();
  EXPECT_GE(during.video_frames, 0.95 * during.published_frames()) << during.describe();
  EXPECT_EQ(during.decoder_errors, "");

  // And a viewer that joins afterwards.
  constexpr int kAfterSeconds = 4;
  const auto recorded = dir() / "after.mkv";
  ChildProcess& after = spawn(ffmpeg_recorder(after_url, recorded, kAfterSeconds, dir(), "after"));
  ASSERT_FALSE(HasFailure());
  const auto after_status = after.wait_for(30s);
  ASSERT_TRUE(after_status) << "the viewer joining after the bad input did not finish";
  EXPECT_TRUE(after_status->success()) << after_status->describe() << after.stderr_tail();
  const DecodedMedia later = decode_file(recorded, dir());
  std::printf("[e2e] viewer after the bad input: %s\n", later.describe().c_str());
  EXPECT_GE(later.video_window_s(), kAfterSeconds - 1.0) << later.describe();
  EXPECT_GE(later.video_frames, 0.95 * later.published_frames()) << later.describe();
  EXPECT_EQ(later.first_video_keyframe, std::optional<bool>(true)) << later.describe();
  EXPECT_EQ(relay->failure(), "");
}

// Tokens that expire are tested on a simulated clock, without sleeping:
// tests/unit/media/streaming_server_time_test.cpp (ExpiredTokenTest).

}  // namespace
}  // namespace callcast::test::bad_input_test
