// HttpMediaControl, the network side's client of a media role in another process, against a
// real media side (StreamingServer + MediaService + admin API) on 127.0.0.1. The client runs on
// its own io thread, as it would in the signaling process.
#include "http/http_media_control.hpp"

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "io_thread.hpp"
#include "media_stack.hpp"
#include "support/rtsp_test_client.hpp"
#include "support/wait_until.hpp"

namespace callcast::http {
namespace {

using namespace std::chrono_literals;
using control::ControlError;
using control::ControlErrorCode;
using test::IoThread;
using test::MediaStack;

// What the client's listener and resync hook saw, read from the test thread.
class EventRecorder {
 public:
  void on_event(const core::GroupEvent& event) {
    const std::lock_guard lock(mutex_);
    events_.push_back(std::string(core::to_string(event.kind)) + " " + event.group);
  }
  void on_resync() {
    const std::lock_guard lock(mutex_);
    ++resyncs_;
  }
  std::vector<std::string> events() const {
    const std::lock_guard lock(mutex_);
    return events_;
  }
  bool saw(const std::string& event) const {
    const auto all = events();
    return std::find(all.begin(), all.end(), event) != all.end();
  }
  int resyncs() const {
    const std::lock_guard lock(mutex_);
    return resyncs_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> events_;
  int resyncs_ = 0;
};

class HttpMediaControlTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (client_) client_io_.run_sync([this] { client_->stop(); });
    client_io_.join();
    client_.reset();
    stack_.reset();
  }

  void start_media(MediaStack::Options options = {}) {
    stack_ = std::make_unique<MediaStack>(options);
  }

  // The client, for `url` (default: the media stack's).
  HttpMediaControl& connect(std::string url = {}, std::string api_key = {},
                            HttpMediaControl::Options options = {}) {
    if (url.empty()) url = stack_->base_url();
    auto created = HttpMediaControl::create(client_io_.io(), url, std::move(api_key), options);
    EXPECT_TRUE(created.ok()) << (created.ok() ? "" : created.error());
    client_ = std::move(created).value();
    client_io_.start();
    return *client_;
  }

  // Subscribes the recorder, and waits until the feed's first page has come back (its resync),
  // so that what happens next is seen.
  void subscribe_and_wait_for_feed() {
    client_->set_resync_handler([this](control::ResyncCause) { recorder_.on_resync(); });
    client_->subscribe([this](const core::GroupEvent& event) { recorder_.on_event(event); });
    ASSERT_TRUE(callcast::test::wait_until([&] { return recorder_.resyncs() >= 1; }, 5s, 5ms));
    ASSERT_TRUE(
        callcast::test::wait_until([&] { return stack_->waiting_readers() == 1; }, 5s, 5ms));
  }

  // Runs one call of the client and waits (bounded) for its callback.
  template <class T, class Start>
  Result<T, ControlError> await(Start start) {
    auto promise = std::make_shared<std::promise<Result<T, ControlError>>>();
    auto future = promise->get_future();
    start([promise](Result<T, ControlError> result) { promise->set_value(std::move(result)); });
    if (future.wait_for(10s) != std::future_status::ready) {
      ADD_FAILURE() << "no callback within 10 s";
      return fail(ControlError{ControlErrorCode::unavailable, "test: no callback"});
    }
    return future.get();
  }

