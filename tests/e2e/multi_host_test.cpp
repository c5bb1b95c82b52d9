// Out of the lab (issue 10, DESIGN.md §9): callcastd, the broadcaster and the viewers each on a
// host of their own (network namespaces joined by a switch), one viewer behind a masquerading
// router. The whole flow with `callcast broadcast` and `callcast watch` across them, then what
// a mobile path does to a broadcast: its TCP connection reset, its link gone for 3 s, its process
// frozen, and the server's roles restarted under it.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "support/callcast_server.hpp"
#include "support/child_process.hpp"
#include "support/control_api.hpp"
#include "support/lab_terminal_e2e.hpp"
#include "support/media_tools.hpp"
#include "support/wait_until.hpp"

namespace callcast::test {
namespace {

using namespace std::chrono_literals;

class MultiHostTest : public LabTerminalTest {
 protected:
  MultiHostTest() : LabTerminalTest(CALLCASTD_PATH, CALLCAST_PATH, "multihost") {}
};

// 701-714 across hosts: the broadcaster on one, a viewer on another, a third behind a NAT. The
// URLs handed out name the server's address though it listens on every interface; the viewer
// behind the NAT registers, is called back (BYE) and gets its RTP over UDP through the router.
TEST_F(MultiHostTest, BroadcastAndViewersOnSeparateHostsOneBehindNat) {
  start_server();
  ChildProcess& master = start_live_broadcast();
  if (HasFailure()) return;
  const auto lan_file = dir() / "lan-viewer.mkv";
  const auto nat_file = dir() / "nat-viewer.mkv";
  ChildProcess& lan = watch(lab().viewer(), kViewer, {"--record", lan_file.string()});
  ChildProcess& natted =
      watch(lab().natted_viewer(), kNattedViewer, {"--record", nat_file.string()});
  ASSERT_TRUE(wait_for_output(lan, "step 714: first frame", 30s));
  ASSERT_TRUE(wait_for_output(natted, "step 714: first frame", 30s));
  std::this_thread::sleep_for(6s);  // media time to record

  const auto snapshot = group_snapshot();
  ASSERT_TRUE(snapshot);
  const nlohmann::json nat_entry = find_viewer(*snapshot, kNattedViewer);
  ASSERT_FALSE(nat_entry.is_null()) << snapshot->dump(2);
  if (nat_entry.value("transport", "") == "udp") {
    EXPECT_NE(nat_entry.value("remote", "").find(lab().nat_public_address()), std::string::npos)
        << "the viewer behind the NAT is seen at the router's address: " << nat_entry.dump();
  }
  // UDP through the router when the player's first datagrams reached it before ours (then its
  // ports are kept, or latched); TCP after --udp-timeout when the router had to remap both of
  // its ports and nothing told them apart (see the README's NAT paragraph).
  std::printf("[measured] viewer behind the NAT: %s\n", nat_entry.dump().c_str());
  const nlohmann::json lan_entry = find_viewer(*snapshot, kViewer);
  EXPECT_NE(lan_entry.value("remote", "").find(lab().viewer().address), std::string::npos)
      << lan_entry.dump();

  // The broadcaster hangs up: the network side's BYE reaches both viewers, NAT or not.
  ASSERT_TRUE(master.send_signal(SIGINT));
  for (ChildProcess* viewer : {&lan, &natted}) {
    const auto status = wait_exit(*viewer, 20s);
    ASSERT_TRUE(status);
    EXPECT_TRUE(status->success()) << status->describe() << "\n" << output(*viewer);
    EXPECT_NE(output(*viewer).find("BYE from the network side"), std::string::npos)
        << output(*viewer);
  }
  const auto ended = wait_exit(master, 20s);
  ASSERT_TRUE(ended);
  EXPECT_TRUE(ended->success()) << output(master);
  expect_recording_decodes(lan_file, 5, lan);
  expect_recording_decodes(nat_file, 5, natted);
  const auto lan_figures = stats(std::string("watch-") + kViewer);
  ASSERT_TRUE(lan_figures);
  EXPECT_EQ(lan_figures->value("transport", ""), "udp") << lan_figures->dump();
  // Nothing in any terminal's output names loopback: every address crossed a network.
  for (ChildProcess* child : {&master, &lan, &natted}) {
    EXPECT_EQ(output(*child).find("127.0.0.1"), std::string::npos) << output(*child);
  }
}

// A viewer behind the NAT calls, watches for a while and hangs up itself: its BYE (from behind
// the router) ends its part and nothing else.
TEST_F(MultiHostTest, ViewerBehindNatJoinsWatchesAndHangsUp) {
  start_server();
  ChildProcess& master = start_live_broadcast();
  if (HasFailure()) return;
  const auto file = dir() / "nat-viewer.mkv";
  ChildProcess& natted =
      watch(lab().natted_viewer(), kNattedViewer, {"--record", file.string(), "--duration", "9"});
  const auto status = wait_exit(natted, 40s);
  ASSERT_TRUE(status);
  EXPECT_TRUE(status->success()) << status->describe() << "\n" << output(natted);
  expect_recording_decodes(file, 5, natted);
  EXPECT_TRUE(wait_until(
      [&] {
        auto snapshot = group_snapshot();
        return snapshot && find_viewer(*snapshot, kNattedViewer).is_null();
      },
      10s))
      << "the viewer's BYE removed it from the group";
  EXPECT_TRUE(master.running()) << "the broadcast goes on: " << output(master);
}

// What a viewer's recording shows around a disturbance of the broadcaster's path: the longest
// pause in its media time (the gap), and frames on both sides of it.
struct GapFigures {
  LargestGap gap;
  std::size_t frames = 0;
  std::size_t frames_after_gap = 0;
  std::int64_t longest_freeze_ms = -1;  // the viewer's --stats-json
  std::uint64_t packets_late = 0;
};

GapFigures gap_figures(const std::filesystem::path& file, const std::filesystem::path& dir) {
  GapFigures figures;
  const std::vector<double> times = video_frame_times(file, dir);
  figures.gap = largest_gap(times);
  figures.frames = times.size();
  for (double t : times)
    figures.frames_after_gap += t > figures.gap.after_s ? 1 : 0;
  return figures;
}

class MultiHostDisturbanceTest : public MultiHostTest {
 protected:
  // Two viewers (one behind the NAT) recording, for `seconds`.
  void start_viewers(int seconds) {
    lan_file_ = dir() / "lan-viewer.mkv";
    nat_file_ = dir() / "nat-viewer.mkv";
    lan_ = &watch(lab().viewer(), kViewer,
                  {"--record", lan_file_.string(), "--duration", std::to_string(seconds)});
    natted_ = &watch(lab().natted_viewer(), kNattedViewer,
                     {"--record", nat_file_.string(), "--duration", std::to_string(seconds)});
    ASSERT_TRUE(wait_for_output(*lan_, "step 714: first frame", 30s));
    ASSERT_TRUE(wait_for_output(*natted_, "step 714: first frame", 30s));
  }

