// A group's life through the HTTP control API (create, publish, admit, list, delete), and the
// session timeout that drops a viewer gone silent.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/e2e_test.hpp"
#include "support/media_tools.hpp"
#include "support/raw_viewer.hpp"
#include "support/wait_until.hpp"

namespace callcast::test::lifecycle_test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

const std::string kMaster = "13800000001";

class LifecycleTest : public E2eTest {
 protected:
  LifecycleTest() : E2eTest(CALLCASTD_PATH) {}

  // The viewer's state in the group's snapshot ("" when absent or the group is gone).
  std::string viewer_state(const std::string& viewer) {
    const auto snapshot = api().http().get("/v1/groups/" + kMaster);
    return find_viewer(snapshot.json, viewer).value("state", "");
  }

  ::testing::AssertionResult becomes_playing(const std::string& viewer,
                                             std::chrono::milliseconds timeout) {
    if (wait_until([&] { return viewer_state(viewer) == "playing"; }, timeout)) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure()
           << "viewer " << viewer << " was not playing within " << timeout.count()
           << " ms; snapshot: " << api().http().get("/v1/groups/" + kMaster).body;
  }
};

TEST_F(LifecycleTest, DeletingAGroupEndsItsViewersWithByeAndLeavesNothing) {
  // Create: listed, waiting for its master.
  const std::string publish_url = create_group(kMaster);
  ASSERT_FALSE(HasFailure());
  auto listed = api().groups();
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u) << listed->dump();
  EXPECT_EQ((*listed)[0].value("group", ""), kMaster);
  EXPECT_EQ((*listed)[0].value("state", ""), "waiting_for_master") << listed->dump();

  // Publish: live.
  ChildProcess& publisher = spawn(ffmpeg_publisher(publish_url, dir()));
  ASSERT_FALSE(HasFailure());
  ASSERT_TRUE(api().wait_until_live(kMaster, 20s)) << publisher.stderr_tail();

  // Admit two viewers: a player (ffmpeg) and a raw one that watches the RTCP port.
  const std::string player_url = admit_viewer(kMaster, "13900000001");
  const std::string raw_url = admit_viewer(kMaster, "13900000002");
  ASSERT_FALSE(HasFailure());
  ChildProcess& player =
      spawn(ffmpeg_recorder(player_url, dir() / "player.mkv", 120, dir(), "player"));
  ASSERT_FALSE(HasFailure());
  RawViewer raw;
  ASSERT_TRUE(raw.start(raw_url));
  FirstKeyframe first;
  ASSERT_TRUE(raw.receive_first_keyframe(first, 5s));
  ASSERT_TRUE(becomes_playing("13900000001", 15s));
  ASSERT_TRUE(becomes_playing("13900000002", 5s));

  listed = api().groups();
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u) << listed->dump();
  EXPECT_EQ((*listed)[0].value("state", ""), "live") << listed->dump();
  EXPECT_EQ((*listed)[0]["viewers"].size(), 2u) << listed->dump();

  // Delete: every viewer gets an RTCP BYE and the media stops.
  ASSERT_TRUE(api().delete_group(kMaster));
  const auto deleted_at = Clock::now();
  EXPECT_TRUE(raw.wait_for_bye(3s)) << "the raw viewer got no RTCP BYE within 3 s of DELETE";
  // Packets already on their way may still land; after that, silence.
  raw.count_rtp(300ms);
  const std::size_t late_packets = raw.count_rtp(2s);
  EXPECT_EQ(late_packets, 0u) << "RTP kept arriving after the group was deleted";

  // ffmpeg ends its playback on BYE; the publisher's connection is closed.
  const auto player_status = player.wait_for(15s);
  EXPECT_TRUE(player_status) << "the ffmpeg viewer still runs 15 s after the group was deleted:\n"
                             << player.stderr_tail(3000);
  if (player_status) {
    std::printf("[e2e] ffmpeg viewer ended %.1f s after DELETE: %s\n",
                std::chrono::duration<double>(Clock::now() - deleted_at).count(),
                player_status->describe().c_str());
  }
  const auto publisher_status = publisher.wait_for(15s);
  EXPECT_TRUE(publisher_status) << "the publisher still runs 15 s after the group was deleted";

  // Nothing left.
  listed = api().groups();
  ASSERT_TRUE(listed);
  EXPECT_TRUE(listed->empty()) << "GET /v1/groups after DELETE: " << listed->dump();
  EXPECT_EQ(api().http().get("/v1/groups/" + kMaster).status, 404);
  // The play URL leads nowhere now.
  RtspTestClient client;
  ASSERT_TRUE(client.connect_to(raw_url)) << client.error();
  const auto described = client.describe(raw_url);
  ASSERT_TRUE(described) << client.error();
  EXPECT_EQ(described->status, 404);
}

class SessionTimeoutTest : public LifecycleTest {
 protected:
  static constexpr auto kSessionTimeout = 3s;

  ServerOptions server_options() const override {
    ServerOptions options;
    options.config_toml =
        "[media]\nsession_timeout_s = " + std::to_string(kSessionTimeout.count()) + "\n";
    return options;
  }
};