  Result<control::GroupCreated, ControlError> create_group(const std::string& master) {
    return await<control::GroupCreated>(
        [&](auto done) { client_->create_group(master, std::move(done)); });
  }
  Result<control::ViewerAdmitted, ControlError> admit_viewer(const std::string& group,
                                                             const std::string& viewer) {
    return await<control::ViewerAdmitted>(
        [&](auto done) { client_->admit_viewer(group, viewer, std::move(done)); });
  }
  Result<control::PhoneViewerStarted, ControlError> start_phone_viewer(
      control::PhoneViewerRequest request) {
    return await<control::PhoneViewerStarted>(
        [&](auto done) { client_->start_phone_viewer(std::move(request), std::move(done)); });
  }
  Result<control::PhonePublisherStarted, ControlError> start_phone_publisher(
      control::PhonePublisherRequest request) {
    return await<control::PhonePublisherStarted>(
        [&](auto done) { client_->start_phone_publisher(std::move(request), std::move(done)); });
  }
  Result<bool, ControlError> remove_viewer(const std::string& group, const std::string& viewer) {
    return await<bool>([&](auto done) { client_->remove_viewer(group, viewer, std::move(done)); });
  }
  Result<bool, ControlError> close_group(const std::string& group) {
    return await<bool>([&](auto done) { client_->close_group(group, std::move(done)); });
  }
  Result<std::vector<control::GroupSnapshot>, ControlError> list_groups() {
    return await<std::vector<control::GroupSnapshot>>(
        [&](auto done) { client_->list_groups(std::move(done)); });
  }
  Result<control::GroupSnapshot, ControlError> get_group(const std::string& group) {
    return await<control::GroupSnapshot>(
        [&](auto done) { client_->get_group(group, std::move(done)); });
  }
  Result<control::EdgeOpened, ControlError> open_edge(control::EdgeRequest request) {
    return await<control::EdgeOpened>(
        [&](auto done) { client_->open_edge(std::move(request), std::move(done)); });
  }

  template <class T>
  static void expect_error(const Result<T, ControlError>& result, ControlErrorCode code) {
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, code) << result.error().message;
    EXPECT_FALSE(result.error().message.empty());
  }

  std::unique_ptr<MediaStack> stack_;
  IoThread client_io_;
  std::unique_ptr<HttpMediaControl> client_;
  EventRecorder recorder_;
};

TEST(HttpMediaControlUrl, AcceptsHttpHostPort) {
  const auto plain = HttpMediaControl::parse_url("http://127.0.0.1:8080");
  ASSERT_TRUE(plain.ok()) << plain.error();
  EXPECT_EQ(plain->host, "127.0.0.1");
  EXPECT_EQ(plain->port, 8080);
  EXPECT_EQ(plain->base_url, "http://127.0.0.1:8080");
  EXPECT_TRUE(HttpMediaControl::parse_url("http://127.0.0.1:8080/").ok());
  EXPECT_TRUE(HttpMediaControl::parse_url("HTTP://localhost:1").ok());
  const auto v6 = HttpMediaControl::parse_url("http://[::1]:65535/");
  ASSERT_TRUE(v6.ok()) << v6.error();
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->base_url, "http://[::1]:65535");
}

TEST(HttpMediaControlUrl, RejectsAnythingElseWithAReason) {
  for (const char* url :
       {"", "127.0.0.1:8080", "https://127.0.0.1:8080", "rtsp://127.0.0.1:8080", "http://",
        "http://127.0.0.1", "http://127.0.0.1:0", "http://127.0.0.1:65536", "http://127.0.0.1:x",
        "http://user@127.0.0.1:8080", "http://127.0.0.1:8080/v1", "http://127.0.0.1:8080//",
        "http://127.0.0.1:8080?a=1", "http://127.0.0.1:8080#top", "http://:8080",
        "http://[::1:8080"}) {
    const auto parsed = HttpMediaControl::parse_url(url);
    EXPECT_FALSE(parsed.ok()) << url;
    if (!parsed.ok()) {
      EXPECT_NE(parsed.error().find(url), std::string::npos) << parsed.error();
    }
  }
}

TEST(HttpMediaControlUrl, CreateRefusesABadUrl) {
  boost::asio::io_context io;
  const auto created = HttpMediaControl::create(io, "https://media:8080", "");
  ASSERT_FALSE(created.ok());
  EXPECT_NE(created.error().find("http://"), std::string::npos) << created.error();
}

