// Issue 13 item 6: a master publishing over UDP through a lossy path. callcastd on one lab host,
// ffmpeg publishing RTSP RECORD over UDP from another; 5 % of its RTP is lost on the way in
// (iptables `statistic`: these kernels have no netem). The server, as the stream's receiver,
// NACKs the lost video packets on the master's RTCP port; ffmpeg does not resend, so after its
// retries each loss is given up and a keyframe is asked for. With media.publisher_nack = false
// the server asks for nothing.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "support/callcast_server.hpp"
#include "support/child_process.hpp"
#include "support/control_api.hpp"
#include "support/media_tools.hpp"
#include "support/netns_lab.hpp"
#include "support/netns_scope.hpp"
#include "support/temp_dir.hpp"

namespace callcast::test::publisher_nack_test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kMaster = "13800000001";
constexpr std::uint16_t kRtspPort = 8554;
constexpr std::uint16_t kHttpPort = 8080;

class PublisherNackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto reason = NetnsLab::unavailable_reason()) {
      GTEST_SKIP() << "network namespaces unavailable here: " << *reason;
    }
    const std::string missing = missing_tools();
    ASSERT_TRUE(missing.empty()) << "tools missing: " << missing;
    dir_ = std::make_unique<TempDir>("publisher-nack");
    lab_ = std::make_unique<NetnsLab>(dir_->path());
    ASSERT_TRUE(lab_->ok()) << "cannot build the lab: " << lab_->error();
    // 5 % of the master's RTP is lost on its way into the server's RTP port; its RTSP (TCP), its
    // RTCP and everything toward it pass untouched. Dropped on the server's way in: a drop in
    // the master's own OUTPUT chain fails its send (EPERM), and ffmpeg gives up.
    ASSERT_TRUE(lab_->run(
        lab_->server(),
        {"iptables", "-I", "INPUT", "-p", "udp", "-s", lab_->broadcaster().address, "--dport",
         "8000", "-m", "statistic", "--mode", "random", "--probability", "0.05", "-j", "DROP"}));
  }

  void TearDown() override { lab_.reset(); }

  // The group's qos object after the master published over UDP for a few seconds.
  nlohmann::json run(bool publisher_nack) {
    const auto where = dir_->path() / (publisher_nack ? "nack" : "no-nack");
    std::filesystem::create_directories(where);
    ServerOptions options;
    options.role = "media";
    options.exec_prefix = lab_->in(lab_->server(), {});
    options.config_toml =
        std::string("[media]\npublisher_nack = ") + (publisher_nack ? "true" : "false") + "\n";
    options.rtsp = "0.0.0.0:" + std::to_string(kRtspPort);
    options.rtp_ports = "8000-8001";
    options.http = "0.0.0.0:" + std::to_string(kHttpPort);
    CallcastServer server(CALLCASTD_PATH, where, options);
    const auto started = server.start();
    EXPECT_TRUE(started);
    if (!started) return {};

    std::optional<std::string> publish_url;
    {
      NetnsScope inside(lab_->server().netns);
      publish_url = ControlApi(HttpClient("127.0.0.1", kHttpPort)).create_group(kMaster);
    }
    EXPECT_TRUE(publish_url);
    if (!publish_url) return {};
    ChildOptions publisher_options = ffmpeg_publisher_over(*publish_url, where, "libopus", "udp");
    publisher_options.argv = lab_->in(lab_->broadcaster(), std::move(publisher_options.argv));
    ChildProcess publisher(publisher_options);
    nlohmann::json group;
    {
      NetnsScope inside(lab_->server().netns);
      const ControlApi api(HttpClient("127.0.0.1", kHttpPort));
      const bool live = api.wait_until_live(kMaster, 20s);
      EXPECT_TRUE(live) << publisher.stderr_tail(3000);
      if (!live) return {};
      std::this_thread::sleep_for(6s);  // real-time media: ~30 video packets lost
      if (auto snapshot = api.group(kMaster)) group = *snapshot;
    }
    publisher.terminate(SIGTERM, 5s);
    server.stop();
    std::printf("[e2e] publisher_nack=%d publisher %s qos %s\n", publisher_nack ? 1 : 0,
                group.value("publisher", nlohmann::json()).dump().c_str(),
                group.value("qos", nlohmann::json()).dump().c_str());
    return group;
  }

  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<NetnsLab> lab_;
};

TEST_F(PublisherNackTest, AMasterOnALossyUdpPathIsAskedForWhatItLost) {
  const nlohmann::json on = run(true);
  ASSERT_FALSE(HasFailure());
  ASSERT_TRUE(on.contains("qos")) << on.dump();
  EXPECT_EQ(on["publisher"].value("transport", ""), "udp") << on.dump();
  const auto& qos = on["qos"];
  EXPECT_GT(qos.value("publisher_nacks_sent", 0), 0) << on.dump();
  // ffmpeg's RTSP muxer does not resend: what it lost is given up, and a keyframe asked for.
  EXPECT_GT(qos.value("publisher_packets_lost", 0), 0) << on.dump();
  EXPECT_GT(qos.value("publisher_loss_requests", 0), 0) << on.dump();
  EXPECT_GE(qos.value("publisher_nacks_sent", 0), qos.value("publisher_packets_lost", 0))
      << "each packet given up was asked for first: " << on.dump();

  const nlohmann::json off = run(false);
  ASSERT_FALSE(HasFailure());
  ASSERT_TRUE(off.contains("qos")) << off.dump();
  EXPECT_EQ(off["qos"].value("publisher_nacks_sent", -1), 0) << off.dump();
  EXPECT_EQ(off["qos"].value("publisher_loss_requests", -1), 0) << off.dump();
}

}  // namespace
}  // namespace callcast::test::publisher_nack_test
