// GET /metrics during a live broadcast set up through the network side: ffmpeg publishing to the
// 183's URI, a viewer called in over SIP and ffprobe playing its 200's URI. The series move
// (packets out grow, the viewer is counted, its join time observed, the INVITEs counted by kind
// and status) and `promtool check metrics` accepts the exposition. With the roles apart, each
// process serves its own series.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "sipwire/iptv_sdp.hpp"
#include "support/child_process.hpp"
#include "support/sip_e2e.hpp"
#include "support/wait_until.hpp"

namespace callcast::test {
namespace {

// The value of the sample `series` (name and labels exactly as written), if present.
std::optional<double> sample(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ') {
      return std::strtod(line.c_str() + series.size() + 1, nullptr);
    }
  }
  return std::nullopt;
}

double value(const std::string& text, const std::string& series) {
  return sample(text, series).value_or(-1);
}

class MetricsTest : public SipE2eTest {
 protected:
  MetricsTest() : SipE2eTest(CALLCASTD_PATH) {}

  std::string scrape(CallcastServer& from) {
    const HttpResult result = from.http().get("/metrics");
    EXPECT_EQ(result.status, 200) << result.describe();
    return result.body;
  }

  // promtool (Debian package prometheus, in the Makefile's DEB_PACKAGES) lints the text.
  ::testing::AssertionResult promtool_accepts(const std::string& text, const std::string& name) {
    const auto file = dir() / (name + ".prom");
    const auto output = dir() / (name + ".promtool");
    std::ofstream(file) << text;
    const std::string command =
        "promtool check metrics < '" + file.string() + "' > '" + output.string() + "' 2>&1";
    const int status = std::system(command.c_str());
    if (status == 0) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << "promtool check metrics (status " << status << "; `make deps` installs it):\n"
           << file_text(output);
  }

  // The response's Content-Type, as curl sees it.
  std::string content_type(CallcastServer& from) {
    const auto headers = dir() / "metrics.headers";
    const std::string command = "curl -s -o /dev/null -D '" + headers.string() +
                                "' http://127.0.0.1:" + std::to_string(from.http_port()) +
                                "/metrics";
    if (std::system(command.c_str()) != 0) return "(curl failed)";
    std::istringstream lines(file_text(headers));
    std::string line;
    while (std::getline(lines, line)) {
      if (line.rfind("Content-Type: ", 0) == 0) {
        line = line.substr(14);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        return line;
      }
    }
    return "(none)";
  }
};

