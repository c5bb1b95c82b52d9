// callcastd: the network side and the streaming server of callcast (patent CN102035839A).
// Thin: flags and config in, services started, signals out.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "auth/digest.hpp"
#include "auth/user_directory.hpp"
#include "core/config.hpp"
#include "forwarding/forwarding_store.hpp"
#include "forwarding/ut_api.hpp"
#include "heap_trimmer.hpp"
#include "http/admin_api.hpp"
#include "http/http_media_control.hpp"
#include "http/http_server.hpp"
#include "io/asio_timer_factory.hpp"
#include "media/local_addresses.hpp"
#include "media/media_service.hpp"
#include "media/streaming_server.hpp"
#include "sip/network_side.hpp"
#include "user_command.hpp"

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
  std::optional<std::string> media_url;
  std::optional<std::string> users_file;
  std::optional<std::string> forwarding_db;
  std::optional<std::string> service_number;
  std::optional<std::size_t> workers;
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
  if (flags.workers) config.media.workers = *flags.workers;
  if (flags.log_level) config.log_level = *flags.log_level;
  if (flags.media_url) config.sip.media_url = *flags.media_url;
  if (flags.users_file) config.sip.users_file = *flags.users_file;
  if (flags.forwarding_db) config.sip.forwarding_db = *flags.forwarding_db;
  if (flags.service_number) {
    if (!core::is_valid_number(*flags.service_number)) {
      return fail("--service-number: invalid number \"" + *flags.service_number + "\"");
    }
    config.sip.service_number = *flags.service_number;
  }
  return config;
}

// GET /v1/signaling: the network side's dialogs, broadcasts and registrations, so an operator
// (and the tests) can see that every call was cleaned up.
void add_signaling_route(http::HttpServer& server, sip::NetworkSide& network) {
  server.route("GET", "/v1/signaling",
               [&network](const http::Request&, const http::Responder& respond) {
                 network.stats([respond](sip::SignalingStats s) {
                   nlohmann::json body = {{"calls", s.calls},
                                          {"broadcasts", s.broadcasts},
                                          {"viewer_calls", s.viewer_calls},
                                          {"registrations", s.registrations},
                                          {"registered_users", s.registered_users},
                                          {"counters",
                                           {{"invites", s.invites},
                                            {"registers", s.registers},
                                            {"auth_challenges", s.auth_challenges},
                                            {"auth_failures", s.auth_failures},
                                            {"rejected_over_cap", s.rejected_over_cap}}}};
                   // Each broadcast; "restored" ones were rebuilt from the media side after
                   // a restart of this process (their masters' dialogs are unknown here).
                   body["restored_broadcasts"] = s.restored_broadcasts;
                   body["broadcast_list"] = nlohmann::json::array();
                   for (const auto& b : s.broadcast_list) {
                     body["broadcast_list"].push_back({{"group", b.group},
                                                       {"state", b.state},
                                                       {"restored", b.restored},
                                                       {"viewers", b.viewers}});
                   }
                   respond(http::Response::json(200, body.dump()));
                 });
               });
}

// The signaling role's own state: users, forwarding rules, digest.
struct SignalingParts {
  std::unique_ptr<auth::UserDirectory> users;
  std::unique_ptr<forwarding::ForwardingStore> forwarding;
  std::unique_ptr<auth::DigestAuthenticator> authenticator;     // SIP
  std::unique_ptr<auth::DigestAuthenticator> ut_authenticator;  // the Ut API over HTTP
};

std::vector<auth::DigestAlgorithm> algorithms_of(const std::vector<std::string>& names) {
  std::vector<auth::DigestAlgorithm> algorithms;
  for (const auto& name : names) {
    if (auto algorithm = auth::parse_digest_algorithm(name)) algorithms.push_back(*algorithm);
  }
  return algorithms;
}

