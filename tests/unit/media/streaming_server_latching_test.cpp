// Symmetric RTP latching for UDP viewers behind a NAT (step 709, issue 10), on real sockets over
// loopback: the streaming server runs in-process on its own thread, a publisher and viewers talk
// RTSP to it, and a NAT is simulated by a viewer whose SETUP names one port pair (its "private"
// ports) while its datagrams come from another pair (what the NAT mapped them to).
#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <cstdio>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "io/asio_timer_factory.hpp"
#include "media/streaming_server.hpp"
#include "rtp/generic_nack.hpp"
#include "rtp/picture_loss_indication.hpp"
#include "rtp/rtcp.hpp"
#include "rtp/rtp_packet_view.hpp"
#include "support/rtsp_test_client.hpp"
#include "support/udp_media_receiver.hpp"
#include "support/wait_until.hpp"
#include "unit/media/h264_rtp_packets.hpp"

namespace callcast::media::streaming_server_latching_test {
namespace {

using namespace std::chrono_literals;
using callcast::test::RtspTestClient;
using callcast::test::UdpMediaReceiver;
using callcast::test::wait_until;
using test::Buffer;
using test::fu_a;
using test::kIdr;
using test::kPps;
using test::kSlice;
using test::kSps;
using test::rtp_packet;
using test::stap_a;

const std::string kMaster = "13800000001";

const std::string kVideoSdp =
    "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=latching\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1\r\n"
    "a=control:streamid=0\r\n";

core::MediaConfig loopback_config() {
  core::MediaConfig config;
  config.rtsp = {"127.0.0.1", 0};
  config.rtp_ports = {0, 0};
  config.workers = 1;  // a real fan-out worker thread: a latched viewer must be re-handed to it
  return config;
}

// An RTCP receiver report from `sender_ssrc`, about `media_ssrc` when given.
Buffer receiver_report(std::uint32_t sender_ssrc, std::optional<std::uint32_t> media_ssrc = {}) {
  Buffer out(64);
  std::vector<rtp::ReportBlock> blocks;
  if (media_ssrc) {
    rtp::ReportBlock block;
    block.ssrc = *media_ssrc;
    blocks.push_back(block);
  }
  const std::size_t size =
      rtp::write_receiver_report(rtp::MutableBytes(out), sender_ssrc, std::span(blocks));
  out.resize(size);
  return out;
}

// ffmpeg's punch packet: a bare RTP header.
const Buffer kPunch = rtp_packet(0, 0, {}, 96, false, 0);

class LatchingTest : public ::testing::Test {
 protected:
  LatchingTest()
      : server_(io_, loopback_config(), "latching-test-secret", core::RealTimeSource::instance(),
                timers_) {}

  // Runs `f` on the server's loop and returns its result.
  template <class F>
  auto on_loop(F f) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto result = task.get_future();
    boost::asio::post(io_, [&task] { task(); });
    return result.get();
  }

