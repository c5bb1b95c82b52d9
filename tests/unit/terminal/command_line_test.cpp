// The callcast command line: each flag lands in the session's configuration, defaults as
// documented, and a wrong value gives one line.
#include "terminal/command_line.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace callcast::terminal {
namespace {

class CommandLineTest : public ::testing::Test {
 protected:
  // Parses `args` after the program name; the exit code when parsing ended the program.
  std::optional<int> parse(std::vector<const char*> args) {
    args.insert(args.begin(), "callcast");
    return command_line_.parse(static_cast<int>(args.size()), args.data());
  }

  BroadcastConfig broadcast_config() {
    auto config = command_line_.broadcast_config(phone_);
    EXPECT_TRUE(config.ok()) << config.error();
    return config.ok() ? *config : BroadcastConfig{};
  }

  CommandLine command_line_;
  PhoneOptions phone_;
};

TEST_F(CommandLineTest, BroadcastDefaults) {
  ASSERT_EQ(parse({"broadcast", "--number", "13800000001"}), std::nullopt);
  EXPECT_TRUE(command_line_.broadcasting());
  EXPECT_EQ(command_line_.account().number, "13800000001");
  EXPECT_EQ(command_line_.account().server, "127.0.0.1");
  EXPECT_EQ(command_line_.account().log_level, "warn");
  const BroadcastConfig config = broadcast_config();
  EXPECT_EQ(config.service_number, "777");
  EXPECT_EQ(config.ut_url, "http://127.0.0.1:8080");
  EXPECT_FALSE(config.ut_url_explicit);
  EXPECT_EQ(config.duration, std::nullopt);
  EXPECT_EQ(config.media.source.kind, SourceSpec::Kind::test);
  EXPECT_FALSE(config.media.source2);
  EXPECT_EQ(config.media.audio, AudioSource::test);
  EXPECT_EQ(config.media.audio_codec, AudioCodec::aac);
  EXPECT_EQ(config.media.width, 1280);
  EXPECT_EQ(config.media.height, 720);
  EXPECT_EQ(config.media.fps, 30);
  EXPECT_EQ(config.media.bitrate_kbps, 2000);
  EXPECT_EQ(config.media.min_bitrate_kbps, 0);  // a quarter of the bitrate
  EXPECT_EQ(min_bitrate_kbps_of(config.media), 500);
  EXPECT_EQ(config.media.keyframe_interval_s, 2);
  EXPECT_TRUE(config.media.clock_overlay);
  EXPECT_EQ(config.media.reconnect_for, std::chrono::milliseconds(5000));
}

TEST_F(CommandLineTest, BroadcastFlags) {
  ASSERT_EQ(parse({"broadcast",
                   "--number",
                   "1",
                   "--server",
                   "10.0.0.1:5070",
                   "--source",
                   "file:/tmp/a.mp4",
                   "--source2",
                   "test",
                   "--audio",
                   "none",
                   "--audio-codec",
                   "opus",
                   "--size",
                   "640x360",
                   "--fps",
                   "25",
                   "--bitrate",
                   "800k",
                   "--min-bitrate",
                   "300k",
                   "--keyframe-interval",
                   "1",
                   "--service-number",
                   "888",
                   "--ut-url",
                   "http://ut:9090",
                   "--no-clock-overlay",
                   "--reconnect-for",
                   "2.5",
                   "--duration",
                   "10",
                   "--stats-json",
                   "/tmp/s.json"}),
            std::nullopt);
  const BroadcastConfig config = broadcast_config();
  EXPECT_EQ(config.service_number, "888");
  EXPECT_EQ(config.ut_url, "http://ut:9090");
  EXPECT_TRUE(config.ut_url_explicit);
  EXPECT_EQ(config.duration, std::chrono::seconds(10));
  EXPECT_EQ(config.stats_json, "/tmp/s.json");
  EXPECT_EQ(config.media.source.kind, SourceSpec::Kind::file);
  EXPECT_EQ(config.media.source.path, "/tmp/a.mp4");
  ASSERT_TRUE(config.media.source2);
  EXPECT_EQ(config.media.source2->kind, SourceSpec::Kind::test);
  EXPECT_EQ(config.media.audio, AudioSource::none);
  EXPECT_EQ(config.media.audio_codec, AudioCodec::opus);
  EXPECT_EQ(config.media.width, 640);
  EXPECT_EQ(config.media.height, 360);
  EXPECT_EQ(config.media.fps, 25);
  EXPECT_EQ(config.media.bitrate_kbps, 800);
  EXPECT_EQ(min_bitrate_kbps_of(config.media), 300);
  EXPECT_EQ(config.media.keyframe_interval_s, 1);
  EXPECT_FALSE(config.media.clock_overlay);
  EXPECT_EQ(config.media.reconnect_for, std::chrono::milliseconds(2500));
}

TEST_F(CommandLineTest, TheDefaultUtUrlIsOnTheServersHost) {
  ASSERT_EQ(parse({"broadcast", "--number", "1", "--server", "10.0.0.1:5070"}), std::nullopt);
  EXPECT_EQ(broadcast_config().ut_url, "http://10.0.0.1:8080");
}

TEST_F(CommandLineTest, NoForwardingLeavesTheUtUrlEmpty) {
  ASSERT_EQ(parse({"broadcast", "--number", "1", "--no-forwarding"}), std::nullopt);
  EXPECT_EQ(broadcast_config().ut_url, "");
}

TEST_F(CommandLineTest, AWrongValueIsOneLine) {
  ASSERT_EQ(parse({"broadcast", "--number", "1", "--size", "641x360"}), std::nullopt);
  auto config = command_line_.broadcast_config(phone_);
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().find("641x360"), std::string::npos) << config.error();
}

