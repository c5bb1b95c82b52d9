// The master's bad days (issue 10), end to end on loopback: its RTSP connection reset and the
// same master reconnecting within the grace (viewers stay, numbering continues, decoding restarts
// at a keyframe) or after it (master_lost); the master announcing again while its old connection
// still looks open (it takes over); and a stalled master (stall reported, its backlog never
// reaching viewers; a stall past the grace is master_lost).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "core/token.hpp"
#include "rtp/rtp_packet_view.hpp"
#include "support/e2e_test.hpp"
#include "support/raw_viewer.hpp"
#include "support/relay_publisher.hpp"
#include "support/wait_until.hpp"

namespace callcast::test::publisher_recovery_test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

const std::string kMaster = "13800000001";
const std::string kSecret = "publisher-recovery-test-secret";
constexpr double kVideoRate = 90000.0;

// One video RTP packet as a viewer received it.
struct Received {
  Clock::time_point at;
  std::uint16_t sequence = 0;
  std::uint32_t timestamp = 0;
  bool keyframe_start = false;  // SPS (alone or in a STAP-A) or the start of an IDR
};

bool starts_keyframe(rtp::Bytes payload) {
  if (payload.empty()) return false;
  const int type = payload[0] & 0x1f;
  if (type == 5 || type == 7) return true;
  if (type == 24 && payload.size() > 3) return (payload[3] & 0x1f) == 7;  // first unit
  if (type == 28 && payload.size() > 1) {
    return (payload[1] & 0x80) != 0 && ((payload[1] & 0x1f) == 5 || (payload[1] & 0x1f) == 7);
  }
  return false;
}

// Records every video packet a RawViewer's UDP port receives, on a thread of its own.
class ViewerTap {
 public:
  explicit ViewerTap(RawViewer& viewer) : viewer_(viewer), thread_([this] { run(); }) {}
  ~ViewerTap() {
    stopping_ = true;
    thread_.join();
  }
  ViewerTap(const ViewerTap&) = delete;
  ViewerTap& operator=(const ViewerTap&) = delete;

  std::vector<Received> packets() {
    std::lock_guard lock(mutex_);
    return packets_;
  }
  // Keyframe starts received at or after `since`.
  std::size_t keyframes_since(Clock::time_point since) {
    std::lock_guard lock(mutex_);
    return static_cast<std::size_t>(
        std::count_if(packets_.begin(), packets_.end(),
                      [&](const Received& r) { return r.at >= since && r.keyframe_start; }));
  }
  std::size_t packets_since(Clock::time_point since) {
    std::lock_guard lock(mutex_);
    return static_cast<std::size_t>(std::count_if(
        packets_.begin(), packets_.end(), [&](const Received& r) { return r.at >= since; }));
  }

 private:
  void run() {
    while (!stopping_) {
      auto datagram = viewer_.udp().receive_rtp(20ms);
      if (!datagram) continue;
      const auto at = Clock::now();
      auto view = rtp::RtpPacketView::parse(rtp::Bytes(datagram->data(), datagram->size()));
      if (!view) continue;
      std::lock_guard lock(mutex_);
      packets_.push_back(
          {at, view->sequence_number(), view->timestamp(), starts_keyframe(view->payload())});
    }
  }

  RawViewer& viewer_;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::vector<Received> packets_;
  std::thread thread_;
};

// The longest silence in what a viewer received: the packets either side of it.
struct Outage {
  std::size_t after = 0;  // index of the first packet after the silence
  Clock::duration length{};
};
Outage longest_outage(const std::vector<Received>& packets) {
  Outage out;
  for (std::size_t i = 1; i < packets.size(); ++i) {
    const auto gap = packets[i].at - packets[i - 1].at;
    if (gap > out.length) out = {i, gap};
  }
  return out;
}

