// Issue 15: an edge pulling a group from its origin, on real sockets over loopback. Two streaming
// servers run in-process on one loop (the origin and the edge); a publisher records into the
// origin, the edge pulls the group as the origin's viewer "edge-n2", and viewers play from the
// edge. A scripted origin (a plain TCP listener) feeds the edge bad input.
#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <future>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "io/asio_timer_factory.hpp"
#include "media/streaming_server.hpp"
#include "rtp/picture_loss_indication.hpp"
#include "rtp/rtcp.hpp"
#include "support/rtsp_test_client.hpp"
#include "support/udp_media_receiver.hpp"
#include "support/wait_until.hpp"
#include "unit/media/h264_rtp_packets.hpp"

namespace callcast::media::edge_pull_test {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;
using callcast::test::RtspTestClient;
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
const std::string kEdgeViewer = "edge-n2";

const std::string kVideoSdp =
    "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=edge\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1\r\n"
    "a=control:streamid=0\r\n";

core::MediaConfig edge_test_config() {
  core::MediaConfig config;
  config.rtsp = {"127.0.0.1", 0};
  config.rtp_ports = {0, 0};
  config.workers = 1;
  config.edge_linger = std::chrono::seconds(1);
  config.publisher_stall = std::chrono::seconds(1);
  config.keyframe_request_interval = std::chrono::milliseconds(100);
  return config;
}

// A scripted origin: accepts one connection, answers each request with the next canned reply
// (CSeq filled in), then holds the connection until the test ends.
class ScriptedOrigin {
 public:
  explicit ScriptedOrigin(std::vector<std::string> replies)
      : acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}),
        replies_(std::move(replies)) {
    thread_ = std::thread([this] { serve(); });
  }
  ~ScriptedOrigin() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    {
      std::lock_guard lock(mutex_);
      if (socket_) socket_->close(ignored);
    }
    thread_.join();
  }
  std::string url() const {
    return "rtsp://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/groups/" +
           kMaster + "?token=t";
  }

 private:
  void serve() {
    boost::system::error_code ec;
    boost::asio::ip::tcp::socket socket(io_);
    acceptor_.accept(socket, ec);
    if (ec) return;
    {
      std::lock_guard lock(mutex_);
      socket_ = &socket;
    }
    boost::asio::streambuf in;
    for (std::size_t i = 0; i < replies_.size(); ++i) {
      const std::size_t n = boost::asio::read_until(socket, in, "\r\n\r\n", ec);
      if (ec) break;
      std::string request(boost::asio::buffers_begin(in.data()),
                          boost::asio::buffers_begin(in.data()) + static_cast<std::ptrdiff_t>(n));
      in.consume(n);
      const auto at = request.find("CSeq: ");
      const std::string cseq = request.substr(at + 6, request.find("\r\n", at) - at - 6);
      std::string reply = replies_[i];
      if (auto mark = reply.find("{cseq}"); mark != std::string::npos) reply.replace(mark, 6, cseq);
      boost::asio::write(socket, boost::asio::buffer(reply), ec);
      if (ec) break;
    }
    char byte = 0;
    socket.read_some(boost::asio::buffer(&byte, 1), ec);  // until the edge or the test closes
    std::lock_guard lock(mutex_);
    socket_ = nullptr;
  }

  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::vector<std::string> replies_;
  std::mutex mutex_;
  boost::asio::ip::tcp::socket* socket_ = nullptr;
  std::thread thread_;
};

std::string describe_reply(const std::string& sdp) {
  return "RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\nContent-Type: application/sdp\r\nContent-Length: " +
         std::to_string(sdp.size()) + "\r\n\r\n" + sdp;
}

class EdgeRelayTest : public ::testing::Test {
 protected:
  EdgeRelayTest()
      : origin_(io_, edge_test_config(), "one-cluster-secret", core::RealTimeSource::instance(),
                timers_),
        edge_(io_, edge_test_config(), "one-cluster-secret", core::RealTimeSource::instance(),
              timers_) {}