TEST_F(HttpMediaControlTest, GroupLifecycleRoundTrip) {
  start_media();
  connect();
  const auto created = create_group("13800000001");
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_EQ(created->group, "13800000001");
  EXPECT_EQ(created->publish_url.rfind("rtsp://127.0.0.1:", 0), 0U) << created->publish_url;

  const auto admitted = admit_viewer("13800000001", "13900000002");
  ASSERT_TRUE(admitted.ok()) << admitted.error().message;
  EXPECT_EQ(admitted->group, "13800000001");
  EXPECT_EQ(admitted->viewer, "13900000002");
  EXPECT_NE(admitted->play_url.find("/groups/13800000001"), std::string::npos);
  EXPECT_NE(admitted->play_url, created->publish_url);

  const auto group = get_group("13800000001");
  ASSERT_TRUE(group.ok()) << group.error().message;
  EXPECT_EQ(group->master, "13800000001");
  EXPECT_EQ(group->state, "waiting_for_master");
  ASSERT_EQ(group->viewers.size(), 1U);
  EXPECT_EQ(group->viewers[0].viewer, "13900000002");

  const auto listed = list_groups();
  ASSERT_TRUE(listed.ok()) << listed.error().message;
  ASSERT_EQ(listed->size(), 1U);
  EXPECT_EQ(listed->front().group, "13800000001");

  const auto removed = remove_viewer("13800000001", "13900000002");
  ASSERT_TRUE(removed.ok()) << removed.error().message;
  EXPECT_TRUE(get_group("13800000001")->viewers.empty());

  const auto closed = close_group("13800000001");
  ASSERT_TRUE(closed.ok()) << closed.error().message;
  EXPECT_TRUE(list_groups()->empty());
}

TEST_F(HttpMediaControlTest, ErrorsKeepTheirControlCode) {
  start_media();
  connect();
  ASSERT_TRUE(create_group("13800000001").ok());
  expect_error(create_group("13800000001"), ControlErrorCode::conflict);
  expect_error(get_group("404404"), ControlErrorCode::not_found);
  expect_error(close_group("404404"), ControlErrorCode::not_found);
  expect_error(admit_viewer("404404", "13900000002"), ControlErrorCode::not_found);
  expect_error(create_group("not a number"), ControlErrorCode::bad_request);
  // A group id that is not one path segment stays one: %2F, not a new path.
  expect_error(get_group("a/b"), ControlErrorCode::not_found);
  const auto message = get_group("404404");
  EXPECT_NE(message.error().message.find("404404"), std::string::npos) << message.error().message;
}