::testing::AssertionResult numbered_without_gaps(const std::vector<Received>& packets) {
  for (std::size_t i = 1; i < packets.size(); ++i) {
    if (static_cast<std::uint16_t>(packets[i].sequence - packets[i - 1].sequence) != 1) {
      return ::testing::AssertionFailure()
             << "sequence " << packets[i - 1].sequence << " then " << packets[i].sequence
             << " at packet " << i << " of " << packets.size();
    }
  }
  return ::testing::AssertionSuccess();
}

double seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

class PublisherRecoveryTest : public E2eTest {
 protected:
  PublisherRecoveryTest() : E2eTest(CALLCASTD_PATH) {}

  virtual std::string media_config() const { return ""; }
  ServerOptions server_options() const override {
    ServerOptions options;
    options.config_toml = "token_secret = \"" + kSecret + "\"\n[media]\n" + media_config();
    return options;
  }

  nlohmann::json group_json() { return api().http().get("/v1/groups/" + kMaster).json; }
  std::string group_state() {
    const auto json = group_json();
    return json.is_object() ? json.value("state", "") : "";
  }
  std::vector<std::string> event_kinds() {
    const auto page = api().http().get("/v1/events?after=0&wait_ms=0").json;
    std::vector<std::string> kinds;
    if (!page.is_object() || !page.contains("events")) return kinds;
    for (const auto& event : page["events"]) {
      if (event.value("group", "") == kMaster) kinds.push_back(event.value("kind", ""));
    }
    return kinds;
  }

  // A live group with one relayed publisher and `viewers` raw viewers that received a keyframe.
  void start_broadcast(std::size_t viewers) {
    publish_url_ = create_group(kMaster);
    ASSERT_FALSE(HasFailure());
    for (std::size_t i = 0; i < viewers; ++i)
      play_urls_.push_back(admit_viewer(kMaster, "1390000000" + std::to_string(i + 1)));
    ASSERT_FALSE(HasFailure());
    publisher_ = std::make_unique<RelayPublisher>(dir());
    ASSERT_TRUE(publisher_->start(publish_url_));
    ASSERT_TRUE(api().wait_until_live(kMaster, 20s));
    for (const auto& url : play_urls_) {
      viewers_.push_back(std::make_unique<RawViewer>());
      ASSERT_TRUE(viewers_.back()->start(url));
      taps_.push_back(std::make_unique<ViewerTap>(*viewers_.back()));
    }
    const auto started = Clock::now();
    for (auto& tap : taps_) {
      ASSERT_TRUE(wait_until(
          [&] {
            return tap->keyframes_since(started - 1h) > 0 && tap->packets_since(started) > 50;
          },
          10s))
          << "a viewer received no keyframe and 50 packets";
    }
  }

  std::string publish_url_;
  std::vector<std::string> play_urls_;
  std::unique_ptr<RelayPublisher> publisher_;
  std::vector<std::unique_ptr<RawViewer>> viewers_;
  std::vector<std::unique_ptr<ViewerTap>> taps_;  // declared last: stopped before the viewers
};

// ---- the connection reset: reconnection within the grace, and after it --------------------------

class ConnectionResetTest : public PublisherRecoveryTest {
 protected:
  std::string media_config() const override { return "publisher_grace_s = 4\n"; }
};

