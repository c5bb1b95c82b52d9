// callcastd: the network side and the streaming server of callcast (patent CN102035839A).
// Thin: flags and config in, services started, signals out.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdio>
#include <iostream>
#include <optional>

#include "core/config.hpp"
#include "http/admin_api.hpp"
#include "http/http_server.hpp"
#include "media/media_service.hpp"
#include "media/streaming_server.hpp"

namespace {

using namespace callcast;

struct Flags {
  std::optional<std::string> config_file;
  std::optional<std::string> role;
  std::optional<std::string> rtsp;
  std::optional<std::string> http;
  std::optional<std::string> rtp_ports;
  std::optional<std::string> sip;
  std::optional<std::string> public_host;
  std::optional<std::string> log_level;
};

int fail_with(const std::string& message) {
  std::fprintf(stderr, "callcastd: %s\n", message.c_str());
  return 2;
}

// Defaults, then the TOML file, then flags: the last word wins.
Result<core::Config, std::string> resolve_config(const Flags& flags) {
  core::Config config;
  if (flags.config_file) {
    auto loaded = core::load_config_file(*flags.config_file, config);
    if (!loaded) return fail(loaded.error());
    config = *loaded;
  }
  if (flags.role) {
    auto role = core::parse_role(*flags.role);
    if (!role) return fail("--role: " + role.error());
    config.role = *role;
  }
  auto address = [](const std::optional<std::string>& flag, const char* name,
                    core::HostPort& out) -> std::optional<std::string> {
    if (!flag) return std::nullopt;
    auto parsed = core::parse_host_port(*flag);
    if (!parsed) return std::string(name) + ": " + parsed.error();
    out = *parsed;
    return std::nullopt;
  };
  if (auto e = address(flags.rtsp, "--rtsp", config.media.rtsp)) return fail(*e);
  if (auto e = address(flags.http, "--http", config.http.listen)) return fail(*e);
  if (auto e = address(flags.sip, "--sip", config.sip.listen)) return fail(*e);
  if (flags.rtp_ports) {
    auto ports = core::parse_port_pair(*flags.rtp_ports);
    if (!ports) return fail("--rtp-ports: " + ports.error());
    config.media.rtp_ports = *ports;
  }
  if (flags.public_host) config.media.public_host = *flags.public_host;
  if (flags.log_level) config.log_level = *flags.log_level;
  return config;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "callcastd: live broadcast by phone call (patent CN102035839A).\n"
      "Runs the streaming server (RTSP publish/play, RTP fan-out over UDP) and its HTTP control\n"
      "API. Settings come from built-in defaults, then --config FILE, then these flags.",
      "callcastd"};
  Flags flags;
  app.add_option("--config", flags.config_file, "TOML configuration file")
      ->check(CLI::ExistingFile);
  app.add_option("--role", flags.role, "all | media | signaling (default: all)");
  app.add_option("--rtsp", flags.rtsp, "RTSP listen address (media.rtsp, default 127.0.0.1:8554)");
  app.add_option("--http", flags.http,
                 "HTTP admin/control API address (http.listen, default 127.0.0.1:8080)");
  app.add_option("--rtp-ports", flags.rtp_ports,
                 "server RTP-RTCP UDP ports (media.rtp_ports, default 8000-8001; 0-0 = any)");
  app.add_option("--sip", flags.sip,
                 "SIP listen address for the signaling role (sip.listen, default 127.0.0.1:5060)");
  app.add_option("--public-host", flags.public_host,
                 "host written into RTSP URLs (media.public_host, default: the RTSP host)");
  app.add_option("--log-level", flags.log_level, "trace | debug | info | warn | error");
  CLI11_PARSE(app, argc, argv);

  auto config = resolve_config(flags);
  if (!config) return fail_with(config.error());
  spdlog::set_default_logger(spdlog::stderr_color_mt("callcastd"));
  spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  spdlog::set_level(spdlog::level::from_str(config->log_level));

  if (config->role == core::Role::signaling) {
    return fail_with(
        "the signaling role (SIP) is not part of this build yet; run --role media or all");
  }

  boost::asio::io_context io(1);
  media::StreamingServer server(io, config->media, config->token_secret);
  auto bound = server.start();
  if (!bound) return fail_with(bound.error());
  if (config->token_secret.empty()) {
    spdlog::info("media: token secret generated at start (set token_secret to share it)");
  }

  media::MediaService control(io, server);
  http::HttpServer http_server(io);
  http::AdminApi admin(http_server, control, config->http.api_key);
  auto listening = http_server.listen(config->http.listen.host, config->http.listen.port);
  if (!listening) return fail_with(listening.error());
  if (config->http.api_key.empty()) {
    spdlog::info("http: no api_key configured, the admin API answers loopback clients only");
  }

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("callcastd: signal {} received, stopping", signal);
    http_server.stop();
    server.stop();
    io.stop();
  });

  const core::HostPort http_bound{config->http.listen.host, http_server.port()};
  spdlog::info("callcastd ready: role={} rtsp={} http={} rtp={}-{}", core::to_string(config->role),
               core::to_string(bound->rtsp), core::to_string(http_bound), bound->rtp_ports.rtp,
               bound->rtp_ports.rtcp);
  // One machine-readable line on stdout, for scripts and tests that let the OS pick ports.
  std::cout << "callcastd ready rtsp=" << core::to_string(bound->rtsp)
            << " http=" << core::to_string(http_bound) << " rtp=" << bound->rtp_ports.rtp << "-"
            << bound->rtp_ports.rtcp << std::endl;
  io.run();
  return 0;
}
