// The command-line option table: every flag names its config key, shows the default a Config
// really has, and applies a value as the config file would.
#include "core/config_options.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

namespace callcast::core {
namespace {

using ::testing::HasSubstr;

const ConfigOption& option(std::string_view flag) {
  for (const ConfigOption& o : config_options()) {
    if (o.flag == flag) return o;
  }
  ADD_FAILURE() << "no option " << flag;
  return config_options().front();
}

TEST(ConfigOptionsTest, EveryFlagIsListedOnceWithItsKey) {
  std::set<std::string_view> flags;
  for (const ConfigOption& o : config_options()) {
    EXPECT_TRUE(o.flag.starts_with("--")) << o.flag;
    EXPECT_FALSE(o.key.empty()) << o.flag;
    EXPECT_FALSE(o.help.empty()) << o.flag;
    EXPECT_TRUE(flags.insert(o.flag).second) << o.flag << " twice";
  }
  for (const char* flag : {"--role", "--rtsp", "--http", "--rtp-ports", "--sip", "--workers",
                           "--public-host", "--media-url", "--users", "--forwarding-db",
                           "--service-number", "--log-level", "--redis-url", "--node-id"}) {
    EXPECT_TRUE(flags.contains(flag)) << flag;
  }
}

TEST(ConfigOptionsTest, HelpShowsTheDefaultsOfConfigItself) {
  EXPECT_EQ(option("--rtsp").help_text(),
            "RTSP listen address (media.rtsp, default 127.0.0.1:8554)");
  EXPECT_THAT(option("--rtp-ports").help_text(), HasSubstr("(media.rtp_ports, default 8000-8001)"));
  EXPECT_THAT(option("--sip").help_text(), HasSubstr("(sip.listen, default 127.0.0.1:5060)"));
  EXPECT_THAT(option("--http").help_text(), HasSubstr("(http.listen, default 127.0.0.1:8080)"));
  EXPECT_THAT(option("--service-number").help_text(), HasSubstr("default 777)"));
  EXPECT_THAT(option("--media-url").help_text(), HasSubstr("(sip.media_url, default none)"));
  EXPECT_THAT(option("--role").help_text(), HasSubstr("default all)"));
  EXPECT_THAT(option("--redis-url").help_text(),
              HasSubstr("empty: a single node, no Redis (cluster.redis_url, default none)"));
  // Another default Config shows other defaults: nothing is written twice.
  Config other;
  other.media.rtsp.port = 9554;
  EXPECT_THAT(option("--rtsp").help_text(other), HasSubstr("default 127.0.0.1:9554)"));
}

TEST(ConfigOptionsTest, ShowThenApplyGivesTheSameConfig) {
  Config changed;
  changed.role = Role::media;
  changed.media.rtsp = {"::1", 554};
  changed.media.rtp_ports = {9000, 9001};
  changed.media.workers = 3;
  changed.media.rtx_window = std::chrono::milliseconds(0);
  changed.sip.service_number = "888";
  changed.log_level = "debug";
  changed.cluster.redis_url = "tcp://10.0.0.5:6379";
  changed.cluster.node_id = "media-1:8080";
  Config rebuilt;
  for (const ConfigOption& o : config_options()) {
    ASSERT_TRUE(apply_flag(o, o.show(changed), rebuilt).ok()) << o.flag;
  }
  EXPECT_EQ(rebuilt, changed);
}

TEST(ConfigOptionsTest, BadValuesAreErrorsNamingTheFlag) {
  Config config;
  const auto rtsp = apply_flag(option("--rtsp"), "127.0.0.1", config);
  ASSERT_FALSE(rtsp.ok());
  EXPECT_EQ(rtsp.error(), "--rtsp: missing port in \"127.0.0.1\"");
  const auto role = apply_flag(option("--role"), "both", config);
  ASSERT_FALSE(role.ok());
  EXPECT_THAT(role.error(), HasSubstr("--role: unknown role \"both\""));
  EXPECT_THAT(apply_flag(option("--service-number"), "7 7", config).error(),
              HasSubstr("--service-number: invalid number \"7 7\""));
  EXPECT_THAT(apply_flag(option("--workers"), "257", config).error(), HasSubstr("--workers:"));
  EXPECT_FALSE(apply_flag(option("--workers"), "-1", config).ok());
  EXPECT_FALSE(apply_flag(option("--rtp-ports"), "8000-8002", config).ok());
  EXPECT_THAT(apply_flag(option("--rtx-window-ms"), "10001", config).error(),
              HasSubstr("--rtx-window-ms:"));
  EXPECT_FALSE(apply_flag(option("--rtx-window-ms"), "0.5", config).ok());
  EXPECT_THAT(apply_flag(option("--redis-url"), "redis://10.0.0.5", config).error(),
              HasSubstr("--redis-url: unsupported scheme \"redis://\""));
  EXPECT_THAT(apply_flag(option("--node-id"), "a b", config).error(),
              HasSubstr("--node-id: invalid node id \"a b\""));
  EXPECT_EQ(config, Config{});  // a refused value changes nothing
}

}  // namespace
}  // namespace callcast::core