Result<SignalingParts, std::string> open_signaling_parts(const core::Config& config) {
  SignalingParts parts;
  parts.users = std::make_unique<auth::UserDirectory>(config.sip.users_file, config.sip.realm);
  auto loaded = parts.users->load();
  if (!loaded) return fail("users file: " + loaded.error());
  spdlog::info("sip: {} users of realm {} from {}", *loaded, config.sip.realm,
               config.sip.users_file);
  auto store = forwarding::ForwardingStore::open(config.sip.forwarding_db);
  if (!store) return fail("forwarding store: " + store.error());
  parts.forwarding = std::move(*store);
  // Nonces are signed with a key of their own, derived from the shared secret when there is one.
  const std::string nonce_secret =
      config.token_secret.empty() ? std::string() : "digest-nonce|" + config.token_secret;
  parts.authenticator = std::make_unique<auth::DigestAuthenticator>(config.sip.realm, nonce_secret,
                                                                    config.sip.nonce_ttl);
  parts.authenticator->set_algorithms(algorithms_of(config.sip.digest_algorithms));
  parts.ut_authenticator = std::make_unique<auth::DigestAuthenticator>(
      config.sip.realm, nonce_secret, config.sip.nonce_ttl);
  parts.ut_authenticator->set_algorithms(algorithms_of(config.sip.ut_digest_algorithms));
  return parts;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "callcastd: live broadcast by phone call (patent CN102035839A).\n"
      "Runs the network side (SIP registrar, service number, call forwarding and its Ut API) and\n"
      "the streaming server (RTSP publish/play, RTP fan-out over UDP, HTTP control API).\n"
      "Settings come from built-in defaults, then --config FILE, then these flags.",
      "callcastd"};
  Flags flags;
  app.add_option("--config", flags.config_file, "TOML configuration file")
      ->check(CLI::ExistingFile);
  app.add_option("--role", flags.role, "all | media | signaling (default: all)");
  app.add_option("--rtsp", flags.rtsp, "RTSP listen address (media.rtsp, default 127.0.0.1:8554)");
  app.add_option("--http", flags.http,
                 "HTTP address of the Ut, admin and control API (http.listen, default "
                 "127.0.0.1:8080)");
  app.add_option("--rtp-ports", flags.rtp_ports,
                 "server RTP-RTCP UDP ports (media.rtp_ports, default 8000-8001; 0-0 = any)");
  app.add_option("--sip", flags.sip,
                 "SIP listen address, UDP and TCP (sip.listen, default 127.0.0.1:5060; port 0 = "
                 "any)");
  app.add_option("--workers", flags.workers,
                 "fan-out worker threads (media.workers, default 0 = one per CPU core)")
      ->check(CLI::Range(0, 256));
  app.add_option(
      "--public-host", flags.public_host,
      "host written into RTSP URLs and SDP (media.public_host; default: the RTSP host, or for "
      "0.0.0.0/:: the address toward the default route or the only non-loopback one)");
  app.add_option("--media-url", flags.media_url,
                 "role signaling: the media role's HTTP API (sip.media_url), e.g. "
                 "http://127.0.0.1:8080");
  app.add_option("--users", flags.users_file,
                 "users file (sip.users_file, default callcast-users)");
  app.add_option("--forwarding-db", flags.forwarding_db,
                 "forwarding rules database (sip.forwarding_db, default "
                 "callcast-forwarding.sqlite)");
  app.add_option("--service-number", flags.service_number,
                 "the number terminals call to broadcast (sip.service_number, default 777)");
  app.add_option("--log-level", flags.log_level, "trace | debug | info | warn | error");
  UserCommandOptions user_options;
  add_user_subcommand(app, user_options);
  CLI11_PARSE(app, argc, argv);

  auto config = resolve_config(flags);
  if (!config) return fail_with(config.error());
  // Before any server starts: `user add` only writes the users file.
  if (user_options.requested()) return run_user_add(user_options, *config);
  if (config->role == core::Role::signaling && config->sip.media_url.empty()) {
    return fail_with(
        "--role signaling needs --media-url (the media role's HTTP API, e.g. "
        "http://127.0.0.1:8080)");
  }
  spdlog::set_default_logger(spdlog::stderr_color_mt("callcastd"));
  spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  spdlog::set_level(spdlog::level::from_str(config->log_level));

  const bool runs_media = config->role != core::Role::signaling;
  const bool runs_signaling = config->role != core::Role::media;

  boost::asio::io_context io(1);
  io::AsioTimerFactory media_timers(io);
  std::unique_ptr<media::StreamingServer> server;
  std::unique_ptr<media::MediaService> media_service;
  std::unique_ptr<http::HttpMediaControl> remote_media;
  control::MediaControl* media_control = nullptr;
  // The ready line's fields in a fixed order: rtsp= http= rtp= sip=, each only when served.
  std::string rtsp_field;
  std::string rtp_field;

  if (runs_media) {
    // 704/713 hand this host to terminals: it must be one they can reach.
    auto public_host = media::resolve_public_host(config->media);
    if (!public_host) return fail_with(public_host.error());
    if (public_host->host != config->media.public_host) {
      spdlog::info("media: RTSP URLs name host {} ({})", public_host->host, public_host->reason);
    }
    config->media.public_host = public_host->host;
    server = std::make_unique<media::StreamingServer>(
        io, config->media, config->token_secret, core::RealTimeSource::instance(), media_timers);
    auto bound = server->start();
    if (!bound) return fail_with(bound.error());
    if (config->token_secret.empty()) {
      spdlog::info("media: token secret generated at start (set token_secret to share it)");
    }
    media_service = std::make_unique<media::MediaService>(
        io, *server, core::RealTimeSource::instance(), media_timers);
    media_control = media_service.get();
    rtsp_field = " rtsp=" + core::to_string(bound->rtsp);
    rtp_field = " rtp=" + std::to_string(bound->rtp_ports.rtp) + "-" +
                std::to_string(bound->rtp_ports.rtcp);
  } else {
    auto remote =
        http::HttpMediaControl::create(io, config->sip.media_url, config->sip.media_api_key);
    if (!remote) return fail_with("--media-url: " + remote.error());
    remote_media = std::move(*remote);
    media_control = remote_media.get();
  }

  http::HttpServer http_server(io);
  std::optional<http::AdminApi> admin;
  if (runs_media) {
    admin.emplace(http_server, *media_control, config->http.api_key);
  } else {
    http::AdminApi::protect_only(http_server, config->http.api_key);
    http_server.route("GET", "/healthz", [](const http::Request&, const http::Responder& respond) {
      respond(http::Response::json(200, R"({"status":"ok"})"));
    });
  }
  if (config->http.api_key.empty()) {
    spdlog::info("http: no api_key configured, the /v1 APIs answer loopback clients only");
  }

  SignalingParts parts;
  std::unique_ptr<sip::NetworkSide> network;
  if (runs_signaling) {
    auto opened = open_signaling_parts(*config);
    if (!opened) return fail_with(opened.error());
    parts = std::move(*opened);
    forwarding::UtApi ut(http_server, *parts.forwarding, *parts.users, *parts.ut_authenticator);
    network = std::make_unique<sip::NetworkSide>(config->sip, *media_control, *parts.forwarding,
                                                 *parts.users, *parts.authenticator);
    add_signaling_route(http_server, *network);
    // Events the feed could not deliver (media role restarted, ring overrun) are made good by
    // comparing the calls with the media side's groups.
    if (remote_media) {
      remote_media->set_resync_handler(
          [net = network.get()](control::ResyncCause cause) { net->resync(cause); });
    }
  }

  auto listening = http_server.listen(config->http.listen.host, config->http.listen.port);
  if (!listening) return fail_with(listening.error());
  const core::HostPort http_bound{config->http.listen.host, http_server.port()};
  std::string sip_field;
  if (network) {
    network->set_ut_endpoint(config->http.public_url, http_bound);
    auto sip_bound = network->start();
    if (!sip_bound) return fail_with(sip_bound.error());
    sip_field = " sip=" + core::to_string(*sip_bound);
  }
  const std::string ready = "callcastd ready" + rtsp_field +
                            " http=" + core::to_string(http_bound) + rtp_field + sip_field;

  std::thread stopper;
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("callcastd: signal {} received, stopping", signal);
    // The network side first: its BYEs and group closes still reach the media side, whose
    // loop keeps running until the SIP stack is down.
    stopper = std::thread([&] {
      if (network) network->stop();
      boost::asio::post(io, [&] {
        http_server.stop();
        if (server) server->stop();
        io.stop();
      });
    });
  });

  // Memory freed after calls goes back to the OS (heap_trimmer.hpp).
  GlibcHeap heap;
  HeapTrimmer trimmer(HeapTrimmerOptions{}, heap);
  trimmer.start();

  spdlog::info("callcastd: role={} {}", core::to_string(config->role), ready);
  // One machine-readable line on stdout, for scripts and tests that let the OS pick ports.
  std::cout << ready << std::endl;
  io.run();
  trimmer.stop();
  if (stopper.joinable()) stopper.join();
  network.reset();
  return 0;
}