  template <class F>
  auto on_loop(F f) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto result = task.get_future();
    boost::asio::post(io_, [&task] { task(); });
    return result.get();
  }

  void SetUp() override {
    auto origin_bound = origin_.start();
    ASSERT_TRUE(origin_bound) << origin_bound.error();
    origin_port_ = origin_bound->rtsp.port;
    auto edge_bound = edge_.start();
    ASSERT_TRUE(edge_bound) << edge_bound.error();
    edge_port_ = edge_bound->rtsp.port;
    edge_.add_listener([this](const core::GroupEvent& event) {
      std::lock_guard lock(events_mutex_);
      edge_events_.push_back(event);
    });
    loop_ = std::thread([this] { io_.run(); });
  }

  void TearDown() override {
    on_loop([this] {
      edge_.stop();
      origin_.stop();
      return true;
    });
    work_.reset();
    io_.stop();
    loop_.join();
  }

  void publish() {
    auto created = on_loop([this] { return origin_.create_group(kMaster); });
    ASSERT_TRUE(created);
    const std::string url = created->publish_url;
    ASSERT_TRUE(publisher_.connect("127.0.0.1", origin_port_)) << publisher_.error();
    ASSERT_EQ(publisher_.announce(url, kVideoSdp)->status, 200);
    ASSERT_EQ(publisher_.setup_tcp(url + "/streamid=0", 0, true)->status, 200);
    ASSERT_EQ(publisher_.record(url)->status, 200);
    publish_keyframe();
  }
  void send_video(const Buffer& payload, bool marker) {
    ASSERT_TRUE(publisher_.send_interleaved(0, rtp_packet(seq_++, ts_, payload, 96, marker)));
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

  Result<control::EdgeOpened, control::ControlError> open_edge(const std::string& origin_url) {
    return on_loop([&] {
      return edge_.open_edge(control::EdgeRequest{kMaster, kMaster, origin_url});
    });
  }
  // What the cluster does: admit the edge at the origin, open the edge with its play URL.
  Result<control::EdgeOpened, control::ControlError> open_edge_from_origin() {
    auto admitted = on_loop([this] { return origin_.admit_viewer(kMaster, kEdgeViewer); });
    EXPECT_TRUE(admitted);
    return open_edge(admitted ? admitted->play_url : "");
  }

  std::optional<control::GroupSnapshot> edge_group() {
    auto snapshot = on_loop([this] { return edge_.snapshot(kMaster); });
    if (!snapshot) return std::nullopt;
    return *snapshot;
  }
  std::string edge_group_state() {
    auto group = edge_group();
    return group ? group->state : "gone";
  }
  bool edge_viewer_at_origin_playing() {
    auto snapshot = on_loop([this] { return origin_.snapshot(kMaster); });
    if (!snapshot) return false;
    for (const auto& v : snapshot->viewers) {
      if (v.viewer == kEdgeViewer) return v.state == "playing";
    }
    return false;
  }
  std::string edge_close_reason() {
    std::lock_guard lock(events_mutex_);
    for (const auto& event : edge_events_) {
      if (event.kind == core::GroupEventKind::group_closed) return event.reason;
    }
    return "";
  }
  // Publishes slices (the pull needs media to go live) until `done` holds (bounded).
  template <class Condition>
  bool publish_until(Condition done) {
    for (int i = 0; i < 60; ++i) {
      if (done()) return true;
      publish_slice();
      std::this_thread::sleep_for(50ms);
    }
    return done();
  }

  // An edge viewer over TCP: admitted at the edge, DESCRIBE, SETUP interleaved, PLAY.
  void play_at_edge(RtspTestClient& viewer, const std::string& number) {
    auto admitted = on_loop([&] { return edge_.admit_viewer(kMaster, number); });
    ASSERT_TRUE(admitted);
    const std::string url = admitted->play_url;
    EXPECT_NE(url.find(":" + std::to_string(edge_port_) + "/"), std::string::npos) << url;
    ASSERT_TRUE(viewer.connect("127.0.0.1", edge_port_)) << viewer.error();
    ASSERT_EQ(viewer.describe(url)->status, 200);
    ASSERT_EQ(viewer.setup_tcp(url + "/trackID=0", 0, false)->status, 200);
    ASSERT_EQ(viewer.play(url)->status, 200);
  }

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
      io_.get_executor()};
  io::AsioTimerFactory timers_{io_};
  StreamingServer origin_;
  StreamingServer edge_;
  std::uint16_t origin_port_ = 0;
  std::uint16_t edge_port_ = 0;
  std::thread loop_;
  RtspTestClient publisher_;
  std::uint16_t seq_ = 1000;
  std::uint32_t ts_ = 90000;
  std::mutex events_mutex_;
  std::vector<core::GroupEvent> edge_events_;
};