TEST_F(ConnectionResetTest, MasterReconnectingWithinTheGraceKeepsViewersAndTheirNumbering) {
  start_broadcast(2);
  ASSERT_FALSE(HasFailure());

  publisher_->reset_connection();
  const auto reset_at = Clock::now();
  EXPECT_TRUE(wait_until([&] { return group_state() == "waiting_for_master"; }, 2s))
      << "state after the master's connection was reset: " << group_state();
  // The master comes back a second later, with the URL it had.
  std::this_thread::sleep_until(reset_at + 1s);
  ASSERT_TRUE(publisher_->reconnect(publish_url_));
  const auto reconnected_at = Clock::now();
  EXPECT_TRUE(wait_until([&] { return group_state() == "live"; }, 3s)) << group_state();

  for (std::size_t v = 0; v < taps_.size(); ++v) {
    SCOPED_TRACE("viewer " + std::to_string(v + 1));
    ASSERT_TRUE(wait_until([&] { return taps_[v]->keyframes_since(reconnected_at) > 0; }, 5s))
        << "no keyframe after the master came back";
    ASSERT_TRUE(wait_until([&] { return taps_[v]->packets_since(reconnected_at) > 100; }, 5s));
    const auto packets = taps_[v]->packets();
    const Outage outage = longest_outage(packets);
    ASSERT_GT(outage.after, 0U);
    EXPECT_GE(outage.length, 900ms) << "the outage is not where the reset was";
    const Received& last = packets[outage.after - 1];
    const Received& first = packets[outage.after];
    // Same session, numbering continued across the two publisher connections: nothing lost on
    // loopback, so no gap at all.
    EXPECT_TRUE(numbered_without_gaps(packets));
    // Decoding restarts at the new connection's first keyframe: nothing before it.
    EXPECT_TRUE(first.keyframe_start) << "the first packet after the reconnection is no keyframe";
    EXPECT_GE(first.at, reconnected_at);
    // Timestamps advance by the time that passed (as if the media clock had run on).
    const double media_gap =
        static_cast<std::uint32_t>(first.timestamp - last.timestamp) / kVideoRate;
    EXPECT_NEAR(media_gap, seconds(first.at - last.at), 0.3);
    std::printf(
        "[e2e] viewer %zu: reset -> first keyframe after reconnecting %.0f ms (reconnected "
        "%.0f ms after the reset), media gap %.2f s\n",
        v + 1, 1000 * seconds(first.at - reset_at), 1000 * seconds(reconnected_at - reset_at),
        media_gap);
  }
  const nlohmann::json group = group_json();  // kept: the loop below walks into it
  EXPECT_EQ(group["viewers"].size(), 2U);
  for (const auto& viewer : group["viewers"])
    EXPECT_EQ(viewer.value("state", ""), "playing") << viewer.dump();
  EXPECT_FALSE(viewers_[0]->wait_for_bye(100ms)) << "a viewer was sent BYE";
  const auto kinds = event_kinds();
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "master_joined"), 2);
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "master_lost"), 0);
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "viewer_left"), 0);
}

TEST_F(ConnectionResetTest, MasterBackAfterTheGraceFindsItsGroupGone) {
  start_broadcast(1);
  ASSERT_FALSE(HasFailure());
  publisher_->reset_connection();
  const auto reset_at = Clock::now();
  EXPECT_TRUE(viewers_[0]->wait_for_bye(4s + 3s)) << "no RTCP BYE after the grace";
  EXPECT_GE(Clock::now() - reset_at, 4s - 600ms) << "the group closed before the grace ended";
  EXPECT_TRUE(server().wait_for_log("terminal=13800000001 step=709 event=master_lost", 2s));
  EXPECT_EQ(api().http().get("/v1/groups/" + kMaster).status, 404);
  const auto again = publisher_->reconnect(publish_url_);
  EXPECT_FALSE(again) << "the master published into a group that was given up";
  EXPECT_NE(std::string(again.message()).find("404"), std::string::npos) << again.message();
}

// ---- a master that has published longer than its token lives -----------------------------------

// Tokens of 2 s: the publish URL of the 183 expires while the master publishes, as it does after
// token_ttl_s (an hour) in a long broadcast.
class LongBroadcastTokenTest : public PublisherRecoveryTest {
 protected:
  // A publisher of its own needs a directory of its own (its ffmpeg's files).
  std::filesystem::path subdir(const std::string& name) const {
    std::filesystem::create_directories(dir() / name);
    return dir() / name;
  }
  std::string media_config() const override { return "publisher_grace_s = 4\ntoken_ttl_s = 2\n"; }
};