  // Both viewers played to their --duration (nobody ended them) and kept decoding after the
  // disturbance; their recordings' largest gap is returned for the caller's expectations.
  std::vector<GapFigures> expect_viewers_watched_through() {
    std::vector<GapFigures> gaps;
    for (auto [viewer, file] : {std::pair{lan_, lan_file_}, std::pair{natted_, nat_file_}}) {
      const auto status = wait_exit(*viewer, 60s);
      if (!status) continue;
      EXPECT_TRUE(status->success()) << status->describe() << "\n" << output(*viewer);
      EXPECT_EQ(output(*viewer).find("BYE from the network side"), std::string::npos)
          << "the viewer kept its session: " << output(*viewer);
      GapFigures figures = gap_figures(file, dir());
      std::printf(
          "[measured] %s: %zu frames, largest gap %.3f s after t=%.3f s, %zu frames after it\n",
          file.filename().c_str(), figures.frames, figures.gap.seconds, figures.gap.after_s,
          figures.frames_after_gap);
      EXPECT_GE(figures.frames_after_gap, std::size_t{2 * kPublishFps})
          << file << ": decoding resumed after the disturbance";
      // The viewer's own account, in wall-clock time: the picture froze once, then went on.
      const auto name = std::string("watch-") + (viewer == lan_ ? kViewer : kNattedViewer);
      const auto seen = stats(name);
      if (seen) {
        figures.longest_freeze_ms = seen->value("longest_freeze_ms", std::int64_t{-1});
        figures.packets_late = seen->value("packets_late", std::uint64_t{0});
        std::printf("[measured] %s: longest freeze %lld ms, %llu packets late, %s\n", name.c_str(),
                    static_cast<long long>(figures.longest_freeze_ms),
                    static_cast<unsigned long long>(figures.packets_late),
                    seen->value("freezes", nlohmann::json::array()).dump().c_str());
      }
      EXPECT_TRUE(seen && figures.longest_freeze_ms >= 0) << name << ": no freezes in its stats";
      gaps.push_back(figures);
    }
    return gaps;
  }