TEST_F(EdgeRelayTest, PullsOnceAndRelaysToItsOwnViewers) {
  publish();
  auto opened = open_edge_from_origin();
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_TRUE(opened->created);
  // Idempotent: the same group again is found open.
  auto again = open_edge_from_origin();
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->created);

  ASSERT_TRUE(publish_until([this] { return edge_group_state() == "live"; })) << edge_group_state();
  EXPECT_TRUE(edge_viewer_at_origin_playing());
  const auto group = edge_group();
  ASSERT_TRUE(group);
  // The origin's URL without the token that admits the edge there.
  EXPECT_EQ(group->origin_url,
            "rtsp://127.0.0.1:" + std::to_string(origin_port_) + "/groups/" + kMaster);
  EXPECT_TRUE(on_loop([this] { return origin_.snapshot(kMaster); })->origin_url.empty());

  RtspTestClient first;
  RtspTestClient second;
  play_at_edge(first, "13900000001");
  play_at_edge(second, "13900000002");
  for (RtspTestClient* viewer : {&first, &second}) {
    // The GOP cache first: the keyframe's SPS/PPS (STAP-A, NAL type 24) leads.
    auto packet = viewer->read_interleaved(0, 3s);
    ASSERT_TRUE(packet);
    ASSERT_GT(packet->payload.size(), 12U);
    EXPECT_EQ(packet->payload[12] & 0x1f, 24);
  }
  publish_slice();
  EXPECT_TRUE(first.read_interleaved(0, 3s));
  // Still one pull at the origin, whatever the edge's audience.
  auto origin_group = on_loop([this] { return origin_.snapshot(kMaster); });
  ASSERT_TRUE(origin_group);
  EXPECT_EQ(origin_group->viewers.size(), 1U);
  EXPECT_EQ(on_loop([this] { return edge_.edges().pulling(); }), 1U);
  EXPECT_GT(on_loop([this] { return edge_.edges().bytes_pulled(); }), 0U);
}

// An edge's UDP viewer is served by the fan-out's batches: each pulled packet must be handed
// over at once, not when a batch fills (256 packets, about 0.9 s of a 2 Mbit/s stream: the edge
// hop then added 0.5-1 s, callcast-bench media --edge).
TEST_F(EdgeRelayTest, AnEdgesUdpViewerGetsEachPulledPacketAtOnce) {
  publish();
  ASSERT_TRUE(open_edge_from_origin());
  ASSERT_TRUE(publish_until([this] { return edge_group_state() == "live"; })) << edge_group_state();
  callcast::test::UdpMediaReceiver media;
  ASSERT_TRUE(media.ok()) << media.error();
  auto admitted = on_loop([&] { return edge_.admit_viewer(kMaster, "13900000001"); });
  ASSERT_TRUE(admitted);
  const std::string url = admitted->play_url;
  RtspTestClient viewer;
  ASSERT_TRUE(viewer.connect("127.0.0.1", edge_port_)) << viewer.error();
  ASSERT_EQ(viewer.describe(url)->status, 200);
  ASSERT_EQ(viewer.setup_udp(url + "/trackID=0", media.rtp_port())->status, 200);
  ASSERT_EQ(viewer.play(url)->status, 200);
  // The GOP cache first (paced, by the loop itself); once caught up the viewer moves to the
  // fan-out.
  std::size_t cached = 0;
  while (media.receive_rtp(300ms))
    ++cached;
  EXPECT_GT(cached, 0U);
  for (int i = 0; i < 3; ++i) {
    publish_slice();
    EXPECT_TRUE(media.receive_rtp(500ms)) << "slice " << i << " published at the origin";
  }
}