TEST_F(LongBroadcastTokenTest, MasterReconnectsWithItsExpiredPublishUrlWithinTheGrace) {
  start_broadcast(1);
  ASSERT_FALSE(HasFailure());
  std::this_thread::sleep_for(2500ms);  // the token expires (wall clock: tokens carry unix time)
  publisher_->reset_connection();
  ASSERT_TRUE(wait_until([&] { return group_state() == "waiting_for_master"; }, 2s));
  const auto reconnected = publisher_->reconnect(publish_url_);
  ASSERT_TRUE(reconnected) << "705 again with the URL of the 183, expired meanwhile";
  const auto back_at = Clock::now();
  EXPECT_TRUE(wait_until([&] { return group_state() == "live"; }, 3s)) << group_state();
  EXPECT_TRUE(wait_until([&] { return taps_[0]->keyframes_since(back_at) > 0; }, 5s))
      << "the viewer decodes on after the master came back";
}

TEST_F(LongBroadcastTokenTest, ExpiredPublishUrlTakesNothingFromAConnectedMaster) {
  start_broadcast(0);
  ASSERT_FALSE(HasFailure());
  std::this_thread::sleep_for(2500ms);
  // The master still publishes: its expired URL must not take the group over (a takeover, for a
  // half-open connection, needs a fresh token).
  RelayPublisher intruder(subdir("intruder"));
  const auto taken = intruder.start(publish_url_);
  EXPECT_FALSE(taken) << "an expired publish URL took over a live group";
  EXPECT_NE(std::string(taken.message()).find("401"), std::string::npos) << taken.message();
  EXPECT_EQ(group_state(), "live");
}

TEST_F(LongBroadcastTokenTest, ExpiredPublishUrlOfAnEarlierGroupOfTheSameNumberIsRefused) {
  start_broadcast(0);
  ASSERT_FALSE(HasFailure());
  const std::string earlier_url = publish_url_;
  publisher_.reset();
  ASSERT_TRUE(api().delete_group(kMaster));
  std::this_thread::sleep_for(1100ms);  // the next group is created in a later second
  const std::string url = create_group(kMaster);
  RelayPublisher master(subdir("second-group"));
  ASSERT_TRUE(master.start(url));
  ASSERT_TRUE(api().wait_until_live(kMaster, 20s));
  std::this_thread::sleep_for(2500ms);  // both URLs expired
  master.reset_connection();
  ASSERT_TRUE(wait_until([&] { return group_state() == "waiting_for_master"; }, 2s));
  RelayPublisher earlier(subdir("earlier"));
  const auto taken = earlier.start(earlier_url);
  EXPECT_FALSE(taken) << "a URL of the number's earlier broadcast published into this one";
  EXPECT_NE(std::string(taken.message()).find("401"), std::string::npos) << taken.message();
  EXPECT_TRUE(master.reconnect(url)) << "while its own master still comes back";
}

// ---- the same master announcing again while its old connection still looks open ---------------

using TakeoverTest = PublisherRecoveryTest;