TEST_F(MetricsTest, SeriesMoveDuringALiveBroadcastAndPromtoolAcceptsThem) {
  const std::string before = scrape(server());
  EXPECT_EQ(value(before, "callcast_groups{state=\"live\"}"), 0) << before;
  EXPECT_EQ(value(before, "callcast_viewer_join_seconds_count"), 0) << before;
  ASSERT_TRUE(promtool_accepts(before, "idle"));
  EXPECT_EQ(content_type(server()), "text/plain; version=0.0.4; charset=utf-8");

  Broadcast broadcast = start_broadcast();
  ASSERT_FALSE(broadcast.publish_url.empty());
  Watch watch{agent(kViewer), nullptr, {}};
  watch.call = watch.agent->call(kMaster, sip::make_iptv_offer("127.0.0.1"));
  ASSERT_TRUE(watch.call->wait_answered(10s));
  watch.play_url = sip::rtsp_uri_from_sdp(watch.call->last_sdp().value_or(""));
  ASSERT_FALSE(watch.play_url.empty());
  auto& player = spawn(ffprobe_live_viewer(watch.play_url, 6, dir(), "ffprobe-viewer"));

  // The player is counted and has its first keyframe.
  std::string live;
  ASSERT_TRUE(wait_until(
      [&] {
        live = scrape(server());
        return value(live, "callcast_viewers{transport=\"udp\"}") +
                       value(live, "callcast_viewers{transport=\"tcp\"}") >=
                   1 &&
               value(live, "callcast_viewer_join_seconds_count") >= 1;
      },
      15s))
      << live;
  EXPECT_EQ(value(live, "callcast_groups{state=\"live\"}"), 1) << live;
  // An RTSP player only: the browser and phone series are there all the same, at 0.
  EXPECT_EQ(value(live, "callcast_viewers{transport=\"webrtc\"}"), 0) << live;
  EXPECT_EQ(value(live, "callcast_viewers{transport=\"rtp\"}"), 0) << live;
  EXPECT_GT(value(live, "callcast_media_received_packets_total"), 0) << live;
  EXPECT_GT(value(live, "callcast_media_received_bytes_total"), 0) << live;
  EXPECT_EQ(value(live, "callcast_viewer_join_seconds_bucket{le=\"+Inf\"}"),
            value(live, "callcast_viewer_join_seconds_count"));
  // Packets out grow while it plays.
  const double sent = value(live, "callcast_media_sent_packets_total");
  std::string later;
  EXPECT_TRUE(wait_until(
      [&] {
        later = scrape(server());
        return value(later, "callcast_media_sent_packets_total") > sent &&
               value(later, "callcast_media_sent_bytes_total") > 0;
      },
      5s))
      << "sent before: " << sent << "\n"
      << later;

  // The SIP side: both INVITEs answered 200 (each after a 401 challenge), set-up times observed.
  EXPECT_GE(value(later, "callcast_sip_invites_total"), 4) << later;
  EXPECT_EQ(value(later, "callcast_sip_invite_responses_total{kind=\"service\",status=\"200\"}"), 1)
      << later;
  EXPECT_EQ(value(later, "callcast_sip_invite_responses_total{kind=\"viewer\",status=\"200\"}"), 1)
      << later;
  EXPECT_GE(
      value(later, "callcast_sip_invite_responses_total{kind=\"unclassified\",status=\"401\"}"), 2)
      << later;
  EXPECT_EQ(value(later, "callcast_sip_setup_seconds_count{kind=\"service\"}"), 1) << later;
  EXPECT_EQ(value(later, "callcast_sip_setup_seconds_count{kind=\"viewer\"}"), 1) << later;
  EXPECT_EQ(value(later, "callcast_sip_calls{kind=\"viewer\"}"), 1) << later;
  EXPECT_GE(value(later, "callcast_sip_registers_total"), 0) << later;
  EXPECT_TRUE(promtool_accepts(later, "live"));
  RecordProperty("live_scrape", later);  // in --gtest_output=xml, for a human to read

  ASSERT_TRUE(player.wait_for(20s)) << "ffprobe did not finish";
  watch.call->hang_up();
  ASSERT_TRUE(watch.call->wait_terminated(5s));
  broadcast.call->hang_up();
  ASSERT_TRUE(broadcast.call->wait_terminated(5s));
  EXPECT_TRUE(wait_all_clean());

  // The group is gone; what it sent and received stays counted.
  const std::string after = scrape(server());
  EXPECT_EQ(value(after, "callcast_groups{state=\"live\"}"), 0) << after;
  EXPECT_GE(value(after, "callcast_media_sent_packets_total"),
            value(later, "callcast_media_sent_packets_total"))
      << after;
  EXPECT_GE(value(after, "callcast_media_received_packets_total"),
            value(later, "callcast_media_received_packets_total"))
      << after;
  EXPECT_TRUE(promtool_accepts(after, "after"));
}

// The roles apart: the media role serves the media series, the signaling role the SIP ones and
// those of its client of the media role's API.
class MetricsRolesApartTest : public MetricsTest {
 protected:
  ServerOptions server_options() const override {
    ServerOptions options = MetricsTest::server_options();
    options.role = "media";
    return options;
  }

  void SetUp() override {
    MetricsTest::SetUp();
    if (HasFatalFailure()) return;
    ServerOptions options = MetricsTest::server_options();
    options.role = "signaling";
    options.extra_args = {"--media-url",
                          "http://127.0.0.1:" + std::to_string(server().http_port())};
    const auto signaling_dir = dir() / "signaling";
    std::filesystem::create_directories(signaling_dir);
    signaling_ = std::make_unique<CallcastServer>(CALLCASTD_PATH, signaling_dir, options);
    ASSERT_TRUE(signaling_->start());
  }

  void TearDown() override {
    signaling_.reset();
    MetricsTest::TearDown();
  }

  CallcastServer& signaling_server() override { return *signaling_; }

  std::unique_ptr<CallcastServer> signaling_;
};

TEST_F(MetricsRolesApartTest, EachProcessServesItsOwnSeries) {
  Broadcast broadcast = start_broadcast();
  ASSERT_FALSE(broadcast.publish_url.empty());

  const std::string media = scrape(server());
  EXPECT_EQ(value(media, "callcast_groups{state=\"live\"}"), 1) << media;
  EXPECT_FALSE(sample(media, "callcast_sip_invites_total")) << media;
  EXPECT_TRUE(promtool_accepts(media, "media"));

  const std::string signaling = scrape(*signaling_);
  EXPECT_FALSE(sample(signaling, "callcast_groups{state=\"live\"}")) << signaling;
  EXPECT_EQ(
      value(signaling, "callcast_sip_invite_responses_total{kind=\"service\",status=\"200\"}"), 1)
      << signaling;
  EXPECT_GT(value(signaling, "callcast_media_api_requests_total"), 0) << signaling;
  EXPECT_TRUE(promtool_accepts(signaling, "signaling"));

  broadcast.call->hang_up();
  ASSERT_TRUE(broadcast.call->wait_terminated(5s));
  EXPECT_TRUE(wait_all_clean());
}

}  // namespace
}  // namespace callcast::test