  // After a 3 s stall: each viewer's recording has a gap of about the stall (none of the stale
  // backlog was sent, so no frames of the gap) and goes on after it.
  void expect_stall_gap_only() {
    for (const auto& figures : expect_viewers_watched_through()) {
      EXPECT_GT(figures.gap.seconds, 2.0)
          << "the stale backlog was not sent (no frames of the gap)";
      EXPECT_LT(figures.gap.seconds, 6.0);
    }
  }

  ChildProcess* lan_ = nullptr;
  ChildProcess* natted_ = nullptr;
  std::filesystem::path lan_file_;
  std::filesystem::path nat_file_;
};

// The broadcaster's RTSP connection is reset (a mobile path's NAT or a middlebox dropping it):
// it reconnects within the server's grace, keeps its call, and the viewers keep their sessions.
TEST_F(MultiHostDisturbanceTest, BroadcasterConnectionResetReconnectsAndViewersKeepWatching) {
  start_server();
  ChildProcess& master = start_live_broadcast();
  if (HasFailure()) return;
  start_viewers(14);
  if (HasFatalFailure()) return;
  std::this_thread::sleep_for(4s);
  ASSERT_TRUE(lab().reset_tcp(lab().broadcaster(), lab().server().address, kRtspPort));
  EXPECT_TRUE(wait_for_output(master, "reconnecting", 10s));
  const auto gaps = expect_viewers_watched_through();
  for (const auto& figures : gaps) {
    EXPECT_LT(figures.gap.seconds, 5.0) << "viewers decode again within the grace";
  }
  EXPECT_TRUE(master.running()) << "the broadcast survived the reset: " << output(master);
  ASSERT_TRUE(master.send_signal(SIGINT));
  const auto ended = wait_exit(master, 20s);
  ASSERT_TRUE(ended);
  EXPECT_TRUE(ended->success()) << output(master);
}

// The broadcaster's link is gone for 3 s, its TCP connection stays open: the server sees a stall,
// and when the backlog arrives it sends none of it; viewers resume at the next keyframe.
TEST_F(MultiHostDisturbanceTest, BroadcasterLinkDownThreeSecondsLeavesAGapAndNoStaleBurst) {
  CallcastServer& server = start_server();
  ChildProcess& master = start_live_broadcast();
  if (HasFailure()) return;
  start_viewers(14);
  if (HasFatalFailure()) return;
  std::this_thread::sleep_for(4s);
  ASSERT_TRUE(lab().set_link(lab().broadcaster(), false));
  std::this_thread::sleep_for(3s);
  ASSERT_TRUE(lab().set_link(lab().broadcaster(), true));
  EXPECT_TRUE(server.wait_for_log("master_stalled", 5s)) << "the stall was noticed";
  EXPECT_TRUE(server.wait_for_log("master_resumed", 10s));
  expect_stall_gap_only();
  EXPECT_TRUE(master.running()) << output(master);
}

// The broadcaster's process is frozen for 3 s (shorter than the grace): the same gap, the same
// resumption, the call kept.
TEST_F(MultiHostDisturbanceTest, BroadcasterStoppedThreeSecondsResumesAtAKeyframe) {
  CallcastServer& server = start_server();
  ChildProcess& master = start_live_broadcast();
  if (HasFailure()) return;
  start_viewers(14);
  if (HasFatalFailure()) return;
  std::this_thread::sleep_for(4s);
  ASSERT_TRUE(master.send_signal(SIGSTOP));
  std::this_thread::sleep_for(3s);
  ASSERT_TRUE(master.send_signal(SIGCONT));
  EXPECT_TRUE(server.wait_for_log("master_stalled", 5s));
  expect_stall_gap_only();
  EXPECT_TRUE(master.running()) << output(master);
}

// Frozen longer than the grace: master_lost, every viewer gets BYE, and the broadcaster, once it
// runs again, finds its call ended and exits.
TEST_F(MultiHostDisturbanceTest, BroadcasterStoppedLongerThanTheGraceEndsTheBroadcast) {
  CallcastServer& server = start_server();
  ChildProcess& master = start_live_broadcast();
  if (HasFailure()) return;
  start_viewers(30);
  if (HasFatalFailure()) return;
  ASSERT_TRUE(master.send_signal(SIGSTOP));
  EXPECT_TRUE(server.wait_for_log("master_lost", 15s));
  for (ChildProcess* viewer : {lan_, natted_}) {
    const auto status = wait_exit(*viewer, 20s);
    ASSERT_TRUE(status);
    EXPECT_NE(output(*viewer).find("BYE from the network side"), std::string::npos)
        << output(*viewer);
  }
  ASSERT_TRUE(master.send_signal(SIGCONT));
  const auto ended = wait_exit(master, 30s);
  ASSERT_TRUE(ended);
  EXPECT_NE(output(master).find("ended the broadcast"), std::string::npos) << output(master);
}

// Roles apart on the server host: the media role and the signaling role as two processes, each
// restarted under a live broadcast.
class MultiHostRolesTest : public MultiHostDisturbanceTest {
 protected:
  void start_roles() {
    media_ = &start_server("media", "media");
    signaling_ = &start_server("signaling", "signaling");
  }