TEST_F(TakeoverTest, MastersNewConnectionReplacesItsOldOneAndViewersDecodeOn) {
  start_broadcast(1);
  ASSERT_FALSE(HasFailure());
  // The old connection stays open but brings nothing (half-open after the master's link went
  // down: what it sends now waits in its own socket); the master announces again from a second
  // publisher process. Whatever the viewer gets from here on comes from the new connection.
  publisher_->freeze(2s);
  const auto frozen_at = Clock::now();
  ASSERT_TRUE(wait_until([&] { return Clock::now() - frozen_at > 300ms; }, 1s, 20ms));
  const auto announced_at = Clock::now();
  RelayPublisher second(dir() / "second");
  std::filesystem::create_directories(dir() / "second");
  ASSERT_TRUE(second.start(publish_url_)) << "the master's second connection was refused";
  EXPECT_TRUE(server().wait_for_log("master announced again", 2s));
  // The server closed the old connection: the first publisher's writes fail once it sends.
  EXPECT_TRUE(wait_until([&] { return !publisher_->failure().empty(); }, 5s))
      << "the old publisher connection is still open";
  EXPECT_TRUE(wait_until([&] { return group_state() == "live"; }, 3s)) << group_state();
  ASSERT_TRUE(wait_until([&] { return taps_[0]->keyframes_since(announced_at) > 0; }, 5s));
  ASSERT_TRUE(wait_until([&] { return taps_[0]->packets_since(announced_at) > 100; }, 5s));
  const auto packets = taps_[0]->packets();
  EXPECT_TRUE(numbered_without_gaps(packets));
  // After the takeover the viewer gets the second publisher's media, starting at a keyframe.
  const auto first_new = std::find_if(packets.begin(), packets.end(),
                                      [&](const Received& r) { return r.at >= announced_at; });
  ASSERT_NE(first_new, packets.end());
  EXPECT_TRUE(first_new->keyframe_start) << "the first packet after the takeover is no keyframe";
  std::printf(
      "[e2e] takeover: viewer's first keyframe from the new connection %.0f ms after the "
      "ANNOUNCE was sent\n",
      1000 * seconds(first_new->at - announced_at));
  EXPECT_FALSE(viewers_[0]->wait_for_bye(100ms));
  EXPECT_EQ(group_json()["viewers"][0].value("state", ""), "playing");
  const auto kinds = event_kinds();
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "master_lost"), 0);
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "viewer_left"), 0);
  second.stop();
}

TEST_F(TakeoverTest, PublishTokenOfAnotherTerminalIsStillRefused) {
  start_broadcast(1);
  ASSERT_FALSE(HasFailure());
  const core::TokenSigner signer(kSecret);
  const std::string token = signer.issue({kMaster, core::TokenRole::publish, "13999999999",
                                          std::chrono::duration_cast<std::chrono::seconds>(
                                              std::chrono::system_clock::now().time_since_epoch())
                                                  .count() +
                                              600});
  const std::string url = publish_url_.substr(0, publish_url_.find("?token=")) + "?token=" + token;
  RtspTestClient intruder;
  ASSERT_TRUE(intruder.connect_to(url)) << intruder.error();
  const auto answer = intruder.announce(
      url,
      "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\n"
      "a=rtpmap:96 H264/90000\r\na=control:streamid=0\r\n");
  ASSERT_TRUE(answer) << intruder.error();
  EXPECT_EQ(answer->status, 403);
  // The master was not disturbed.
  const auto since = Clock::now();
  EXPECT_TRUE(wait_until([&] { return taps_[0]->packets_since(since) > 20; }, 3s));
  EXPECT_TRUE(publisher_->failure().empty()) << publisher_->failure();
  EXPECT_EQ(group_state(), "live");
}

// ---- a stalled master --------------------------------------------------------------------------

class StalledPublisherTest : public PublisherRecoveryTest {
 protected:
  static constexpr auto kStall = 1s;  // publisher_stall_s: stale beyond 0.5 s of lag
  static constexpr auto kGrace = 3s;
  std::string media_config() const override {
    return "publisher_stall_s = 1\npublisher_grace_s = 3\n";
  }
};

