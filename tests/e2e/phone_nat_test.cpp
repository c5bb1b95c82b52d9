// Issue 13 across hosts: a SIP phone (baresip) behind a masquerading router (the lab's natted
// host, support/netns_lab.hpp) watches a broadcast, and broadcasts one. Its SDP names its private
// address; the network side sees from its Via that it is behind a NAT and points the media side at
// the router's public address (where its SIP came from); the media side latches onto the ports its
// packets really come from.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "support/baresip_phone.hpp"
#include "support/child_process.hpp"
#include "support/control_api.hpp"
#include "support/lab_terminal_e2e.hpp"
#include "support/wait_until.hpp"

namespace callcast::test::phone_nat_test {
namespace {

using namespace std::chrono_literals;

class PhoneNatTest : public LabTerminalTest {
 protected:
  PhoneNatTest() : LabTerminalTest(CALLCASTD_PATH, CALLCAST_PATH, "phonenat") {}

  // baresip on the host behind the router, as `number`, dialling `dial`.
  ChildProcess& natted_phone(const std::string& name, const std::string& number,
                             const std::string& dial, int quit_after_s,
                             const std::filesystem::path& camera = {}) {
    BaresipPhone phone{dir() / name, number,       kPassword, sip_server(),
                       dial,         quit_after_s, camera,    lab().natted_viewer().address,
                       true};
    ChildOptions options = baresip_phone(phone);
    options.argv = lab().in(lab().natted_viewer(), std::move(options.argv));
    return spawn(std::move(options));
  }
};

TEST_F(PhoneNatTest, APhoneBehindANatWatchesABroadcastOverPlainRtp) {
  ASSERT_EQ(baresip_missing(), "");
  start_server();
  start_live_broadcast();
  if (HasFailure()) return;
  natted_phone("phone", kNattedViewer, kMaster, 8);
  bool seen_latched = false;
  std::string viewer_entry;
  ASSERT_TRUE(wait_until(
      [&] {
        const auto snapshot = group_snapshot();
        if (!snapshot) return false;
        const auto entry = find_viewer(*snapshot, kNattedViewer);
        if (entry.is_null()) return false;
        viewer_entry = entry.dump();
        seen_latched = seen_latched || entry.value("latched", false);
        return entry.value("packets_sent", 0) > 100;
      },
      15s))
      << viewer_entry;
  std::printf("[e2e] phone behind the NAT: %s\n", viewer_entry.c_str());
  EXPECT_NE(viewer_entry.find(lab().nat_public_address()), std::string::npos)
      << "its RTP goes to the router's public address";
  EXPECT_TRUE(wait_until(
      [&] {
        return file_text(dir() / "phone" / "stdout.log").find("video: receiving with resolution") !=
               std::string::npos;
      },
      10s))
      << file_text(dir() / "phone" / "stdout.log");
  const std::string seen = file_text(dir() / "phone" / "stdout.log");
  EXPECT_NE(seen.find("incoming rtp for 'audio' established"), std::string::npos) << seen;
}

TEST_F(PhoneNatTest, APhoneBehindANatBroadcastsAndAViewerOnTheLanDecodesIt) {
  ASSERT_EQ(baresip_missing(), "");
  start_server();
  const auto camera = dir() / "camera.mp4";
  ASSERT_TRUE(make_camera_file(camera, 30));
  natted_phone("broadcaster", kMaster, "777", 14, camera);
  ASSERT_TRUE(wait_until(
      [&] {
        if (group_status() != 200) return false;
        const auto snapshot = group_snapshot();
        if (!snapshot || !snapshot->contains("tracks")) return false;
        for (const auto& track : (*snapshot)["tracks"]) {
          if (track.value("media", "") == "video" && track.value("keyframes", 0) > 0) return true;
        }
        return false;
      },
      15s))
      << file_text(dir() / "broadcaster" / "stdout.log");
  ChildProcess& viewer = watch(lab().viewer(), kViewer, {"--duration", "5"});
  const auto status = wait_exit(viewer, 30s);
  ASSERT_TRUE(status);
  EXPECT_TRUE(status->success()) << output(viewer);
  const auto figures = stats(std::string("watch-") + kViewer);
  ASSERT_TRUE(figures);
  EXPECT_GT(figures->value("frames_decoded", 0), 3 * 25) << figures->dump();
  const auto snapshot = group_snapshot();
  ASSERT_TRUE(snapshot);
  const auto& publisher_entry = (*snapshot)["publisher"];
  EXPECT_EQ(publisher_entry.value("transport", ""), "rtp") << publisher_entry.dump();
  EXPECT_EQ(publisher_entry.value("remote", "").rfind(lab().nat_public_address() + ":", 0), 0U)
      << "its RTP comes from the router's public address: " << publisher_entry.dump();
  const std::string publisher = publisher_entry.dump();
  std::printf(
      "[e2e] phone broadcasting from behind the NAT: %s; the LAN viewer decoded %d frames\n",
      publisher.c_str(), figures->value("frames_decoded", 0));
}

}  // namespace
}  // namespace callcast::test::phone_nat_test