TEST_F(EdgeRelayTest, AnEdgeViewersKeyframeRequestReachesTheOriginsPublisher) {
  publish();
  ASSERT_TRUE(open_edge_from_origin());
  ASSERT_TRUE(publish_until([this] { return edge_group_state() == "live"; }));
  RtspTestClient viewer;
  play_at_edge(viewer, "13900000001");
  auto first = viewer.read_interleaved(0, 3s);
  ASSERT_TRUE(first);
  const std::uint32_t media_ssrc = rtp::read_u32(first->payload.data() + 8);
  Buffer pli(32);
  pli.resize(rtp::write_picture_loss_indication(rtp::MutableBytes(pli), 0x5150, media_ssrc));
  publisher_.interleaved().clear();
  bool reached = false;
  // The keyframe request gates merge requests for a while: ask until one gets through.
  for (int i = 0; i < 20 && !reached; ++i) {
    ASSERT_TRUE(viewer.send_interleaved(1, pli));
    while (auto rtcp = publisher_.read_interleaved(1, 200ms)) {
      auto view = rtp::RtcpCompoundView::parse(rtcp->payload);
      if (!view) continue;
      for (const auto& packet : *view) {
        if (rtp::parse_picture_loss_indication(packet)) reached = true;
      }
      if (reached) break;
    }
  }
  EXPECT_TRUE(reached) << "no PLI reached the origin's publisher";
}

TEST_F(EdgeRelayTest, TheLastViewerLeavingDropsThePullAfterTheLinger) {
  publish();
  ASSERT_TRUE(open_edge_from_origin());
  ASSERT_TRUE(publish_until([this] { return edge_group_state() == "live"; }));
  {
    RtspTestClient viewer;
    play_at_edge(viewer, "13900000001");
    ASSERT_TRUE(viewer.read_interleaved(0, 3s));
    viewer.disconnect();
  }
  // Within the linger (1 s) the pull stays; after it, the group closes here (edge_closed) and
  // the origin's viewer "edge-n2" stops playing.
  EXPECT_TRUE(edge_viewer_at_origin_playing());
  EXPECT_TRUE(publish_until([this] { return edge_group_state() == "gone"; }));
  EXPECT_EQ(edge_close_reason(), "edge_closed");
  EXPECT_TRUE(wait_until([this] { return !edge_viewer_at_origin_playing(); }, 3s));
  EXPECT_EQ(on_loop([this] { return edge_.edges().pulling(); }), 0U);
}

TEST_F(EdgeRelayTest, TheOriginsGroupEndingEndsTheEdgeGroupAsOriginLost) {
  publish();
  ASSERT_TRUE(open_edge_from_origin());
  ASSERT_TRUE(publish_until([this] { return edge_group_state() == "live"; }));
  RtspTestClient viewer;
  play_at_edge(viewer, "13900000001");
  ASSERT_TRUE(viewer.read_interleaved(0, 3s));
  ASSERT_TRUE(on_loop([this] { return origin_.close_group(kMaster, "deleted"); }));
  // At once, on the origin's RTCP BYE to its viewer "edge-n2": well before the stall time (1 s).
  EXPECT_TRUE(wait_until([this] { return edge_group_state() == "gone"; }, 500ms, 20ms));
  EXPECT_EQ(edge_close_reason(), "origin_lost");
  // Its viewers end as when a master ends: an RTCP BYE (packet type 203) on their channel.
  bool bye = false;
  while (auto rtcp = viewer.read_interleaved(1, 2s)) {
    auto view = rtp::RtcpCompoundView::parse(rtcp->payload);
    if (!view) continue;
    for (const auto& packet : *view) {
      if (packet.type() == 203) bye = true;
    }
    if (bye) break;
  }
  EXPECT_TRUE(bye) << "the edge viewer got no RTCP BYE";
}

TEST_F(EdgeRelayTest, AnOriginThatStopsSendingIsLostAfterTheStallTime) {
  publish();
  ASSERT_TRUE(open_edge_from_origin());
  ASSERT_TRUE(publish_until([this] { return edge_group_state() == "live"; }));
  RtspTestClient viewer;
  play_at_edge(viewer, "13900000001");
  // No more media from the publisher: within the stall time (1 s) and a sweep, origin_lost.
  EXPECT_TRUE(wait_until([this] { return edge_group_state() == "gone"; }, 4s));
  EXPECT_EQ(edge_close_reason(), "origin_lost");
}