TEST_F(StalledPublisherTest, StallIsReportedAndItsBacklogNeverReachesViewers) {
  start_broadcast(1);
  ASSERT_FALSE(HasFailure());
  constexpr auto kFreeze = 2500ms;  // longer than the stall time, shorter than the grace
  const auto frozen_at = Clock::now();
  publisher_->freeze(kFreeze);

  // Seen as stalled in the group's JSON, with its event, while the connection stays up.
  nlohmann::json stalled;
  EXPECT_TRUE(wait_until(
      [&] {
        stalled = group_json();
        return stalled.value("state", "") == "stalled";
      },
      kFreeze - 200ms, 50ms))
      << "state during the stall: " << stalled.dump();
  if (stalled.value("state", "") == "stalled") {
    EXPECT_TRUE(stalled["publisher"].value("stalled", false)) << stalled.dump();
    EXPECT_GE(stalled["publisher"].value("stalled_for_ms", 0), 1000) << stalled.dump();
    EXPECT_LT(Clock::now() - frozen_at, kStall + 1s) << "the stall was noticed late";
  }
  EXPECT_TRUE(server().wait_for_log("terminal=13800000001 step=708 event=master_stalled", 2s));

  // The backlog comes at once, then live media; the group is live again.
  EXPECT_TRUE(wait_until([&] { return publisher_->burst_packets() > 0; }, kFreeze + 2s));
  EXPECT_TRUE(server().wait_for_log("event=master_resumed", 2s));
  EXPECT_TRUE(wait_until([&] { return group_state() == "live"; }, 2s)) << group_state();
  const auto resumed_at = frozen_at + kFreeze;
  ASSERT_TRUE(wait_until([&] { return taps_[0]->keyframes_since(resumed_at) > 0; }, 4s))
      << "the viewer got no keyframe after the stall";
  ASSERT_TRUE(wait_until([&] { return taps_[0]->packets_since(resumed_at) > 50; }, 4s));

  const auto packets = taps_[0]->packets();
  const Outage outage = longest_outage(packets);
  ASSERT_GT(outage.after, 0U);
  const Received& last = packets[outage.after - 1];
  const Received& first = packets[outage.after];
  EXPECT_GE(outage.length, kFreeze - 300ms);
  // No stale packet reached the viewer: what came after the stall was captured no earlier than
  // the stale bound (0.5 s) before it was relayed, i.e. at least 2.5 - 0.5 s into the freeze
  // (less a margin for the publisher's own pacing).
  for (std::size_t i = outage.after; i < packets.size(); ++i) {
    const double captured =
        static_cast<std::uint32_t>(packets[i].timestamp - last.timestamp) / kVideoRate;
    ASSERT_GE(captured, seconds(kFreeze) - 0.5 - 0.15)
        << "packet " << i << " (seq " << packets[i].sequence << ") is from the stale backlog";
  }
  EXPECT_TRUE(first.keyframe_start) << "the viewer restarted on a packet that is no keyframe";
  EXPECT_TRUE(numbered_without_gaps(packets)) << "dropped packets must take no sequence number";
  // What happened is in the counters.
  const auto track = find_track(group_json(), "video");
  EXPECT_GT(track.value("stale_packets_dropped", 0), 0) << track.dump();
  EXPECT_EQ(group_json()["publisher"].value("stalls", 0), 1);
  std::printf(
      "[e2e] stall of %.1f s: %llu packets in the backlog burst, %d dropped as stale, "
      "%d held for the keyframe; viewer's first packet %.0f ms after the burst began\n",
      seconds(kFreeze), static_cast<unsigned long long>(publisher_->burst_packets()),
      track.value("stale_packets_dropped", 0), track.value("held_for_keyframe", 0),
      1000 * seconds(first.at - resumed_at));
  const auto kinds = event_kinds();
  const auto stalled_event = std::find(kinds.begin(), kinds.end(), "master_stalled");
  ASSERT_NE(stalled_event, kinds.end());
  EXPECT_NE(std::find(stalled_event, kinds.end(), "master_resumed"), kinds.end());
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "master_lost"), 0);
  EXPECT_EQ(group_json()["viewers"][0].value("state", ""), "playing");
}