TEST_F(CommandLineTest, AWrongSourceIsOneLine) {
  ASSERT_EQ(parse({"broadcast", "--number", "1", "--source2", "camera"}), std::nullopt);
  auto config = command_line_.broadcast_config(phone_);
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().find("unknown source 'camera'"), std::string::npos) << config.error();
}

TEST_F(CommandLineTest, WatchDefaultsDecodeOnly) {
  ASSERT_EQ(parse({"watch", "13800000001", "--number", "13800000002"}), std::nullopt);
  EXPECT_FALSE(command_line_.broadcasting());
  EXPECT_EQ(command_line_.account().number, "13800000002");
  EXPECT_TRUE(command_line_.decoding_only());
  const WatchConfig config = command_line_.watch_config(phone_);
  EXPECT_EQ(config.target, "13800000001");
  EXPECT_FALSE(config.media.display);
  EXPECT_EQ(config.media.record_path, "");
  EXPECT_EQ(config.media.latency_ms, 200);
  EXPECT_EQ(config.media.udp_timeout, std::chrono::milliseconds(3000));
  EXPECT_EQ(config.media.transport, RtpTransport::udp_then_tcp);
  EXPECT_EQ(config.duration, std::nullopt);
}

TEST_F(CommandLineTest, WatchFlags) {
  ASSERT_EQ(parse({"watch", "13800000001", "--number", "2", "--record", "/tmp/o.mkv", "--latency",
                   "50", "--udp-timeout", "500", "--duration", "3", "--transport", "tcp"}),
            std::nullopt);
  EXPECT_FALSE(command_line_.decoding_only());
  EXPECT_EQ(command_line_.account().transport, "tcp");
  const WatchConfig config = command_line_.watch_config(phone_);
  EXPECT_EQ(config.media.record_path, "/tmp/o.mkv");
  EXPECT_EQ(config.media.latency_ms, 50);
  EXPECT_EQ(config.media.udp_timeout, std::chrono::milliseconds(500));
  EXPECT_EQ(config.duration, std::chrono::seconds(3));
}

TEST_F(CommandLineTest, WatchRtspTransport) {
  ASSERT_EQ(parse({"watch", "13800000001", "--number", "2", "--rtsp-transport", "tcp"}),
            std::nullopt);
  EXPECT_EQ(command_line_.watch_config(phone_).media.transport, RtpTransport::tcp);
  CommandLine udp;
  const char* udp_args[] = {"callcast", "watch", "1", "--number", "2", "--rtsp-transport", "udp"};
  ASSERT_EQ(udp.parse(7, udp_args), std::nullopt);
  EXPECT_EQ(udp.watch_config(phone_).media.transport, RtpTransport::udp);
  CommandLine bad;
  testing::internal::CaptureStderr();
  const char* bad_args[] = {"callcast", "watch", "1", "--number", "2", "--rtsp-transport", "sctp"};
  EXPECT_NE(bad.parse(7, bad_args).value_or(0), 0);
  testing::internal::GetCapturedStderr();
}

TEST_F(CommandLineTest, HelpEndsWithZeroAndMistakesWithAnError) {
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  EXPECT_EQ(parse({"--help"}), 0);
  CommandLine again;
  const char* none[] = {"callcast"};
  EXPECT_NE(again.parse(1, none), std::nullopt);  // a subcommand is required
  CommandLine missing;
  const char* no_number[] = {"callcast", "broadcast"};
  EXPECT_NE(missing.parse(2, no_number).value_or(0), 0);
  CommandLine bad;
  const char* bad_transport[] = {"callcast", "watch", "1", "--number", "2", "--transport", "sctp"};
  EXPECT_NE(bad.parse(7, bad_transport).value_or(0), 0);
  testing::internal::GetCapturedStdout();
  testing::internal::GetCapturedStderr();
}

}  // namespace
}  // namespace callcast::terminal