  void SetUp() override {
    auto bound = server_.start();
    ASSERT_TRUE(bound) << bound.error();
    bound_ = *bound;
    loop_ = std::thread([this] { io_.run(); });
    auto created = on_loop([this] { return server_.create_group(kMaster); });
    ASSERT_TRUE(created);
    publish(created->publish_url);
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

  std::string admit(const std::string& viewer) {
    auto admitted = on_loop([&] { return server_.admit_viewer(kMaster, viewer); });
    EXPECT_TRUE(admitted);
    return admitted ? admitted->play_url : "";
  }

  // ANNOUNCE + SETUP (interleaved) + RECORD, then one keyframe so that viewers start at once.
  void publish(const std::string& url) {
    ASSERT_TRUE(publisher_.connect("127.0.0.1", bound_.rtsp.port)) << publisher_.error();
    ASSERT_EQ(publisher_.announce(url, kVideoSdp)->status, 200);
    ASSERT_EQ(publisher_.setup_tcp(url + "/streamid=0", 0, true)->status, 200);
    ASSERT_EQ(publisher_.record(url)->status, 200);
    publish_keyframe();
  }
  void send_video(const Buffer& payload, bool marker) {
    const auto packet = rtp_packet(seq_++, ts_, payload, 96, marker);
    ASSERT_TRUE(publisher_.send_interleaved(0, packet));
  }
  void publish_keyframe() {
    ts_ += 3000;
    send_video(stap_a({kSps, kPps}), false);
    send_video(fu_a(kIdr, true, false, {0x11}), false);
    send_video(fu_a(kIdr, false, true, {0x22}), true);
  }
  void publish_slice() {
    ts_ += 3000;
    send_video(kSlice, true);
  }

  // DESCRIBE, SETUP of the video track with `setup_ports`' client_port (and `ssrc` when given).
  // `profile`: "RTP/AVP" as ffmpeg sets up whatever the SDP said, "RTP/AVPF" as rtspsrc does
  // after an AVPF DESCRIBE.
  void setup(RtspTestClient& client, const std::string& play_url,
             const UdpMediaReceiver& setup_ports, std::optional<std::uint32_t> ssrc = {},
             const std::string& profile = "RTP/AVP") {
    ASSERT_TRUE(client.connect("127.0.0.1", bound_.rtsp.port)) << client.error();
    ASSERT_EQ(client.describe(play_url)->status, 200);
    std::string transport = "Transport: " + profile +
                            ";unicast;client_port=" + std::to_string(setup_ports.rtp_port()) + "-" +
                            std::to_string(setup_ports.rtcp_port());
    if (ssrc) {
      char hex[9];
      std::snprintf(hex, sizeof hex, "%08X", *ssrc);  // RFC 2326 §12.39: eight hex digits
      transport += ";ssrc=" + std::string(hex);
    }
    const auto response = client.request("SETUP", play_url + "/trackID=0", {transport});
    ASSERT_TRUE(response);
    ASSERT_EQ(response->status, 200);
    const auto answer = response->header("Transport");
    ASSERT_TRUE(answer);
    EXPECT_TRUE(answer->starts_with(profile + ";")) << *answer;
  }
  void play(RtspTestClient& client, const std::string& play_url) {
    const auto response = client.play(play_url);
    ASSERT_TRUE(response);
    ASSERT_EQ(response->status, 200);
  }

  // The viewer's entry in the group's snapshot.
  control::ViewerStats viewer_stats(const std::string& viewer) {
    auto snapshot = on_loop([this] { return server_.snapshot(kMaster); });
    EXPECT_TRUE(snapshot);
    if (snapshot) {
      for (const auto& v : snapshot->viewers) {
        if (v.viewer == viewer) return v;
      }
    }
    return {};
  }
  StreamingServer::Counters counters() {
    return on_loop([this] { return server_.counters(); });
  }
  std::string endpoint(const UdpMediaReceiver& ports, const std::string& host = "127.0.0.1") {
    return host + ":" + std::to_string(ports.rtp_port());
  }
  // Publishes slices until one arrives at `receiver`'s RTP port (bounded).
  bool media_arrives_at(UdpMediaReceiver& receiver) {
    for (int i = 0; i < 20; ++i) {
      publish_slice();
      if (receiver.receive_rtp(100ms)) return true;
    }
    return false;
  }
  // Drains `receiver`; true when nothing more arrives within `quiet`.
  static bool silent(UdpMediaReceiver& receiver, std::chrono::milliseconds quiet = 300ms) {
    for (int i = 0; i < 1000; ++i) {
      if (!receiver.receive_rtp(quiet)) return true;
    }
    return false;
  }

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ =
      boost::asio::make_work_guard(io_);
  io::AsioTimerFactory timers_{io_};
  StreamingServer server_;
  BoundAddresses bound_;
  std::thread loop_;
  RtspTestClient publisher_;
  std::uint16_t seq_ = 100;
  std::uint32_t ts_ = 0;
};

// The player's punch and report arrive from the NAT's ports before PLAY: media goes there.
TEST_F(LatchingTest, ViewerBehindANatGetsMediaWhereItsDatagramsCameFrom) {
  const std::string url = admit("13900000001");
  UdpMediaReceiver private_ports;  // what SETUP says
  UdpMediaReceiver nat_ports;      // what the NAT made of them
  ASSERT_TRUE(private_ports.ok() && nat_ports.ok());
  RtspTestClient viewer;
  setup(viewer, url, private_ports);
  EXPECT_FALSE(viewer_stats("13900000001").latched);
  EXPECT_EQ(viewer_stats("13900000001").rtp_destination, endpoint(private_ports));

  ASSERT_TRUE(nat_ports.send_rtp(kPunch, "127.0.0.1", bound_.rtp_ports.rtp));
  ASSERT_TRUE(nat_ports.send_rtcp(receiver_report(0x1234), "127.0.0.1", bound_.rtp_ports.rtcp));
  EXPECT_TRUE(wait_until([&] { return viewer_stats("13900000001").latched; }, 2s));
  EXPECT_EQ(viewer_stats("13900000001").rtp_destination, endpoint(nat_ports));
  EXPECT_EQ(counters().udp_destinations_latched, 2U);

  play(viewer, url);
  EXPECT_TRUE(media_arrives_at(nat_ports)) << "the GOP and live packets go to the NAT's port";
  EXPECT_TRUE(silent(private_ports)) << "nothing goes to the private port any more";
  // The server's RTCP (sender reports, BYE) follows the RTCP port the same way.
  ASSERT_TRUE(on_loop([this] { return server_.remove_viewer(kMaster, "13900000001"); }));
  EXPECT_TRUE(nat_ports.receive_rtcp(2s).has_value()) << "the RTCP BYE goes to the NAT's port";
  EXPECT_FALSE(private_ports.receive_rtcp(200ms).has_value());
}

// GET /metrics' media part: the server's counters, groups and viewers, packets and join time.
TEST_F(LatchingTest, MetricsFollowTheServersCountersGroupsAndViewers) {
  const auto scrape = [this] {
    return on_loop([this] {
      stats::Exposition out;
      server_.expose_metrics(out);
      return out.text();
    });
  };
  const auto has = [](const std::string& text, const std::string& line) {
    return text.find("\n" + line + "\n") != std::string::npos;
  };
  const auto value = [](const std::string& text, const std::string& series) {
    const auto at = text.find("\n" + series + " ");
    return at == std::string::npos ? 0 : std::stoull(text.substr(at + series.size() + 2));
  };
  const std::string url = admit("13900000001");
  UdpMediaReceiver ports;
  ASSERT_TRUE(ports.ok());
  RtspTestClient viewer;
  setup(viewer, url, ports);
  ASSERT_TRUE(ports.send_rtp(kPunch, "127.0.0.1", bound_.rtp_ports.rtp));
  ASSERT_TRUE(ports.send_rtcp(receiver_report(0x1234), "127.0.0.1", bound_.rtp_ports.rtcp));
  EXPECT_TRUE(wait_until([&] { return viewer_stats("13900000001").latched; }, 2s));
  play(viewer, url);
  ASSERT_TRUE(media_arrives_at(ports));

  const std::string text = scrape();
  EXPECT_TRUE(has(text, "callcast_groups{state=\"live\"} 1")) << text;
  EXPECT_TRUE(has(text, "callcast_viewers{transport=\"udp\"} 1")) << text;
  // The other transports' series are there at 0, as the JSON snapshot names them.
  EXPECT_TRUE(has(text, "callcast_viewers{transport=\"tcp\"} 0")) << text;
  EXPECT_TRUE(has(text, "callcast_viewers{transport=\"webrtc\"} 0")) << text;
  EXPECT_TRUE(has(text, "callcast_viewers{transport=\"rtp\"} 0")) << text;
  EXPECT_EQ(viewer_stats("13900000001").transport, "udp");
  EXPECT_TRUE(has(text, "callcast_udp_destinations_latched_total " +
                            std::to_string(counters().udp_destinations_latched)))
      << text;
  EXPECT_TRUE(has(text, "callcast_rtsp_connections_accepted_total " +
                            std::to_string(counters().connections_accepted)))
      << text;
  EXPECT_TRUE(has(text, "callcast_viewer_join_seconds_count 1")) << text;
  EXPECT_FALSE(has(text, "callcast_media_sent_packets_total 0")) << text;
  EXPECT_FALSE(has(text, "callcast_media_received_packets_total 0")) << text;
  // Every QoS series is there before anything happened to it.
  EXPECT_TRUE(has(text, "callcast_keyframe_requests_received_total{kind=\"pli\"} 0")) << text;
  EXPECT_TRUE(has(text, "callcast_bitrate_requests_total{direction=\"decrease\"} 0")) << text;
  EXPECT_TRUE(has(text, "callcast_publisher_requests_unsent_total{kind=\"keyframe\"} 0")) << text;
  EXPECT_TRUE(has(text, "callcast_thinned_viewers 0")) << text;

  // The viewer asks for a keyframe (RR + PLI on the server's RTCP port): it reaches the
  // publisher's RTCP channel, and its entry, its group's and /metrics count it.
  publish_slice();
  const auto slice = ports.receive_rtp(1s);
  ASSERT_TRUE(slice);
  const auto view = rtp::RtpPacketView::parse(*slice);
  ASSERT_TRUE(view);
  Buffer pli = receiver_report(0x1234);
  const std::size_t rr = pli.size();
  pli.resize(rr + 12);
  ASSERT_EQ(
      rtp::write_picture_loss_indication(rtp::MutableBytes(pli).subspan(rr), 0x1234, view->ssrc()),
      12U);
  ASSERT_TRUE(ports.send_rtcp(pli, "127.0.0.1", bound_.rtp_ports.rtcp));
  EXPECT_TRUE(wait_until([&] { return viewer_stats("13900000001").qos.plis == 1; }, 2s));
  const auto group = on_loop([this] { return server_.snapshot(kMaster); });
  ASSERT_TRUE(group);
  EXPECT_EQ(group->qos.plis_received, 1U);
  EXPECT_EQ(group->qos.keyframe_requests_forwarded, 1U);
  const std::string asked = scrape();
  EXPECT_TRUE(has(asked, "callcast_keyframe_requests_received_total{kind=\"pli\"} 1")) << asked;
  EXPECT_TRUE(has(asked, "callcast_keyframe_requests_forwarded_total 1")) << asked;

  // The viewer leaves: what it was sent, and its keyframe request, stay counted.
  const auto sent_before = value(asked, "callcast_media_sent_packets_total");
  EXPECT_GT(sent_before, 0U);
  ASSERT_TRUE(on_loop([this] { return server_.remove_viewer(kMaster, "13900000001"); }));
  const std::string after = scrape();
  EXPECT_TRUE(has(after, "callcast_viewers{transport=\"udp\"} 0")) << after;
  EXPECT_GE(value(after, "callcast_media_sent_packets_total"), sent_before) << after;
  EXPECT_TRUE(has(after, "callcast_keyframe_requests_received_total{kind=\"pli\"} 1")) << after;
}

// Latching after PLAY: the viewer is already served by a fan-out worker, which must follow.
TEST_F(LatchingTest, LatchingAfterPlayRedirectsTheFanOut) {
  const std::string url = admit("13900000001");
  UdpMediaReceiver private_ports;
  UdpMediaReceiver nat_ports;
  ASSERT_TRUE(private_ports.ok() && nat_ports.ok());
  RtspTestClient viewer;
  setup(viewer, url, private_ports);
  play(viewer, url);
  EXPECT_TRUE(media_arrives_at(private_ports)) << "until latched: (peer address, client_port)";

  ASSERT_TRUE(nat_ports.send_rtp(kPunch, "127.0.0.1", bound_.rtp_ports.rtp));
  EXPECT_TRUE(wait_until(
      [&] { return viewer_stats("13900000001").rtp_destination == endpoint(nat_ports); }, 2s));
  EXPECT_TRUE(media_arrives_at(nat_ports));
  silent(private_ports);  // what was under way
  publish_slice();
  publish_slice();
  EXPECT_TRUE(silent(private_ports));
}

// A player that is not behind a NAT (its datagrams come from the ports SETUP named) is latched
// where it was: nothing moves.
TEST_F(LatchingTest, DatagramsFromTheSetUpPortsConfirmTheDestination) {
  const std::string url = admit("13900000001");
  UdpMediaReceiver ports;
  ASSERT_TRUE(ports.ok());
  RtspTestClient viewer;
  setup(viewer, url, ports);
  ASSERT_TRUE(ports.send_rtcp(receiver_report(0x1234), "127.0.0.1", bound_.rtp_ports.rtcp));
  EXPECT_TRUE(wait_until([&] { return viewer_stats("13900000001").latched; }, 2s));
  EXPECT_EQ(viewer_stats("13900000001").rtp_destination, endpoint(ports));
  EXPECT_EQ(counters().udp_destinations_latched, 0U);
  play(viewer, url);
  EXPECT_TRUE(media_arrives_at(ports));
}

// No hijack: a datagram from an address that no viewer's RTSP came from redirects nobody, and
// neither does one from the viewer's address once its ports are latched.
TEST_F(LatchingTest, DatagramsFromElsewhereNeverRedirectASession) {
  const std::string url = admit("13900000001");
  UdpMediaReceiver ports;
  UdpMediaReceiver stranger("127.0.0.2");
  ASSERT_TRUE(ports.ok());
  ASSERT_TRUE(stranger.ok()) << stranger.error();
  RtspTestClient viewer;
  setup(viewer, url, ports);
  const auto before = counters().unknown_udp_datagrams;
  ASSERT_TRUE(stranger.send_rtp(kPunch, "127.0.0.1", bound_.rtp_ports.rtp));
  ASSERT_TRUE(stranger.send_rtcp(receiver_report(0x1234), "127.0.0.1", bound_.rtp_ports.rtcp));
  EXPECT_TRUE(wait_until([&] { return counters().unknown_udp_datagrams == before + 2; }, 2s));
  EXPECT_EQ(viewer_stats("13900000001").rtp_destination, endpoint(ports));
  EXPECT_FALSE(viewer_stats("13900000001").latched);

  // Once latched (from its own ports), a later datagram from another local port is ignored too.
  ASSERT_TRUE(ports.send_rtp(kPunch, "127.0.0.1", bound_.rtp_ports.rtp));
  EXPECT_TRUE(wait_until([&] { return viewer_stats("13900000001").latched; }, 2s));
  UdpMediaReceiver late;
  ASSERT_TRUE(late.send_rtp(kPunch, "127.0.0.1", bound_.rtp_ports.rtp));
  EXPECT_TRUE(wait_until([&] { return counters().unknown_udp_datagrams == before + 3; }, 2s));
  EXPECT_EQ(viewer_stats("13900000001").rtp_destination, endpoint(ports));
  play(viewer, url);
  EXPECT_TRUE(media_arrives_at(ports));
  EXPECT_TRUE(silent(late));
}

// Two unlatched viewers behind one NAT (same address): a datagram that could be either's is not
// latched; a receiver report whose sender SSRC one of them announced in SETUP is.
TEST_F(LatchingTest, TwoViewersBehindOneNatAreToldApartByTheirAnnouncedSsrc) {
  const std::string first_url = admit("13900000001");
  const std::string second_url = admit("13900000002");
  UdpMediaReceiver first_private, first_nat, second_private, second_nat;
  ASSERT_TRUE(first_private.ok() && first_nat.ok() && second_private.ok() && second_nat.ok());
  RtspTestClient first, second;
  setup(first, first_url, first_private, 0xAAAA0001);
  setup(second, second_url, second_private);

  ASSERT_TRUE(second_nat.send_rtp(kPunch, "127.0.0.1", bound_.rtp_ports.rtp));
  EXPECT_TRUE(wait_until([&] { return counters().udp_latch_ambiguous >= 1; }, 2s));
  EXPECT_EQ(viewer_stats("13900000001").rtp_destination, endpoint(first_private));
  EXPECT_EQ(viewer_stats("13900000002").rtp_destination, endpoint(second_private));

  ASSERT_TRUE(first_nat.send_rtcp(receiver_report(0xAAAA0001), "127.0.0.1", bound_.rtp_ports.rtcp));
  // Its RTP port mapped next to its RTCP port: the adjacent-port rule picks the right viewer.
  ASSERT_TRUE(wait_until([&] { return counters().udp_destinations_latched == 1; }, 2s));
  ASSERT_TRUE(first_nat.send_rtp(kPunch, "127.0.0.1", bound_.rtp_ports.rtp));
  EXPECT_TRUE(wait_until([&] { return viewer_stats("13900000001").latched; }, 2s));
  EXPECT_EQ(viewer_stats("13900000001").rtp_destination, endpoint(first_nat));
  // Now the second one is the only one left unlatched on that address.
  ASSERT_TRUE(second_nat.send_rtp(kPunch, "127.0.0.1", bound_.rtp_ports.rtp));
  EXPECT_TRUE(wait_until(
      [&] { return viewer_stats("13900000002").rtp_destination == endpoint(second_nat); }, 2s));
  play(first, first_url);
  play(second, second_url);
  EXPECT_TRUE(media_arrives_at(first_nat));
  EXPECT_TRUE(media_arrives_at(second_nat));
}

}  // namespace
}  // namespace callcast::media::streaming_server_latching_test