// Issue 15: POST /v1/edges through the client: opened (201), found open (200), the media side's
// refusals with their codes, and the snapshot telling the edge's copy by its origin_url.
TEST_F(HttpMediaControlTest, OpenEdgeReachesTheMediaSideAndIsIdempotent) {
  start_media();
  connect();
  // An origin that accepts and never answers: the pull waits in its DESCRIBE meanwhile.
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor silent(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const std::string origin =
      "rtsp://127.0.0.1:" + std::to_string(silent.local_endpoint().port()) + "/groups/13800000001";
  const control::EdgeRequest request{"13800000001", "13800000001", origin + "?token=secret"};
  const auto opened = open_edge(request);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ(opened->group, "13800000001");
  EXPECT_TRUE(opened->created);
  const auto again = open_edge(request);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_FALSE(again->created);
  const auto group = get_group("13800000001");
  ASSERT_TRUE(group.ok()) << group.error().message;
  EXPECT_EQ(group->origin_url, origin);  // without its token
  EXPECT_EQ(group->state, "waiting_for_master");

  expect_error(open_edge({"13800000002", "13800000002", "http://127.0.0.1/x"}),
               ControlErrorCode::bad_request);
  ASSERT_TRUE(create_group("13800000003").ok());
  expect_error(open_edge({"13800000003", "13800000003", origin}), ControlErrorCode::conflict);
  EXPECT_TRUE(get_group("13800000003")->origin_url.empty());
}

// Issue 13: a phone viewer's media over the admin API (POST .../phone-viewers): the media side's
// checks come back with their codes, and what it answers an admission carries the group's address.
TEST_F(HttpMediaControlTest, PhoneViewerRequestsReachTheMediaSideAndItsRefusalsKeepTheirCode) {
  start_media();
  connect();
  control::PhoneViewerRequest request;
  request.group = "13800000001";
  request.viewer = "13900000002";
  request.signaling_address = "127.0.0.1";
  request.tracks = {{"video", "127.0.0.1", 40000, 40001, 102, "", 1}};
  expect_error(start_phone_viewer(request), ControlErrorCode::not_found);  // no such group
  ASSERT_TRUE(create_group("13800000001").ok());
  const auto not_admitted = start_phone_viewer(request);
  expect_error(not_admitted, ControlErrorCode::unauthorized);
  EXPECT_NE(not_admitted.error().message.find("not admitted"), std::string::npos);
  const auto admitted = admit_viewer("13800000001", "13900000002");
  ASSERT_TRUE(admitted.ok());
  EXPECT_TRUE(admitted->tracks.empty()) << "its master is not live yet";
  EXPECT_FALSE(admitted->rtp_host.empty());
  EXPECT_NE(admitted->rtp_port, 0);
  EXPECT_EQ(admitted->rtcp_port, admitted->rtp_port + 1);
  const auto waiting = start_phone_viewer(request);
  expect_error(waiting, ControlErrorCode::not_found);
  EXPECT_NE(waiting.error().message.find("waiting for its master"), std::string::npos);
}

// Issue 13 (705 without RTSP): a phone that called the service number feeds its group with plain
// RTP to the group's RTP address. The group is live at once; the phone's packets come from other
// ports than its SDP said (a NAT), and are latched by their payload type.
TEST_F(HttpMediaControlTest,
       APhonePublisherFeedsItsGroupOverPlainRtpFromWhereverItsPacketsComeFrom) {
  start_media();
  connect();
  control::PhonePublisherRequest request;
  request.group = "13800000001";
  request.master = "13800000001";
  request.signaling_address = "127.0.0.1";
  control::PhonePublishTrack video;
  video.media = "video";
  video.encoding = "H264";
  video.clock_rate = 90000;
  video.payload_type = 102;
  video.fmtp = "packetization-mode=1;profile-level-id=42e01f";
  video.host = "127.0.0.1";
  video.rtp_port = 9;  // what its SDP said; its packets come from elsewhere
  video.rtcp_port = 10;
  video.nack = video.pli = true;
  request.tracks = {video};
  expect_error(start_phone_publisher(request), ControlErrorCode::not_found);
  const auto created = create_group("13800000001");
  ASSERT_TRUE(created.ok());
  ASSERT_NE(created->rtp_port, 0) << "a phone needs the group's RTP address";

  auto stranger = request;
  stranger.master = "13900000002";
  expect_error(start_phone_publisher(stranger), ControlErrorCode::unauthorized);
  auto injected = request;
  injected.tracks[0].fmtp = "packetization-mode=1\r\na=control:evil";
  expect_error(start_phone_publisher(injected), ControlErrorCode::bad_request);
  auto vp8 = request;
  vp8.tracks[0].encoding = "VP8";
  expect_error(start_phone_publisher(vp8), ControlErrorCode::bad_request);

  const auto started = start_phone_publisher(request);
  ASSERT_TRUE(started.ok()) << started.error().message;
  expect_error(start_phone_publisher(request), ControlErrorCode::conflict);
  auto group = get_group("13800000001");
  ASSERT_TRUE(group.ok());
  EXPECT_EQ(group->state, "live");
  ASSERT_EQ(group->tracks.size(), 1U);
  EXPECT_EQ(group->tracks[0].codec, "H264");

  // An IDR as a single NAL unit under the phone's payload type, from a port nobody announced.
  boost::asio::io_context io;
  boost::asio::ip::udp::socket phone(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const boost::asio::ip::udp::endpoint server(boost::asio::ip::make_address(created->rtp_host),
                                              created->rtp_port);
  for (std::uint16_t seq = 0; seq < 3; ++seq) {
    const std::uint8_t packet[] = {0x80, 0x80 | 102, 0,    static_cast<std::uint8_t>(seq),
                                   0,    0,          0,    1,
                                   0x11, 0x22,       0x33, 0x44,
                                   0x65, 0x88,       0x84, 0x00};
    phone.send_to(boost::asio::buffer(packet), server);
  }
  ASSERT_TRUE(callcast::test::wait_until(
      [&] {
        auto now = get_group("13800000001");
        return now.ok() && !now->tracks.empty() && now->tracks[0].packets >= 3;
      },
      5s, 20ms))
      << "the phone's RTP from an unannounced port was not taken";
}

// Issue 13 item 6: the server is the receiver of a phone's RTP, so it asks for what it lost with
// a generic NACK (RFC 4585) to where the phone's RTCP comes from, when (and only when) the phone's
// answer agreed "nack".
class PhonePublisherNackTest : public HttpMediaControlTest,
                               public ::testing::WithParamInterface<bool> {};

TEST_P(PhonePublisherNackTest, ALostPacketIsNackedOnlyWhenTheAnswerAgreedNack) {
  const bool agreed = GetParam();
  start_media();
  connect();
  const auto created = create_group("13800000001");
  ASSERT_TRUE(created.ok());
  boost::asio::io_context io;
  const auto loopback = boost::asio::ip::make_address("127.0.0.1");
  boost::asio::ip::udp::socket rtp(io, {loopback, 0});
  boost::asio::ip::udp::socket rtcp(io, {loopback, 0});
  control::PhonePublisherRequest request;
  request.group = request.master = "13800000001";
  request.signaling_address = "127.0.0.1";
  control::PhonePublishTrack video;
  video.media = "video";
  video.encoding = "H264";
  video.clock_rate = 90000;
  video.payload_type = 97;
  video.fmtp = "packetization-mode=1;profile-level-id=42e01f";
  video.host = "127.0.0.1";
  video.rtp_port = rtp.local_endpoint().port();
  video.rtcp_port = rtcp.local_endpoint().port();
  video.nack = agreed;
  video.pli = true;
  request.tracks = {video};
  ASSERT_TRUE(start_phone_publisher(request).ok());

  const boost::asio::ip::udp::endpoint server(loopback, created->rtp_port);
  // An IDR, then sequence numbers 1-2 lost, then 3-6.
  for (const std::uint8_t seq : std::initializer_list<std::uint8_t>{0, 3, 4, 5, 6}) {
    const std::uint8_t nal = seq == 0 ? std::uint8_t{0x65} : std::uint8_t{0x41};
    const std::uint8_t packet[] = {0x80, 97,   0,    seq,  0,   0,    0,    seq,
                                   0x11, 0x22, 0x33, 0x44, nal, 0x88, 0x84, 0x00};
    rtp.send_to(boost::asio::buffer(packet), server);
    std::this_thread::sleep_for(15ms);
  }
  std::uint64_t nacks = 0;
  callcast::test::wait_until(
      [&] {
        auto group = get_group("13800000001");
        nacks = group.ok() ? group->qos.publisher_nacks_sent : 0;
        return nacks > 0;
      },
      agreed ? 3s : 500ms, 20ms);
  if (!agreed) {
    EXPECT_EQ(nacks, 0U) << "no NACK to a phone that did not agree nack";
    return;
  }
  EXPECT_GT(nacks, 0U);
  // The NACK reached the phone's RTCP port: a transport-layer feedback packet (205), FMT 1.
  rtcp.non_blocking(true);
  bool nack_seen = false;
  for (int i = 0; i < 100 && !nack_seen; ++i) {
    std::uint8_t buffer[1500];
    boost::system::error_code ec;
    boost::asio::ip::udp::endpoint from;
    const std::size_t n = rtcp.receive_from(boost::asio::buffer(buffer), from, 0, ec);
    if (ec) {
      std::this_thread::sleep_for(10ms);
      continue;
    }
    for (std::size_t at = 0; at + 4 <= n;) {
      if (buffer[at + 1] == 205 && (buffer[at] & 0x1f) == 1) nack_seen = true;
      at += 4 * (static_cast<std::size_t>((buffer[at + 2] << 8) | buffer[at + 3]) + 1);
    }
  }
  EXPECT_TRUE(nack_seen) << "no generic NACK arrived at the phone's RTCP port";
}

INSTANTIATE_TEST_SUITE_P(AgreedOrNot, PhonePublisherNackTest, ::testing::Bool());

TEST_F(HttpMediaControlTest, NothingListeningIsUnavailableNamingTheUrl) {
  // A bound socket that does not listen: connections to its port are refused.
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor reserved(io);
  reserved.open(boost::asio::ip::tcp::v4());
  reserved.bind({boost::asio::ip::make_address("127.0.0.1"), 0});
  const std::string url = "http://127.0.0.1:" + std::to_string(reserved.local_endpoint().port());
  connect(url);
  const auto created = create_group("13800000001");
  expect_error(created, ControlErrorCode::unavailable);
  EXPECT_NE(created.error().message.find(url), std::string::npos) << created.error().message;
  EXPECT_EQ(client_->stats().unreachable, 1U);
}

TEST_F(HttpMediaControlTest, SilentMediaSideTimesOutUnavailable) {
  // Listens but never answers (the kernel completes the handshake from the backlog).
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor silent(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  HttpMediaControl::Options options;
  options.request_timeout = 200ms;
  connect("http://127.0.0.1:" + std::to_string(silent.local_endpoint().port()), "", options);
  const auto started = std::chrono::steady_clock::now();
  const auto listed = list_groups();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
  expect_error(listed, ControlErrorCode::unavailable);
  EXPECT_NE(listed.error().message.find("no answer within 200 ms"), std::string::npos)
      << listed.error().message;
}

TEST_F(HttpMediaControlTest, HugeContentLengthIsRefusedWithoutReadingIt) {
  // A media side (or something else on its port) announcing a 100 GB answer: refused from the
  // header, never allocated.
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor liar(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  std::thread server([&] {
    boost::system::error_code ec;
    boost::asio::ip::tcp::socket peer(io);
    liar.accept(peer, ec);
    if (ec) return;
    char request[4096];
    peer.read_some(boost::asio::buffer(request), ec);
    const std::string answer = "HTTP/1.1 200 OK\r\nContent-Length: 100000000000\r\n\r\n{";
    boost::asio::write(peer, boost::asio::buffer(answer), ec);
    peer.read_some(boost::asio::buffer(request), ec);  // until the client closes
  });
  connect("http://127.0.0.1:" + std::to_string(liar.local_endpoint().port()));
  const auto listed = list_groups();
  server.join();
  ASSERT_FALSE(listed.ok());
  EXPECT_NE(listed.error().message.find("limit"), std::string::npos) << listed.error().message;
}

TEST_F(HttpMediaControlTest, ApiKeyIsSentAsBearer) {
  MediaStack::Options media;
  media.api_key = "k3y";
  start_media(media);
  connect(stack_->base_url(), "k3y");
  EXPECT_TRUE(list_groups().ok());
}

TEST_F(HttpMediaControlTest, WrongApiKeyIsUnauthorized) {
  MediaStack::Options media;
  media.api_key = "k3y";
  start_media(media);
  connect(stack_->base_url(), "wrong");
  expect_error(list_groups(), ControlErrorCode::unauthorized);
}

TEST_F(HttpMediaControlTest, SubscriberReceivesGroupClosed) {
  start_media();
  connect();
  subscribe_and_wait_for_feed();
  ASSERT_TRUE(create_group("13800000001").ok());
  ASSERT_TRUE(close_group("13800000001").ok());
  EXPECT_TRUE(callcast::test::wait_until([&] { return recorder_.saw("group_closed 13800000001"); },
                                         5s, 5ms));
  EXPECT_EQ(recorder_.events(), (std::vector<std::string>{"group_closed 13800000001"}));
  EXPECT_EQ(recorder_.resyncs(), 1);  // the feed's start only
}

TEST_F(HttpMediaControlTest, SubscriberReceivesMasterJoinedWhenTheMasterRecords) {
  start_media();
  connect();
  subscribe_and_wait_for_feed();
  const auto created = create_group("13800000001");
  ASSERT_TRUE(created.ok());
  const std::string& url = created->publish_url;
  callcast::test::RtspTestClient rtsp;
  ASSERT_TRUE(rtsp.connect_to(url)) << rtsp.error();
  const std::string sdp =
      "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=test\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
      "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:streamid=0\r\n";
  const auto announced = rtsp.announce(url, sdp);
  ASSERT_TRUE(announced && announced->status == 200) << rtsp.error();
  const auto set_up = rtsp.setup_tcp(url + "/streamid=0", 0, /*record=*/true);
  ASSERT_TRUE(set_up && set_up->status == 200) << rtsp.error();
  const auto recording = rtsp.record(url);
  ASSERT_TRUE(recording && recording->status == 200) << rtsp.error();
  EXPECT_TRUE(callcast::test::wait_until([&] { return recorder_.saw("master_joined 13800000001"); },
                                         5s, 5ms));
}

TEST_F(HttpMediaControlTest, FeedRetriesUntilTheMediaSideIsUpWithOneOutage) {
  // Reserve a port that refuses connections, point the client at it, then start the media side
  // there.
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor reserved(io);
  reserved.open(boost::asio::ip::tcp::v4());
  reserved.bind({boost::asio::ip::make_address("127.0.0.1"), 0});
  const std::uint16_t port = reserved.local_endpoint().port();
  HttpMediaControl::Options options;
  options.retry_first = 20ms;
  options.retry_max = 40ms;
  connect("http://127.0.0.1:" + std::to_string(port), "", options);
  client_->subscribe([this](const core::GroupEvent& event) { recorder_.on_event(event); });
  ASSERT_TRUE(
      callcast::test::wait_until([&] { return client_->stats().unreachable >= 3; }, 5s, 5ms));
  EXPECT_EQ(client_->stats().outages, 1U);  // one outage however many retries

  reserved.close();
  MediaStack::Options media;
  media.http_port = port;
  start_media(media);
  ASSERT_TRUE(callcast::test::wait_until([&] { return stack_->waiting_readers() == 1; }, 5s, 5ms));
  stack_->emit_group_closed("1001");
  EXPECT_TRUE(
      callcast::test::wait_until([&] { return recorder_.saw("group_closed 1001"); }, 5s, 5ms));
  EXPECT_EQ(client_->stats().outages, 1U);
}

TEST_F(HttpMediaControlTest, RestartedMediaSideTriggersResync) {
  start_media();
  const std::uint16_t port = stack_->http_port();
  HttpMediaControl::Options options;
  options.retry_first = 20ms;
  options.retry_max = 40ms;
  connect(stack_->base_url(), "", options);
  subscribe_and_wait_for_feed();
  stack_->emit_group_closed("1001");  // the client's position moves to 1
  ASSERT_TRUE(
      callcast::test::wait_until([&] { return recorder_.saw("group_closed 1001"); }, 5s, 5ms));

  stack_.reset();  // the media side goes down...
  MediaStack::Options media;
  media.http_port = port;
  start_media(media);  // ...and comes back with a new, empty log
  EXPECT_TRUE(callcast::test::wait_until([&] { return recorder_.resyncs() >= 2; }, 5s, 5ms));
  // The restart takes milliseconds: the client may notice it as an outage or only as the new
  // epoch on its next poll. Either way it resyncs, which is what matters.
  EXPECT_LE(client_->stats().outages, 1U);
}

TEST_F(HttpMediaControlTest, ReaderThatFellBehindTheRingResyncs) {
  MediaStack::Options media;
  media.feed.capacity = 1;
  start_media(media);
  connect();
  subscribe_and_wait_for_feed();
  // Hold the client's loop while the media side emits three events into a ring of one: the
  // client reads the first (its waiting poll), then finds the second gone.
  std::promise<void> release;
  std::promise<void> holding;
  boost::asio::post(client_io_.io(), [&] {
    holding.set_value();
    release.get_future().wait();
  });
  holding.get_future().wait();
  stack_->emit_group_closed("1001");
  stack_->emit_group_closed("1002");
  stack_->emit_group_closed("1003");
  release.set_value();
  EXPECT_TRUE(
      callcast::test::wait_until([&] { return recorder_.saw("group_closed 1003"); }, 5s, 5ms));
  EXPECT_EQ(recorder_.events(),
            (std::vector<std::string>{"group_closed 1001", "group_closed 1003"}));
  EXPECT_EQ(recorder_.resyncs(), 2);  // the start, then the gap
}

}  // namespace
}  // namespace callcast::http