TEST_F(StalledPublisherTest, StallLongerThanTheGraceIsMasterLostAndClosesTheGroup) {
  start_broadcast(1);
  ASSERT_FALSE(HasFailure());
  const auto frozen_at = Clock::now();
  publisher_->freeze(kGrace + 4s);
  EXPECT_TRUE(viewers_[0]->wait_for_bye(kGrace + 3s)) << "no RTCP BYE after the grace";
  const auto closed_after = Clock::now() - frozen_at;
  EXPECT_GE(closed_after, kGrace - 300ms) << "given up before the grace";
  EXPECT_TRUE(server().wait_for_log("terminal=13800000001 step=709 event=master_lost", 2s));
  EXPECT_TRUE(server().wait_for_log("event=group_closed", 2s));
  EXPECT_EQ(api().http().get("/v1/groups/" + kMaster).status, 404);
  const auto kinds = event_kinds();
  const std::vector<std::string> expected = {"master_stalled", "viewer_left", "master_lost",
                                             "group_closed"};
  ASSERT_GE(kinds.size(), expected.size());
  EXPECT_EQ(std::vector<std::string>(kinds.end() - 4, kinds.end()), expected);
  // The server closed the master's connection: its backlog finds nobody to take it.
  EXPECT_TRUE(wait_until([&] { return !publisher_->failure().empty(); }, 8s))
      << "the stalled master's connection was left open";
  std::printf("[e2e] stalled master given up %.1f s after it froze (grace %lld s)\n",
              seconds(closed_after), static_cast<long long>(kGrace.count()));
}

TEST_F(StalledPublisherTest, StalledMasterWhoseConnectionThenDropsGetsNoSecondGrace) {
  start_broadcast(1);
  ASSERT_FALSE(HasFailure());
  const auto frozen_at = Clock::now();
  publisher_->freeze(kGrace + 5s);
  ASSERT_TRUE(wait_until([&] { return group_state() == "stalled"; }, 3s)) << group_state();
  std::this_thread::sleep_until(frozen_at + 2s);
  publisher_->reset_connection();
  // Gone since it froze: given up a grace after that, not a grace after the reset.
  EXPECT_TRUE(viewers_[0]->wait_for_bye(kGrace + 2s));
  const auto closed_after = Clock::now() - frozen_at;
  EXPECT_LT(closed_after, kGrace + 1s) << "the dropped connection restarted the grace";
  EXPECT_GE(closed_after, kGrace - 300ms);
  EXPECT_TRUE(server().wait_for_log("terminal=13800000001 step=709 event=master_lost", 2s));
}

TEST_F(StalledPublisherTest, StalledMasterAnnouncingAgainJustBeforeTheGraceEndsTakesOver) {
  start_broadcast(1);
  ASSERT_FALSE(HasFailure());
  const auto frozen_at = Clock::now();
  publisher_->freeze(kGrace + 5s);  // its process stays stopped, its connection open
  ASSERT_TRUE(wait_until([&] { return group_state() == "stalled"; }, 3s)) << group_state();
  // The master comes back on a new connection 0.5 s before its stall would be given up.
  std::this_thread::sleep_until(frozen_at + kGrace - 500ms);
  const auto announced_at = Clock::now();
  RelayPublisher second(dir() / "second");
  std::filesystem::create_directories(dir() / "second");
  ASSERT_TRUE(second.start(publish_url_)) << "the stalled master's new connection was refused";
  EXPECT_TRUE(wait_until([&] { return group_state() == "live"; }, 3s)) << group_state();
  ASSERT_TRUE(wait_until([&] { return taps_[0]->keyframes_since(announced_at) > 0; }, 5s));
  // Well past the end of the old connection's grace: the group lives on.
  ASSERT_TRUE(wait_until([&] { return Clock::now() > frozen_at + kGrace + 1500ms; }, 3s, 50ms));
  EXPECT_EQ(group_state(), "live");
  EXPECT_FALSE(viewers_[0]->wait_for_bye(100ms));
  const auto kinds = event_kinds();
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "master_lost"), 0);
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "master_stalled"), 1);
  EXPECT_TRUE(numbered_without_gaps(taps_[0]->packets()));
  second.stop();
}

}  // namespace
}  // namespace callcast::test::publisher_recovery_test
