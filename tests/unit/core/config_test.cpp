#include "core/config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace callcast::core {
namespace {

using ::testing::HasSubstr;

std::string parse_error(std::string_view toml) {
  auto config = parse_config_toml(toml);
  EXPECT_FALSE(config.ok()) << toml;
  return config.ok() ? std::string() : config.error();
}

Config parse_ok(std::string_view toml, Config base = {}) {
  auto config = parse_config_toml(toml, std::move(base));
  EXPECT_TRUE(config.ok()) << (config.ok() ? "" : config.error());
  return config.ok() ? *config : Config{};
}

TEST(ParseRoleTest, AcceptsTheThreeRolesAndRoundTrips) {
  for (Role role : {Role::all, Role::media, Role::signaling}) {
    EXPECT_EQ(*parse_role(to_string(role)), role);
  }
  EXPECT_EQ(to_string(Role::signaling), "signaling");
  EXPECT_FALSE(parse_role("All").ok());
  EXPECT_FALSE(parse_role("").ok());
  EXPECT_THAT(parse_role("relay").error(), HasSubstr("relay"));
}

// ---- TOML ------------------------------------------------------------------------------------

TEST(ConfigDefaultsTest, MatchTheDesign) {
  const Config config;
  EXPECT_EQ(config.role, Role::all);
  EXPECT_EQ(config.log_level, "info");
  EXPECT_TRUE(config.token_secret.empty());
  EXPECT_EQ(config.media.rtsp, (HostPort{"127.0.0.1", 8554}));
  EXPECT_EQ(config.media.rtp_ports, (PortPair{8000, 8001}));
  EXPECT_EQ(config.http.listen, (HostPort{"127.0.0.1", 8080}));
  EXPECT_EQ(config.sip.listen, (HostPort{"127.0.0.1", 5060}));
  EXPECT_EQ(config.sip.service_number, "777");
  EXPECT_EQ(config.media.workers, 0u) << "0: one fan-out worker per usable core";
  EXPECT_TRUE(config.media.udp_gso);
  EXPECT_EQ(config.media.publisher_stall, std::chrono::seconds(2));
  EXPECT_EQ(config.media.publisher_grace, std::chrono::seconds(5));
  EXPECT_EQ(config.media.rtx_window, std::chrono::milliseconds(500));
  EXPECT_DOUBLE_EQ(config.media.rtx_max_share, 0.25);
  EXPECT_EQ(config.media.keyframe_request_interval, std::chrono::milliseconds(1000));
  EXPECT_TRUE(config.media.rate_control);
  EXPECT_TRUE(config.media.thinning);
  EXPECT_DOUBLE_EQ(config.media.congested_share, 0.5);
  EXPECT_EQ(config.sip.viewer_media_start_timeout, std::chrono::seconds(15));
  EXPECT_TRUE(config.sip.auto_forwarding);
}

TEST(ParseConfigTomlTest, KeyframeRequestsAndRateControlAreBounded) {
  const Config set = parse_ok(
      "[media]\nkeyframe_request_interval_ms = 500\nrate_control = false\ncongested_share = 0.3\n"
      "thinning = false\n",
      Config{});
  EXPECT_EQ(set.media.keyframe_request_interval, std::chrono::milliseconds(500));
  EXPECT_FALSE(set.media.rate_control);
  EXPECT_DOUBLE_EQ(set.media.congested_share, 0.3);
  EXPECT_FALSE(set.media.thinning);
  EXPECT_THAT(parse_error("[media]\nkeyframe_request_interval_ms = 50\n"),
              HasSubstr("media.keyframe_request_interval_ms"));
  EXPECT_THAT(parse_error("[media]\nrate_control = 1\n"), HasSubstr("media.rate_control"));
  EXPECT_THAT(parse_error("[media]\nthinning = \"yes\"\n"), HasSubstr("media.thinning"));
  EXPECT_THAT(parse_error("[media]\ncongested_share = 2\n"),
              HasSubstr("media.congested_share: must be between 0 and 1"));
}

TEST(ParseConfigTomlTest, PublisherNackIsOnByDefaultAndCanBeTurnedOff) {
  EXPECT_TRUE(Config{}.media.publisher_nack);
  EXPECT_FALSE(parse_ok("[media]\npublisher_nack = false\n", Config{}).media.publisher_nack);
  EXPECT_THAT(parse_error("[media]\npublisher_nack = 0\n"), HasSubstr("media.publisher_nack"));
}

TEST(ParseConfigTomlTest, RepairWindowAndShareAreBounded) {
  const Config off = parse_ok("[media]\nrtx_window_ms = 0\nrtx_max_share = 0.1\n", Config{});
  EXPECT_EQ(off.media.rtx_window, std::chrono::milliseconds(0));
  EXPECT_DOUBLE_EQ(off.media.rtx_max_share, 0.1);
  EXPECT_DOUBLE_EQ(parse_ok("[media]\nrtx_max_share = 1\n", Config{}).media.rtx_max_share, 1.0);
  EXPECT_THAT(parse_error("[media]\nrtx_window_ms = 10001\n"), HasSubstr("media.rtx_window_ms"));
  EXPECT_THAT(parse_error("[media]\nrtx_max_share = 1.5\n"),
              HasSubstr("media.rtx_max_share: must be between 0 and 1"));
  EXPECT_THAT(parse_error("[media]\nrtx_max_share = \"a lot\"\n"),
              HasSubstr("media.rtx_max_share: expected a number"));
}

TEST(ParseConfigTomlTest, WorkersAreBoundedAndGsoIsABoolean) {
  EXPECT_TRUE(parse_config_toml("[media]\nworkers = 0\n").ok());
  EXPECT_TRUE(parse_config_toml("[media]\nworkers = 256\n").ok());
  EXPECT_THAT(parse_error("[media]\nworkers = 257\n"), HasSubstr("media.workers"));
  EXPECT_THAT(parse_error("[media]\nworkers = -1\n"), HasSubstr("media.workers"));
  EXPECT_THAT(parse_error("[media]\nudp_gso = 1\n"),
              HasSubstr("media.udp_gso: expected true or false"));
}

TEST(ParseConfigTomlTest, EmptyDocumentKeepsTheBase) {
  Config base;
  base.role = Role::media;
  base.media.max_groups = 7;
  base.http.api_key = "key";
  EXPECT_EQ(parse_ok("", base), base);
  EXPECT_EQ(parse_ok("# only a comment\n[media]\n[http]\n[sip]\n", base), base);
}

TEST(ParseConfigTomlTest, EveryKeyIsApplied) {
  const Config config = parse_ok(R"(
    role = "media"
    log_level = "debug"
    token_secret = "s3cret"
    [media]
    rtsp = "[::1]:9554"
    rtp_ports = "9000-9001"
    public_host = "media.example.org"
    max_groups = 11
    max_viewers_per_group = 12
    max_rtsp_message_bytes = 2048
    max_rtsp_headers = 13
    max_connections = 14
    session_timeout_s = 15
    idle_timeout_s = 16
    publisher_grace_s = 17
    publisher_stall_s = 19
    token_ttl_s = 18
    webrtc_consent_timeout_s = 12
    workers = 3
    udp_gso = false
    [http]
    listen = "0.0.0.0:9080"
    api_key = "k3y"
    [sip]
    listen = "10.0.0.1:5070"
    service_number = "888"
    viewer_media_start_timeout_s = 21
    auto_forwarding = false
  )");
  EXPECT_EQ(config.role, Role::media);
  EXPECT_EQ(config.log_level, "debug");
  EXPECT_EQ(config.token_secret, "s3cret");
  EXPECT_EQ(config.media.rtsp, (HostPort{"::1", 9554}));
  EXPECT_EQ(config.media.rtp_ports, (PortPair{9000, 9001}));
  EXPECT_EQ(config.media.public_host, "media.example.org");
  EXPECT_EQ(config.media.max_groups, 11u);
  EXPECT_EQ(config.media.max_viewers_per_group, 12u);
  EXPECT_EQ(config.media.max_rtsp_message_bytes, 2048u);
  EXPECT_EQ(config.media.max_rtsp_headers, 13u);
  EXPECT_EQ(config.media.max_connections, 14u);
  EXPECT_EQ(config.media.session_timeout, std::chrono::seconds(15));
  EXPECT_EQ(config.media.idle_timeout, std::chrono::seconds(16));
  EXPECT_EQ(config.media.publisher_grace, std::chrono::seconds(17));
  EXPECT_EQ(config.media.publisher_stall, std::chrono::seconds(19));
  EXPECT_EQ(config.media.token_ttl, std::chrono::seconds(18));
  EXPECT_EQ(config.media.webrtc_consent_timeout, std::chrono::seconds(12));
  EXPECT_EQ(config.media.workers, 3u);
  EXPECT_FALSE(config.media.udp_gso);
  EXPECT_EQ(config.http.listen, (HostPort{"0.0.0.0", 9080}));
  EXPECT_EQ(config.http.api_key, "k3y");
  EXPECT_EQ(config.sip.listen, (HostPort{"10.0.0.1", 5070}));
  EXPECT_EQ(config.sip.service_number, "888");
  EXPECT_EQ(config.sip.viewer_media_start_timeout, std::chrono::seconds(21));
  EXPECT_FALSE(config.sip.auto_forwarding);
}

TEST(ParseConfigTomlTest, KeysNotPresentKeepTheBaseValues) {
  Config base;
  base.media.max_groups = 42;
  base.sip.service_number = "999";
  base.token_secret = "from flags";
  const Config config = parse_ok("[media]\nmax_viewers_per_group = 5\n", base);
  Config expected = base;
  expected.media.max_viewers_per_group = 5;
  EXPECT_EQ(config, expected);
}

TEST(ParseConfigTomlTest, DottedKeysAndInlineTablesWork) {
  const Config config = parse_ok("media.max_groups = 3\nhttp = { api_key = \"x\" }\n");
  EXPECT_EQ(config.media.max_groups, 3u);
  EXPECT_EQ(config.http.api_key, "x");
}

TEST(ParseConfigTomlTest, UnknownKeysAreErrorsNamingTheKey) {
  EXPECT_THAT(parse_error("[media]\nrtsp_port = 8554\n"), HasSubstr("unknown key media.rtsp_port"));
  EXPECT_THAT(parse_error("rol = \"all\"\n"), HasSubstr("unknown key rol"));
  EXPECT_THAT(parse_error("[http]\napikey = \"\"\n"), HasSubstr("unknown key http.apikey"));
  EXPECT_THAT(parse_error("[sip]\nport = 5060\n"), HasSubstr("unknown key sip.port"));
}

TEST(ParseConfigTomlTest, UnknownTablesAreErrorsNamingTheTable) {
  EXPECT_THAT(parse_error("[rtsp]\nlisten = \"127.0.0.1:8554\"\n"), HasSubstr("unknown key rtsp"));
  EXPECT_THAT(parse_error("[media.limits]\nmax = 1\n"), HasSubstr("unknown key media.limits"));
  EXPECT_THAT(parse_error("[[media]]\n"), HasSubstr("media: expected a table, got an array"));
}

TEST(ParseConfigTomlTest, ErrorsSayWhereTheKeyIs) {
  EXPECT_THAT(parse_error("role = \"all\"\n\n[media]\nrtsp_port = 1\n"), HasSubstr("line 4"));
}

TEST(ParseConfigTomlTest, WrongTypesAreErrorsNamingKeyAndExpectedType) {
  EXPECT_THAT(parse_error("[media]\nmax_groups = \"10\"\n"),
              HasSubstr("media.max_groups: expected an integer, got a string"));
  EXPECT_THAT(parse_error("[media]\nmax_groups = 10.0\n"),
              HasSubstr("media.max_groups: expected an integer, got a float"));
  EXPECT_THAT(parse_error("[media]\nsession_timeout_s = true\n"),
              HasSubstr("media.session_timeout_s: expected an integer, got a boolean"));
  EXPECT_THAT(parse_error("[media]\nrtsp = 8554\n"),
              HasSubstr("media.rtsp: expected a string, got an integer"));
  EXPECT_THAT(parse_error("[media]\nrtp_ports = [8000, 8001]\n"),
              HasSubstr("media.rtp_ports: expected a string, got an array"));
  EXPECT_THAT(parse_error("role = 1\n"), HasSubstr("role: expected a string"));
  EXPECT_THAT(parse_error("token_secret = 1\n"), HasSubstr("token_secret: expected a string"));
  EXPECT_THAT(parse_error("media = 3\n"), HasSubstr("media: expected a table, got an integer"));
  EXPECT_THAT(parse_error("[http]\napi_key = 1\n"), HasSubstr("http.api_key: expected a string"));
  EXPECT_THAT(parse_error("[sip]\nservice_number = 777\n"),
              HasSubstr("sip.service_number: expected a string, got an integer"));
}

TEST(ParseConfigTomlTest, HttpPublicUrlIsAPlainHttpBaseUrl) {
  EXPECT_EQ(parse_ok("[http]\npublic_url = \"http://callcast.example:8080\"\n").http.public_url,
            "http://callcast.example:8080");
  EXPECT_EQ(parse_ok("").http.public_url, "") << "empty by default: the listen address";
  EXPECT_EQ(parse_ok("[http]\nweb_root = \"/srv/callcast/web\"\n").http.web_root,
            "/srv/callcast/web");
  EXPECT_EQ(parse_ok("").http.web_root, "") << "empty by default: the built-in web/dist";
  EXPECT_THAT(parse_error("[http]\nweb_root = 1\n"), HasSubstr("http.web_root: expected a string"));
  for (std::string_view bad : {"https://h:1", "h:8080", "http://", "http://h:1/", "http://h :1"}) {
    EXPECT_THAT(parse_error("[http]\npublic_url = \"" + std::string(bad) + "\"\n"),
                HasSubstr("http.public_url: expected \"http://HOST:PORT\""))
        << bad;
  }
}

TEST(ParseConfigTomlTest, TrustedProxiesAreIpAddresses) {
  EXPECT_TRUE(parse_ok("").sip.trusted_proxies.empty()) << "none by default";
  EXPECT_EQ(
      parse_ok("[sip]\ntrusted_proxies = [\"10.99.0.1\", \"2001:db8::1\"]\n").sip.trusted_proxies,
      (std::vector<std::string>{"10.99.0.1", "2001:db8::1"}));
  EXPECT_THAT(parse_error("[sip]\ntrusted_proxies = \"10.99.0.1\"\n"),
              HasSubstr("sip.trusted_proxies: expected an array"));
  for (std::string_view bad : {"kamailio.example", "10.99.0.1:5060", "[::1]", ""}) {
    EXPECT_THAT(parse_error("[sip]\ntrusted_proxies = [\"" + std::string(bad) + "\"]\n"),
                HasSubstr("sip.trusted_proxies: expected an IPv4 or IPv6 address"))
        << bad;
  }
  EXPECT_THAT(parse_error("[sip]\ntrusted_proxies = [\"10.0.0.1\", \"10.0.0.1\"]\n"),
              HasSubstr("10.0.0.1 is listed twice"));
}

TEST(ParseConfigTomlTest, LimitsAndTimeoutsMustBePositive) {
  for (std::string_view key : {"max_groups", "max_viewers_per_group", "max_rtsp_headers",
                               "max_connections", "session_timeout_s", "idle_timeout_s",
                               "publisher_grace_s", "publisher_stall_s", "token_ttl_s"}) {
    const std::string name(key);
    EXPECT_THAT(parse_error("[media]\n" + name + " = 0\n"), HasSubstr("media." + name));
    EXPECT_THAT(parse_error("[media]\n" + name + " = -5\n"), HasSubstr("media." + name));
    EXPECT_TRUE(parse_config_toml("[media]\n" + name + " = 1\n").ok()) << name;
  }
}

TEST(ParseConfigTomlTest, WebRtcConsentTimeoutIsTenToThirtySeconds) {
  EXPECT_EQ(parse_ok("").media.webrtc_consent_timeout, std::chrono::seconds(30));
  EXPECT_THAT(parse_error("[media]\nwebrtc_consent_timeout_s = 9\n"),
              HasSubstr("media.webrtc_consent_timeout_s: must be between 10 and 30"));
  EXPECT_THAT(parse_error("[media]\nwebrtc_consent_timeout_s = 31\n"),
              HasSubstr("media.webrtc_consent_timeout_s: must be between 10 and 30"));
  EXPECT_EQ(parse_ok("[media]\nwebrtc_consent_timeout_s = 10\n").media.webrtc_consent_timeout,
            std::chrono::seconds(10));
}

TEST(ParseConfigTomlTest, ViewerMediaStartTimeoutIsPositiveAndAutoForwardingABoolean) {
  EXPECT_THAT(parse_error("[sip]\nviewer_media_start_timeout_s = 0\n"),
              HasSubstr("sip.viewer_media_start_timeout_s: must be between 1 and"));
  EXPECT_THAT(parse_error("[sip]\nviewer_media_start_timeout_s = \"15\"\n"),
              HasSubstr("sip.viewer_media_start_timeout_s"));
  EXPECT_THAT(parse_error("[sip]\nauto_forwarding = \"yes\"\n"),
              HasSubstr("sip.auto_forwarding: expected true or false"));
}

// ---- [cluster] (issue 15) ---------------------------------------------------------------------

TEST(ClusterConfigTest, EmptyRedisUrlMeansASingleNode) {
  const Config config;
  EXPECT_FALSE(config.cluster.enabled()) << "make demo and every single-node setup need no Redis";
  EXPECT_EQ(config.cluster.node_id, "");
  EXPECT_EQ(config.cluster.media_node_ttl, std::chrono::milliseconds(6000));
  EXPECT_EQ(config.cluster.group_ttl, std::chrono::milliseconds(10000));
  EXPECT_EQ(config.cluster.max_viewers_per_node, 1000U);
  EXPECT_FALSE(parse_ok("[cluster]\nredis_url = \"\"\n").cluster.enabled());
}

TEST(ClusterConfigTest, EveryKeyIsApplied) {
  const Config config = parse_ok(R"(
    [cluster]
    redis_url = "tcp://10.0.0.5:6380"
    node_id = "media-2:8080"
    media_node_ttl_ms = 3000
    group_ttl_ms = 12000
    max_viewers_per_node = 250
  )");
  EXPECT_TRUE(config.cluster.enabled());
  EXPECT_EQ(config.cluster.redis_url, "tcp://10.0.0.5:6380");
  EXPECT_EQ(config.cluster.node_id, "media-2:8080");
  EXPECT_EQ(config.cluster.media_node_ttl, std::chrono::milliseconds(3000));
  EXPECT_EQ(config.cluster.group_ttl, std::chrono::milliseconds(12000));
  EXPECT_EQ(config.cluster.max_viewers_per_node, 250U);
}

TEST(ClusterConfigTest, RedisUrlIsTcpHostAndPort) {
  EXPECT_EQ(*parse_redis_url("tcp://10.0.0.5:6379"), (HostPort{"10.0.0.5", 6379}));
  EXPECT_EQ(*parse_redis_url("tcp://redis.internal"), (HostPort{"redis.internal", 6379}))
      << "Redis's own port when none is written";
  EXPECT_EQ(*parse_redis_url("tcp://[::1]:7000"), (HostPort{"::1", 7000}));
  EXPECT_EQ(*parse_redis_url("tcp://[fd00::5]"), (HostPort{"fd00::5", 6379}));
}

TEST(ClusterConfigTest, OtherRedisUrlsAreRejectedSayingWhatIsAccepted) {
  EXPECT_THAT(parse_redis_url("redis://10.0.0.5:6379").error(),
              HasSubstr("unsupported scheme \"redis://\""));
  EXPECT_THAT(parse_redis_url("unix:///run/redis.sock").error(),
              HasSubstr("unsupported scheme \"unix://\""));
  EXPECT_THAT(parse_redis_url("10.0.0.5:6379").error(), HasSubstr("is not a URL"));
  EXPECT_THAT(parse_redis_url("tcp://user:pw@10.0.0.5:6379").error(),
              HasSubstr("no user, password, database or path"));
  EXPECT_THAT(parse_redis_url("tcp://10.0.0.5:6379/0").error(), HasSubstr("database or path"));
  EXPECT_THAT(parse_redis_url("tcp://").error(), HasSubstr("no host"));
  EXPECT_THAT(parse_redis_url("tcp://10.0.0.5:0").error(), HasSubstr("port 0"));
  EXPECT_THAT(parse_redis_url("tcp://10.0.0.5:70000").error(), HasSubstr("invalid port"));
  EXPECT_THAT(parse_redis_url("tcp://bad host:1").error(), HasSubstr("invalid host"));
  for (std::string_view url : {"redis://h:1", "tcp://h:1/2", "tcp://"}) {
    EXPECT_THAT(parse_redis_url(url).error(), HasSubstr("expected tcp://HOST:PORT")) << url;
  }
  EXPECT_THAT(parse_error("[cluster]\nredis_url = \"redis://10.0.0.5\"\n"),
              HasSubstr("cluster.redis_url: unsupported scheme"));
}

TEST(ClusterConfigTest, NodeIdsAreShortAndFreeOfGlobCharacters) {
  EXPECT_TRUE(is_valid_node_id("media-1:8080"));
  EXPECT_TRUE(is_valid_node_id("m_1.example.org"));
  EXPECT_TRUE(is_valid_node_id(std::string(64, 'n')));
  EXPECT_FALSE(is_valid_node_id(""));
  EXPECT_FALSE(is_valid_node_id(std::string(65, 'n')));
  for (std::string_view bad : {"media 1", "media*", "media?", "m[1]", "a/b", "n\n"}) {
    EXPECT_FALSE(is_valid_node_id(bad)) << bad;
  }
  EXPECT_THAT(parse_error("[cluster]\nnode_id = \"media 1\"\n"),
              HasSubstr("cluster.node_id: invalid node id \"media 1\""));
}

TEST(ClusterConfigTest, DefaultNodeIdIsTheHostNameAndPort) {
  EXPECT_EQ(default_node_id("media-1", 8080), "media-1:8080");
  EXPECT_EQ(default_node_id("odd host*", 80), "odd-host-:80");
  EXPECT_EQ(default_node_id("", 8080), "node:8080");
  const std::string id = default_node_id(std::string(100, 'h'), 65535);
  EXPECT_TRUE(is_valid_node_id(id)) << id;
  EXPECT_TRUE(id.ends_with(":65535")) << id;
}

TEST(ClusterConfigTest, TtlsAndViewerLimitAreBounded) {
  EXPECT_THAT(parse_error("[cluster]\nmedia_node_ttl_ms = 999\n"),
              HasSubstr("cluster.media_node_ttl_ms: must be between 1000 and 600000"));
  EXPECT_THAT(parse_error("[cluster]\ngroup_ttl_ms = 600001\n"),
              HasSubstr("cluster.group_ttl_ms: must be between 1000 and 600000"));
  EXPECT_THAT(parse_error("[cluster]\nmax_viewers_per_node = 0\n"),
              HasSubstr("cluster.max_viewers_per_node"));
  EXPECT_THAT(parse_error("[cluster]\ngroup_ttl_ms = \"10s\"\n"),
              HasSubstr("cluster.group_ttl_ms: expected an integer"));
  EXPECT_THAT(parse_error("[cluster]\nredis = \"tcp://h\"\n"),
              HasSubstr("unknown key cluster.redis"));
  EXPECT_THAT(parse_error("cluster = 1\n"), HasSubstr("cluster: expected a table"));
}

TEST(ParseConfigTomlTest, AbsurdlyLargeValuesAreRejected) {
  EXPECT_THAT(parse_error("[media]\ntoken_ttl_s = 9223372036854775807\n"),
              HasSubstr("media.token_ttl_s"));
  EXPECT_THAT(parse_error("[media]\nmax_connections = 1000000000000\n"),
              HasSubstr("media.max_connections"));
}

TEST(ParseConfigTomlTest, RtspMessageLimitIsAtLeast1024Bytes) {
  EXPECT_THAT(parse_error("[media]\nmax_rtsp_message_bytes = 1023\n"),
              HasSubstr("media.max_rtsp_message_bytes: must be between 1024"));
  EXPECT_EQ(parse_ok("[media]\nmax_rtsp_message_bytes = 1024\n").media.max_rtsp_message_bytes,
            1024u);
}

TEST(ParseConfigTomlTest, LogLevelIsValidated) {
  for (std::string_view level : {"trace", "debug", "info", "warn", "error"}) {
    EXPECT_EQ(parse_ok("log_level = \"" + std::string(level) + "\"\n").log_level, level);
  }
  EXPECT_THAT(parse_error("log_level = \"verbose\"\n"), HasSubstr("log_level"));
  EXPECT_THAT(parse_error("log_level = \"INFO\"\n"), HasSubstr("log_level"));
}

TEST(ParseConfigTomlTest, RoleIsValidated) {
  EXPECT_EQ(parse_ok("role = \"signaling\"\n").role, Role::signaling);
  EXPECT_THAT(parse_error("role = \"relay\"\n"), HasSubstr("role: unknown role \"relay\""));
}

TEST(ParseConfigTomlTest, BadAddressesAreErrorsNamingTheKey) {
  EXPECT_THAT(parse_error("[media]\nrtsp = \"::1:8554\"\n"), HasSubstr("media.rtsp: "));
  EXPECT_THAT(parse_error("[http]\nlisten = \"localhost\"\n"),
              HasSubstr("http.listen: missing port"));
  EXPECT_THAT(parse_error("[sip]\nlisten = \"h:70000\"\n"), HasSubstr("sip.listen: "));
  EXPECT_THAT(parse_error("[media]\nrtp_ports = \"8000-8002\"\n"), HasSubstr("media.rtp_ports: "));
  EXPECT_THAT(parse_error("[media]\npublic_host = \"a b\"\n"), HasSubstr("media.public_host: "));
}

TEST(ParseConfigTomlTest, PublicHostAcceptsNamesAndAddresses) {
  EXPECT_EQ(parse_ok("[media]\npublic_host = \"192.0.2.7\"\n").media.public_host, "192.0.2.7");
  EXPECT_EQ(parse_ok("[media]\npublic_host = \"2001:db8::7\"\n").media.public_host, "2001:db8::7");
}

TEST(ParseConfigTomlTest, ServiceNumberMustBeATerminalNumber) {
  EXPECT_THAT(parse_error("[sip]\nservice_number = \"\"\n"), HasSubstr("sip.service_number"));
  EXPECT_THAT(parse_error("[sip]\nservice_number = \"7 7\"\n"), HasSubstr("sip.service_number"));
}

TEST(ParseConfigTomlTest, SyntaxErrorsReportLineAndColumn) {
  EXPECT_THAT(parse_error("role = \"all\"\nlog_level = \n"), HasSubstr("line 2, column"));
  EXPECT_THAT(parse_error("[media\n"), HasSubstr("line 1, column"));
  EXPECT_THAT(parse_error("role = \"all\"\nrole = \"media\"\n"), HasSubstr("line 2"));
}

TEST(LoadConfigFileTest, ExampleFileParsesToTheDefaults) {
  auto config = load_config_file(CALLCAST_EXAMPLE_CONFIG);
  ASSERT_TRUE(config.ok()) << config.error();
  EXPECT_EQ(*config, Config{});
}

TEST(LoadConfigFileTest, ExampleFileOverridesTheBase) {
  Config base;
  base.media.max_groups = 5;
  auto config = load_config_file(CALLCAST_EXAMPLE_CONFIG, base);
  ASSERT_TRUE(config.ok()) << config.error();
  EXPECT_EQ(config->media.max_groups, 1000u);
}

TEST(LoadConfigFileTest, MissingFileIsAnErrorNamingThePath) {
  auto config = load_config_file("/nonexistent/callcastd.toml");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.error(), HasSubstr("/nonexistent/callcastd.toml"));
}

TEST(LoadConfigFileTest, DirectoryIsAnError) {
  EXPECT_FALSE(load_config_file("/").ok());
}

}  // namespace
}  // namespace callcast::core