TEST_F(EdgeRelayTest, RefusesWhatItCannotPull) {
  auto not_rtsp = open_edge("http://127.0.0.1:1/x");
  ASSERT_FALSE(not_rtsp);
  EXPECT_EQ(not_rtsp.error().code, control::ControlErrorCode::bad_request);
  auto named = open_edge("rtsp://origin.example:8554/groups/" + kMaster);
  ASSERT_FALSE(named);
  EXPECT_EQ(named.error().code, control::ControlErrorCode::bad_request);
  auto other_master = on_loop([] {
    return control::EdgeRequest{kMaster, "13800000002", "rtsp://127.0.0.1:1/g"};
  });
  auto mismatched = on_loop([&] { return edge_.open_edge(other_master); });
  EXPECT_FALSE(mismatched);
  // A group this node holds itself is not relayed onto itself.
  ASSERT_TRUE(on_loop([this] { return edge_.create_group(kMaster); }));
  auto own = open_edge("rtsp://127.0.0.1:1/groups/" + kMaster);
  ASSERT_FALSE(own);
  EXPECT_EQ(own.error().code, control::ControlErrorCode::conflict);
}

TEST_F(EdgeRelayTest, AnUnreachableOriginEndsOnlyThatEdgeGroup) {
  // Nothing listens there (the port of a listener just closed).
  std::uint16_t port = 0;
  {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor probe(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    port = probe.local_endpoint().port();
  }
  auto other = on_loop([this] { return edge_.create_group("13800000009"); });
  ASSERT_TRUE(other);
  ASSERT_TRUE(open_edge("rtsp://127.0.0.1:" + std::to_string(port) + "/groups/" + kMaster));
  EXPECT_TRUE(wait_until([this] { return edge_group_state() == "gone"; }, 3s));
  EXPECT_EQ(edge_close_reason(), "origin_lost");
  EXPECT_TRUE(on_loop([this] { return edge_.snapshot("13800000009"); }));
}

struct BadOrigin {
  const char* name;
  std::vector<std::string> replies;
};
// The case's name in test listings (gtest would print the struct's bytes).
void PrintTo(const BadOrigin& origin, std::ostream* out) {
  *out << origin.name;
}

class EdgeRelayBadOriginTest : public EdgeRelayTest,
                               public ::testing::WithParamInterface<BadOrigin> {};

TEST_P(EdgeRelayBadOriginTest, BadInputFromTheOriginEndsTheEdgeGroupWithAClearError) {
  ScriptedOrigin origin(GetParam().replies);
  ASSERT_TRUE(open_edge(origin.url()));
  EXPECT_TRUE(wait_until([this] { return edge_group_state() == "gone"; }, 4s));
  EXPECT_EQ(edge_close_reason(), "origin_lost");
  EXPECT_EQ(on_loop([this] { return edge_.edges().origins_lost(); }), 1U);
}

const std::string kOkSetup =
    "RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\nSession: 42;timeout=60\r\n"
    "Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n";

INSTANTIATE_TEST_SUITE_P(
    Origins, EdgeRelayBadOriginTest,
    ::testing::Values(BadOrigin{"MalformedResponse", {"HTTP/1.1 200 OK\r\nCSeq: {cseq}\r\n\r\n"}},
                      BadOrigin{"Refused", {"RTSP/1.0 404 Not Found\r\nCSeq: {cseq}\r\n\r\n"}},
                      BadOrigin{"BadSdp", {describe_reply("v=0\r\nm=video\r\n")}},
                      BadOrigin{
                          "UnrelayableCodec",
                          {describe_reply("v=0\r\no=- 0 0 IN IP4 0.0.0.0\r\ns=x\r\nt=0 0\r\n"
                                          "m=text 0 RTP/AVP 98\r\na=rtpmap:98 t140/1000\r\n")}},
                      BadOrigin{"OtherChannels",
                                {describe_reply(kVideoSdp),
                                 "RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\nSession: 42\r\n"
                                 "Transport: RTP/AVP/TCP;unicast;interleaved=6-7\r\n\r\n"}},
                      BadOrigin{"FrameOnAChannelNeverSetUp",
                                {describe_reply(kVideoSdp), kOkSetup,
                                 "RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\nSession: 42\r\n\r\n"
                                 "$\x09\x00\x04"
                                 "abcd"s}},
                      BadOrigin{"SilentAfterPlay",
                                {describe_reply(kVideoSdp), kOkSetup,
                                 "RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\nSession: 42\r\n\r\n"}}),
    [](const ::testing::TestParamInfo<BadOrigin>& param) { return std::string(param.param.name); });

}  // namespace
}  // namespace callcast::media::edge_pull_test