namespace callcast::media::streaming_server_latching_test {
namespace {

// Issue 12: an AVP SETUP (ffmpeg) and an AVPF one (rtspsrc) of the same AVPF offer both play; a
// NACK from each, on the server's RTCP port, brings the original packet to the first and an
// RFC 4588 RTX packet to the second, on their RTP ports.
TEST_F(LatchingTest, AvpAndAvpfViewersBothPlayAndGetTheirKindOfRepair) {
  const std::string avp_url = admit("13900000001");
  const std::string avpf_url = admit("13900000002");
  UdpMediaReceiver avp_ports;
  UdpMediaReceiver avpf_ports;
  ASSERT_TRUE(avp_ports.ok() && avpf_ports.ok());
  RtspTestClient avp;
  RtspTestClient avpf;
  setup(avp, avp_url, avp_ports, {}, "RTP/AVP");
  setup(avpf, avpf_url, avpf_ports, {}, "RTP/AVPF");
  for (auto* ports : {&avp_ports, &avpf_ports}) {
    ASSERT_TRUE(ports->send_rtp(kPunch, "127.0.0.1", bound_.rtp_ports.rtp));
    ASSERT_TRUE(ports->send_rtcp(receiver_report(0x1234), "127.0.0.1", bound_.rtp_ports.rtcp));
  }
  play(avp, avp_url);
  play(avpf, avpf_url);
  ASSERT_TRUE(media_arrives_at(avp_ports));
  ASSERT_TRUE(media_arrives_at(avpf_ports));
  ASSERT_TRUE(silent(avp_ports, 100ms));
  ASSERT_TRUE(silent(avpf_ports, 100ms));

  // The next slice: both get it; each says it lost it.
  publish_slice();
  const auto avp_slice = avp_ports.receive_rtp(1s);
  const auto avpf_slice = avpf_ports.receive_rtp(1s);
  ASSERT_TRUE(avp_slice && avpf_slice);
  const auto slice = rtp::RtpPacketView::parse(*avp_slice);
  ASSERT_TRUE(slice);
  const auto nack = [&](std::uint32_t sender) {
    Buffer out(64);
    const std::uint16_t lost[] = {slice->sequence_number()};
    out.resize(rtp::write_generic_nack(out, sender, slice->ssrc(), lost));
    return out;
  };
  ASSERT_TRUE(avp_ports.send_rtcp(nack(0x1234), "127.0.0.1", bound_.rtp_ports.rtcp));
  const auto original = avp_ports.receive_rtp(1s);
  ASSERT_TRUE(original);
  EXPECT_EQ(*original, *avp_slice);

  ASSERT_TRUE(avpf_ports.send_rtcp(nack(0x5678), "127.0.0.1", bound_.rtp_ports.rtcp));
  const auto rtx = avpf_ports.receive_rtp(1s);
  ASSERT_TRUE(rtx);
  const auto view = rtp::RtpPacketView::parse(*rtx);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->payload_type(), 97);  // the first dynamic type the master left free
  EXPECT_NE(view->ssrc(), slice->ssrc());
  ASSERT_GE(view->payload().size(), 2U);
  EXPECT_EQ((view->payload()[0] << 8) | view->payload()[1], slice->sequence_number());
  EXPECT_EQ(viewer_stats("13900000001").repair.packets_repaired, 1U);
  EXPECT_EQ(viewer_stats("13900000002").repair.packets_repaired, 1U);
  EXPECT_TRUE(silent(avp_ports, 100ms)) << "one repair each, nothing else";
}

}  // namespace
}  // namespace callcast::media::streaming_server_latching_test
