// Issue 13 items 5, 6 and 8 with a real phone: Debian's baresip calls the service number with its
// ordinary audio/video offer and broadcasts a test pattern (H.264 by libx264) and a tone (Opus)
// over plain RTP; the network side creates the group and answers recvonly; the media side takes
// the phone's RTP as the group's publisher. Every kind of viewer then watches it: `callcast
// watch` (by calling the phone's number), ffprobe over RTSP (a play URL from the control API),
// and a second baresip calling the phone's number. The phone's hang-up ends it all.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>

#include "support/baresip_phone.hpp"
#include "support/child_process.hpp"
#include "support/media_tools.hpp"
#include "support/terminal_e2e.hpp"
#include "support/wait_until.hpp"

namespace callcast::test::phone_broadcast_test {
namespace {

class PhoneBroadcastTest : public TerminalE2eTest {
 protected:
  PhoneBroadcastTest() : TerminalE2eTest(CALLCASTD_PATH, CALLCAST_PATH) {}
};

TEST_F(PhoneBroadcastTest, BaresipBroadcastsAndATerminalRtspAndAnotherPhoneWatchIt) {
  ASSERT_EQ(baresip_missing(), "") << "apt-get install baresip baresip-ffmpeg";
  const auto camera = dir() / "camera.mp4";
  ASSERT_TRUE(make_camera_file(camera, 40));
  const auto broadcaster_dir = dir() / "baresip-broadcaster";
  auto& broadcaster = spawn(baresip_phone(
      {broadcaster_dir, kMaster, kPassword, sip_domain(), kServiceNumber, 16, camera}));
  ASSERT_TRUE(broadcaster.started()) << broadcaster.error();
  ASSERT_TRUE(server().wait_for_log("step=707 event=broadcast_answered", 10s))
      << server().log_tail() << file_text(broadcaster_dir / "stdout.log");
  EXPECT_TRUE(server().wait_for_log("phone publishing over RTP", 1s));
  // 708: the network side forwards the phone's number to the service (a phone sets none).
  EXPECT_TRUE(wait_until([&] { return ut("GET", kMaster).status == 200; }, 5s));
  // Its first keyframe is in the relay before viewers come.
  ASSERT_TRUE(wait_until(
      [&] {
        const auto group = api().http().get("/v1/groups/" + std::string(kMaster));
        if (group.status != 200) return false;
        const auto json = nlohmann::json::parse(group.body, nullptr, false);
        if (json.is_discarded() || !json.contains("tracks")) return false;
        for (const auto& track : json["tracks"]) {
          if (track.value("media", "") == "video" && track.value("keyframes", 0) > 0) return true;
        }
        return false;
      },
      10s))
      << server().log_tail();

  // A callcast terminal calls the phone's number (710-714, RTSP).
  ChildProcess& terminal = watch(kMaster, kViewer, {"--duration", "5"});
  // ffprobe plays a URL the control API admitted (RTSP/UDP).
  const auto play_url = api().admit_viewer(kMaster, kViewer2);
  ASSERT_TRUE(play_url);
  auto& rtsp_viewer = spawn(ffprobe_live_viewer(*play_url, 5, dir(), "ffprobe-viewer"));
  // A second phone calls the phone's number (plain RTP, 710-714 without RTSP).
  const auto watcher_dir = dir() / "baresip-viewer";
  auto& watcher =
      spawn(baresip_phone({watcher_dir, kOther, kPassword, sip_domain(), kMaster, 7, {}}));
  ASSERT_TRUE(watcher.started()) << watcher.error();

  const auto terminal_exit = wait_exit(terminal, 30s);
  ASSERT_TRUE(terminal_exit);
  EXPECT_TRUE(terminal_exit->success()) << output(terminal);
  EXPECT_NE(output(terminal).find("step 714: first frame"), std::string::npos) << output(terminal);
  const auto figures = stats("watch-" + std::string(kViewer));
  ASSERT_TRUE(figures);
  EXPECT_GT(figures->value("frames_decoded", 0), 3 * kPublishFps) << figures->dump();
  std::printf("[e2e] callcast watch of the phone: join %d ms, %d frames decoded in 5 s\n",
              figures->value("join_ms", 0), figures->value("frames_decoded", 0));

  ASSERT_TRUE(rtsp_viewer.wait_for(20s));
  const auto decoded = decoded_from_ffprobe_json(file_text(rtsp_viewer.options().stdout_file),
                                                 file_text(rtsp_viewer.options().stderr_file));
  EXPECT_TRUE(decoded.error.empty()) << decoded.error;
  EXPECT_GT(decoded.video_frames, 2 * kPublishFps) << decoded.describe();
  EXPECT_GT(decoded.audio_frames, 0) << decoded.describe();
  std::printf("[e2e] ffprobe over RTSP: %s\n", decoded.describe().c_str());

  ASSERT_TRUE(watcher.wait_for(20s));
  const std::string seen = file_text(watcher_dir / "stdout.log");
  EXPECT_NE(seen.find("Call established"), std::string::npos) << seen;
  const auto picture = seen.find("video: receiving with resolution");
  EXPECT_NE(picture, std::string::npos) << seen;
  if (picture != std::string::npos) {
    std::printf("[e2e] baresip watching: %s\n",
                seen.substr(picture, seen.find('\n', picture) - picture).c_str());
  }
  EXPECT_NE(seen.find("incoming rtp for 'audio' established"), std::string::npos) << seen;

  // The broadcaster quits (16 s) and hangs up: the group and its forwarding go (item 8).
  EXPECT_TRUE(server().wait_for_log("step=703 event=call_ended role=master by=BYE", 30s))
      << server().log_tail();
  const std::string sent = file_text(broadcaster_dir / "stdout.log");
  EXPECT_NE(sent.find("Call established"), std::string::npos) << sent;
  EXPECT_TRUE(wait_until([&] { return ut("GET", kMaster).status == 404; }, 5s));
  EXPECT_TRUE(wait_all_clean());
}

}  // namespace
}  // namespace callcast::test::phone_broadcast_test