TEST_F(SessionTimeoutTest, SilentViewerIsDroppedWhileOneSendingReportsStays) {
  const std::string publish_url = create_group(kMaster);
  const std::string silent_url = admit_viewer(kMaster, "13900000001");
  const std::string talking_url = admit_viewer(kMaster, "13900000002");
  ASSERT_FALSE(HasFailure());
  ChildProcess& publisher = spawn(ffmpeg_publisher(publish_url, dir()));
  ASSERT_FALSE(HasFailure());
  ASSERT_TRUE(api().wait_until_live(kMaster, 20s)) << publisher.stderr_tail();

  // Both PLAY; then one says nothing more (no RTCP, no RTSP), the other reports every second.
  RawViewer silent;
  RawViewer talking;
  ASSERT_TRUE(silent.start(silent_url));
  ASSERT_TRUE(talking.start(talking_url));
  const auto played_at = Clock::now();
  ASSERT_TRUE(becomes_playing("13900000001", 5s));
  ASSERT_TRUE(becomes_playing("13900000002", 5s));

  std::string silent_state = "playing";
  std::chrono::milliseconds dropped_after{0};
  while (Clock::now() - played_at < kSessionTimeout + 5s) {
    talking.count_rtp(1s);
    EXPECT_TRUE(talking.send_receiver_report());
    silent_state = viewer_state("13900000001");
    if (silent_state != "playing") {
      dropped_after =
          std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - played_at);
      break;
    }
  }
  EXPECT_NE(silent_state, "playing")
      << "the silent viewer was still playing " << (kSessionTimeout + 5s).count()
      << " s after PLAY with session_timeout_s = " << kSessionTimeout.count();
  if (silent_state != "playing") {
    std::printf("[e2e] silent viewer dropped %lld ms after PLAY (state now '%s')\n",
                static_cast<long long>(dropped_after.count()), silent_state.c_str());
    EXPECT_GE(dropped_after, kSessionTimeout - 500ms) << "dropped before the session timeout";
  }
  EXPECT_TRUE(server().wait_for_log("terminal=13900000001 step=714 event=viewer_left", 2s))
      << "no viewer_left event for the silent viewer in the log";
  // The one that keeps reporting is still served.
  EXPECT_EQ(viewer_state("13900000002"), "playing");
  EXPECT_GT(talking.count_rtp(1s), 0u) << "the viewer that sends reports stopped receiving";
  EXPECT_TRUE(publisher.running()) << publisher.stderr_tail();
}

class PublisherGraceTest : public LifecycleTest {
 protected:
  static constexpr auto kGrace = 3s;

  ServerOptions server_options() const override {
    ServerOptions options;
    options.config_toml = "[media]\npublisher_grace_s = " + std::to_string(kGrace.count()) + "\n";
    return options;
  }

  std::string group_state() {
    return api().http().get("/v1/groups/" + kMaster).json.value("state", "");
  }
};

TEST_F(PublisherGraceTest, MasterComingBackWithinTheGraceKeepsGroupAndViewers) {
  const std::string publish_url = create_group(kMaster);
  const std::string viewer_url = admit_viewer(kMaster, "13900000001");
  ASSERT_FALSE(HasFailure());
  ChildProcess& first = spawn(ffmpeg_publisher(publish_url, dir(), true, "first-publisher"));
  ASSERT_FALSE(HasFailure());
  ASSERT_TRUE(api().wait_until_live(kMaster, 20s)) << first.stderr_tail();
  RawViewer viewer;
  ASSERT_TRUE(viewer.start(viewer_url));
  ASSERT_TRUE(becomes_playing("13900000001", 5s));

  // The master's connection drops (a crash, a network change): the group waits for it.
  first.terminate(SIGKILL);
  EXPECT_TRUE(wait_until([&] { return group_state() == "waiting_for_master"; }, 2s))
      << "state after the master dropped: " << group_state();

  // It reconnects with the same URL within the grace period: live again, viewer still served.
  ChildProcess& second = spawn(ffmpeg_publisher(publish_url, dir(), true, "second-publisher"));
  ASSERT_FALSE(HasFailure());
  EXPECT_TRUE(wait_until([&] { return group_state() == "live"; }, 10s)) << second.stderr_tail();
  EXPECT_EQ(viewer_state("13900000001"), "playing");
  viewer.count_rtp(1s);
  EXPECT_GT(viewer.count_rtp(2s), 0u) << "the viewer got nothing from the returning master";
  EXPECT_FALSE(viewer.wait_for_bye(100ms)) << "the viewer was sent BYE during the grace period";
  EXPECT_FALSE(server().wait_for_log("event=master_lost", 100ms));
}

TEST_F(PublisherGraceTest, MasterNotBackWithinTheGraceIsLostAndTheGroupCloses) {
  const std::string publish_url = create_group(kMaster);
  const std::string viewer_url = admit_viewer(kMaster, "13900000001");
  ASSERT_FALSE(HasFailure());
  ChildProcess& publisher = spawn(ffmpeg_publisher(publish_url, dir()));
  ASSERT_FALSE(HasFailure());
  ASSERT_TRUE(api().wait_until_live(kMaster, 20s)) << publisher.stderr_tail();
  RawViewer viewer;
  ASSERT_TRUE(viewer.start(viewer_url));
  ASSERT_TRUE(becomes_playing("13900000001", 5s));

  publisher.terminate(SIGKILL);
  const auto dropped_at = Clock::now();
  EXPECT_TRUE(viewer.wait_for_bye(kGrace + 3s)) << "no RTCP BYE after the grace period";
  const auto closed_after = Clock::now() - dropped_at;
  EXPECT_GE(closed_after, kGrace - 500ms) << "the group closed before the grace period ended";
  EXPECT_TRUE(server().wait_for_log("terminal=13800000001 step=709 event=master_lost", 2s));
  EXPECT_TRUE(server().wait_for_log("event=group_closed", 2s));
  EXPECT_EQ(api().http().get("/v1/groups/" + kMaster).status, 404);
  std::printf("[e2e] group closed %.1f s after its master dropped (grace %lld s)\n",
              std::chrono::duration<double>(closed_after).count(),
              static_cast<long long>(kGrace.count()));
}

}  // namespace
}  // namespace callcast::test::lifecycle_test