  // kill -9, then the same role on the same ports, users and rules.
  void crash_and_restart(CallcastServer& role) {
    role.kill();  // its log so far stays beside the next one's, as <log>.killed
    ASSERT_TRUE(role.start());
  }

  CallcastServer* media_ = nullptr;
  CallcastServer* signaling_ = nullptr;
};

// The media role restarts mid-broadcast: its groups are gone. The network side ends the calls
// with the reason (documented choice), the broadcaster says so, the forwarding is cleared.
TEST_F(MultiHostRolesTest, MediaRoleRestartEndsTheBroadcastWithAReason) {
  start_roles();
  ChildProcess& master = start_live_broadcast();
  if (HasFailure()) return;
  start_viewers(60);
  if (HasFatalFailure()) return;
  crash_and_restart(*media_);
  for (ChildProcess* terminal : {&master, lan_, natted_}) {
    const auto status = wait_exit(*terminal, 30s);
    ASSERT_TRUE(status) << output(*terminal);
    EXPECT_NE(output(*terminal).find("restarted"), std::string::npos)
        << "the reason reaches the terminal: " << output(*terminal);
  }
}

// The signaling role restarts mid-broadcast: the broadcast is still known, a new viewer calling
// the broadcaster is admitted and plays, and the broadcaster's hang-up still ends it all.
TEST_F(MultiHostRolesTest, SignalingRoleRestartKeepsTheBroadcastJoinable) {
  start_roles();
  ChildProcess& master = start_live_broadcast();
  if (HasFailure()) return;
  start_viewers(60);
  if (HasFatalFailure()) return;
  crash_and_restart(*signaling_);
  const auto late_file = dir() / "late-viewer.mkv";
  ChildProcess& late =
      watch(lab().viewer(), kLateViewer, {"--record", late_file.string(), "--duration", "5"});
  const auto late_status = wait_exit(late, 40s);
  ASSERT_TRUE(late_status);
  EXPECT_TRUE(late_status->success()) << late_status->describe() << "\n" << output(late);
  expect_recording_decodes(late_file, 4, late);
  EXPECT_TRUE(lan_->running() && natted_->running()) << "existing viewers kept watching";

  ASSERT_TRUE(master.send_signal(SIGINT));
  const auto ended = wait_exit(master, 20s);
  ASSERT_TRUE(ended);
  EXPECT_TRUE(ended->success()) << output(master);
  for (ChildProcess* viewer : {lan_, natted_}) {
    const auto status = wait_exit(*viewer, 20s);
    ASSERT_TRUE(status) << "the viewers end with the broadcast: " << output(*viewer);
  }
  EXPECT_TRUE(wait_until([&] { return group_status() == 404; }, 10s))
      << "the group is closed on the media side";
}

}  // namespace
}  // namespace callcast::test
