#include "daemon.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <filesystem>
#include <system_error>
#include <thread>
#include <utility>

#include "auth/digest.hpp"
#include "auth/user_directory.hpp"
#include "cluster/cluster_media_control.hpp"
#include "cluster/media_node_agent.hpp"
#include "cluster/redis_forwarding_rules.hpp"
#include "cluster/redis_registrar.hpp"
#include "core/token.hpp"
#include "forwarding/forwarding_store.hpp"
#include "forwarding/ut_api.hpp"
#include "http/admin_api.hpp"
#include "http/http_media_control.hpp"
#include "http/http_server.hpp"
#include "http/metrics_endpoint.hpp"
#include "http/static_files.hpp"
#include "media/local_addresses.hpp"
#include "media/media_service.hpp"
#include "media/streaming_server.hpp"
#include "signaling_route.hpp"
#include "sip/network_side.hpp"
#include "web_call_routes.hpp"

namespace callcast {

namespace {

// Redis commands a cluster's signaling node makes on its SIP thread (REGISTER's bindings, the
// forwarding lookups of every INVITE): a Redis down or stuck costs a request a failure within
// about a second, before Kamailio (fr_timer 1.5 s) would take this node for dead.
const cluster::RedisClientOptions kSipThreadRedis{std::chrono::milliseconds(250),
                                                  std::chrono::milliseconds(250)};

std::vector<auth::DigestAlgorithm> algorithms_of(const std::vector<std::string>& names) {
  std::vector<auth::DigestAlgorithm> algorithms;
  for (const auto& name : names) {
    if (auto algorithm = auth::parse_digest_algorithm(name)) algorithms.push_back(*algorithm);
  }
  return algorithms;
}

}  // namespace

// Declared in the order they are built: destroyed the other way round, the network side first.
struct Daemon::Services {
  explicit Services(boost::asio::io_context& io, core::TimerFactory& timers)
      : http(io, http::ServerOptions{}, core::RealTimeSource::instance(), timers) {}

  std::unique_ptr<media::StreamingServer> server;
  std::unique_ptr<media::MediaService> media_service;
  // Issue 15, a media node of a cluster: the media service as the admin API reaches it.
  std::unique_ptr<cluster::MediaNodeAgent> media_agent;
  std::unique_ptr<http::HttpMediaControl> remote_media;         // role signaling, --media-url
  std::unique_ptr<cluster::ClusterMediaControl> cluster_media;  // role signaling, cluster
  control::MediaControl* media_control = nullptr;               // one of the above
  http::HttpServer http;
  std::unique_ptr<http::StaticFiles> web_pages;  // issue 14: where the media side runs
  // The signaling role's own state: users, forwarding rules, digest.
  std::unique_ptr<auth::UserDirectory> users;
  std::unique_ptr<forwarding::ForwardingRules> forwarding;
  std::unique_ptr<cluster::RedisRegistrar> registrations;       // clustered: bindings in Redis
  std::unique_ptr<auth::DigestAuthenticator> authenticator;     // SIP
  std::unique_ptr<auth::DigestAuthenticator> ut_authenticator;  // the Ut API over HTTP
  std::unique_ptr<sip::NetworkSide> network;
  std::thread stopper;
  bool stopping = false;
};

std::string DaemonAddresses::ready_line() const {
  std::string line = "callcastd ready";
  if (rtsp) line += " rtsp=" + core::to_string(*rtsp);
  line += " http=" + core::to_string(http);
  if (rtp_ports) line += " rtp=" + core::to_string(*rtp_ports);
  if (sip) line += " sip=" + core::to_string(*sip);
  return line;
}

Daemon::Daemon(core::Config config)
    : config_(std::move(config)), services_(std::make_unique<Services>(io_, timers_)) {}

Daemon::~Daemon() {
  if (services_->stopper.joinable()) services_->stopper.join();
  // The SIP stack's thread may still call into the media control: it goes before the rest.
  services_->network.reset();
  services_.reset();
}

http::HttpServer& Daemon::http_server() {
  return services_->http;
}

Result<DaemonAddresses, std::string> Daemon::start() {
  DaemonAddresses addresses;
  const bool signaling_only = config_.role == core::Role::signaling;
  if (signaling_only && config_.sip.media_url.empty() && !config_.cluster.enabled()) {
    return fail(
        std::string("--role signaling needs --media-url (the media role's HTTP API, e.g. "
                    "http://127.0.0.1:8080) or cluster.redis_url (the cluster's media nodes)"));
  }
  auto media = !signaling_only                 ? start_media(addresses)
               : config_.sip.media_url.empty() ? start_cluster_media()
                                               : start_remote_media();
  if (!media) return fail(media.error());
  add_control_routes();
  if (config_.role != core::Role::media) {
    auto signaling = add_signaling();
    if (!signaling) return fail(signaling.error());
  }
  add_metrics_route();
  add_browser_routes();

  Services& s = *services_;
  auto listening = s.http.listen(config_.http.listen.host, config_.http.listen.port);
  if (!listening) return fail(listening.error());
  addresses.http = core::HostPort{config_.http.listen.host, s.http.port()};
  if (s.media_agent) {
    auto joined = start_media_node_agent(addresses);
    if (!joined) return fail(joined.error());
  }
  if (s.server) {
    // whep_url / whip_url (issue 14): how browsers reach this HTTP server.
    const bool wildcard = config_.http.listen.host == "0.0.0.0" || config_.http.listen.host == "::";
    const std::string host = wildcard ? config_.media.public_host : config_.http.listen.host;
    s.server->set_web_base_url(
        !config_.http.public_url.empty()
            ? config_.http.public_url
            : "http://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
                  std::to_string(s.http.port()));
  }
  if (s.network) {
    s.network->set_ut_endpoint(config_.http.public_url, addresses.http);
    auto sip_bound = s.network->start();
    if (!sip_bound) return fail(sip_bound.error());
    addresses.sip = *sip_bound;
  }
  spdlog::info("callcastd: role={} {}", core::to_string(config_.role), addresses.ready_line());
  return addresses;
}

Result<bool, std::string> Daemon::start_media(DaemonAddresses& addresses) {
  Services& s = *services_;
  // 704/713 hand this host to terminals: it must be one they can reach.
  auto public_host = media::resolve_public_host(config_.media);
  if (!public_host) return fail(public_host.error());
  if (public_host->host != config_.media.public_host) {
    spdlog::info("media: RTSP URLs name host {} ({})", public_host->host, public_host->reason);
  }
  config_.media.public_host = public_host->host;
  s.server = std::make_unique<media::StreamingServer>(io_, config_.media, config_.token_secret,
                                                      core::RealTimeSource::instance(), timers_);
  auto bound = s.server->start();
  if (!bound) return fail(bound.error());
  if (config_.token_secret.empty()) {
    spdlog::info("media: token secret generated at start (set token_secret to share it)");
  }
  s.media_service = std::make_unique<media::MediaService>(
      io_, *s.server, core::RealTimeSource::instance(), timers_);
  s.media_control = s.media_service.get();
  if (config_.role == core::Role::media && config_.cluster.enabled()) {
    auto server = core::parse_redis_url(config_.cluster.redis_url);
    if (!server) return fail("cluster.redis_url: " + server.error());
    // Started once the HTTP port is known (start_media_node_agent); the admin API calls it.
    cluster::MediaNodeAgentOptions agent;
    agent.redis = *server;
    agent.media_node_ttl = config_.cluster.media_node_ttl;
    agent.group_ttl = config_.cluster.group_ttl;
    s.media_agent = std::make_unique<cluster::MediaNodeAgent>(io_, *s.media_service, agent);
    s.media_control = s.media_agent.get();
  }
  addresses.rtsp = bound->rtsp;
  addresses.rtp_ports = bound->rtp_ports;
  return true;
}

Result<bool, std::string> Daemon::start_remote_media() {
  Services& s = *services_;
  auto remote =
      http::HttpMediaControl::create(io_, config_.sip.media_url, config_.sip.media_api_key);
  if (!remote) return fail("--media-url: " + remote.error());
  s.remote_media = std::move(*remote);
  s.media_control = s.remote_media.get();
  return true;
}

// Issue 15: a media node tells the cluster where other hosts reach it. Its admin API's host must
// be one they can connect to: a wildcard listen address names no host, so it needs
// cluster.advertise_host.
Result<bool, std::string> Daemon::start_media_node_agent(const DaemonAddresses& addresses) {
  Services& s = *services_;
  const std::string& listen_host = config_.http.listen.host;
  const std::string host =
      config_.cluster.advertise_host.empty() ? listen_host : config_.cluster.advertise_host;
  if (host.empty() || host == "0.0.0.0" || host == "::" || host == "[::]") {
    return fail("cluster: a media node must tell the other nodes where its HTTP API is, and " +
                (config_.cluster.advertise_host.empty()
                     ? "http.listen is " + core::to_string(addresses.http)
                     : "cluster.advertise_host is \"" + host + "\"") +
                ", which names no host: set cluster.advertise_host (--advertise-host) to an "
                "address the signaling nodes reach");
  }
  auto bracketed = [](const std::string& h) {
    return h.find(':') != std::string::npos ? "[" + h + "]" : h;
  };
  std::string node_id = config_.cluster.node_id;
  if (node_id.empty()) {
    char name[256] = {};
    if (gethostname(name, sizeof name - 1) != 0) name[0] = '\0';
    node_id = core::default_node_id(name, addresses.http.port);
  }
  cluster::MediaNodeAddress self;
  self.node_id = node_id;
  self.http_url = "http://" + bracketed(host) + ":" + std::to_string(addresses.http.port);
  if (addresses.rtsp) {
    self.rtsp_url = "rtsp://" + bracketed(config_.media.public_host) + ":" +
                    std::to_string(addresses.rtsp->port);
  }
  self.rtp_host = config_.media.public_host;
  if (addresses.rtp_ports) self.rtp_port = addresses.rtp_ports->rtp;
  self.max_viewers = config_.cluster.max_viewers_per_node;
  s.media_agent->start(std::move(self));
  return true;
}

Result<bool, std::string> Daemon::start_cluster_media() {
  Services& s = *services_;
  auto server = core::parse_redis_url(config_.cluster.redis_url);
  if (!server) return fail("cluster.redis_url: " + server.error());
  cluster::ClusterMediaControlOptions options;
  options.redis = *server;
  options.api_key = config_.sip.media_api_key;
  options.media_node_ttl = config_.cluster.media_node_ttl;
  s.cluster_media = std::make_unique<cluster::ClusterMediaControl>(io_, std::move(options));
  auto nodes = s.cluster_media->start();
  if (!nodes) return fail(nodes.error());
  spdlog::info("sip: media nodes from the cluster's directory in {} ({} fresh now)",
               core::to_string(*server), *nodes);
  s.media_control = s.cluster_media.get();
  return true;
}

// The admin API where the media side runs here; elsewhere its access rule, which the signaling
// role's /v1 routes share, its reads of groups (from the media role, for the console) and the
// health check. The pages everywhere.
void Daemon::add_control_routes() {
  Services& s = *services_;
  if (s.media_service) {
    const http::AdminApi admin(s.http, *s.media_control, config_.http.api_key);
  } else {
    http::AdminApi::add_read_only(s.http, *s.media_control, config_.http.api_key);
    s.http.route("GET", "/healthz", [](const http::Request&, const http::Responder& respond) {
      respond(http::Response::json(200, R"({"status":"ok"})"));
    });
  }
  add_web_pages();
  if (config_.http.api_key.empty()) {
    spdlog::info("http: no api_key configured, the /v1 APIs answer loopback clients only");
  }
}

// Issue 14: the browser pages, by every role. The watch and broadcast pages call WHEP/WHIP on
// their own origin: by number and login where the network side runs (roles all and signaling),
// with a token where the media side does (all and media). Roles apart, a user therefore opens
// the signaling role's pages, and the media role's serve token links (whep_url, whip_url).
void Daemon::add_web_pages() {
  Services& s = *services_;
  const std::filesystem::path root = config_.http.web_root.empty()
                                         ? http::StaticFiles::default_root()
                                         : std::filesystem::path(config_.http.web_root);
  s.web_pages = std::make_unique<http::StaticFiles>(root, config_.http.api_key.empty());
  s.web_pages->add_routes(s.http);
  std::error_code ec;
  if (root.empty()) {
    spdlog::info(
        "http: web pages not built (run `make web`, i.e. npm ci && npm run build in web/); "
        "/, /watch and /broadcast answer 404");
  } else if (!std::filesystem::is_directory(root, ec)) {
    spdlog::warn("http: http.web_root {} is not a directory; /, /watch and /broadcast answer 404",
                 root.string());
  } else {
    spdlog::info("http: web pages (/, /watch, /broadcast) served from {}", root.string());
    if (config_.role == core::Role::media) {
      spdlog::info(
          "http: role media: /watch and /broadcast play and publish with a token here; by number "
          "on the signaling role's HTTP");
    }
  }
}

Result<bool, std::string> Daemon::add_signaling() {
  Services& s = *services_;
  const core::SipConfig& sip = config_.sip;
  s.users = std::make_unique<auth::UserDirectory>(sip.users_file, sip.realm);
  auto loaded = s.users->load();
  if (!loaded) return fail("users file: " + loaded.error());
  spdlog::info("sip: {} users of realm {} from {}", *loaded, sip.realm, sip.users_file);
  if (auto rules = open_forwarding_rules(); rules) {
    s.forwarding = std::move(rules).value();
  } else {
    return fail(rules.error());
  }
  // Nonces are signed with a key of their own, derived from the shared secret when there is one.
  const std::string nonce_secret =
      config_.token_secret.empty() ? std::string() : "digest-nonce|" + config_.token_secret;
  s.authenticator =
      std::make_unique<auth::DigestAuthenticator>(sip.realm, nonce_secret, sip.nonce_ttl);
  s.authenticator->set_algorithms(algorithms_of(sip.digest_algorithms));
  s.ut_authenticator =
      std::make_unique<auth::DigestAuthenticator>(sip.realm, nonce_secret, sip.nonce_ttl);
  s.ut_authenticator->set_algorithms(algorithms_of(sip.ut_digest_algorithms));

  const forwarding::UtApi ut(s.http, *s.forwarding, *s.users, *s.ut_authenticator);
  s.network = std::make_unique<sip::NetworkSide>(sip, *s.media_control, *s.forwarding, *s.users,
                                                 *s.authenticator);
  if (config_.cluster.enabled()) {
    // Issue 15: every signaling node reads and writes the same bindings. REGISTER runs on the
    // SIP thread: a Redis down or stuck answers it 503 (Retry-After, a Warning naming the Redis).
    auto server = core::parse_redis_url(config_.cluster.redis_url);
    if (!server) return fail("cluster.redis_url: " + server.error());
    s.registrations = std::make_unique<cluster::RedisRegistrar>(*server, sip::registrar_limits(sip),
                                                                kSipThreadRedis);
    if (auto reachable = s.registrations->check(); !reachable) {
      return fail("registrations: " + reachable.error());
    }
    s.network->join_cluster(*s.registrations);
    spdlog::info("sip: registrations in {} (cluster.redis_url)", s.registrations->server_name());
  }
  add_signaling_route(s.http, *s.network);
  // Events the feed could not deliver (media role restarted, ring overrun) are made good by
  // comparing the calls with the media side's groups.
  if (s.remote_media) {
    s.remote_media->set_resync_handler(
        [net = s.network.get()](control::ResyncCause cause) { net->resync(cause); });
  }
  if (s.cluster_media) {
    s.cluster_media->set_resync_handler(
        [net = s.network.get()](control::ResyncCause cause) { net->resync(cause); });
  }
  return true;
}

// A cluster's signaling nodes share the rules in Redis (issue 15), so that a rule a terminal set
// through one node's Ut API is what every node reads; a single node keeps its SQLite file.
Result<std::unique_ptr<forwarding::ForwardingRules>, std::string> Daemon::open_forwarding_rules()
    const {
  if (config_.cluster.enabled()) {
    auto server = core::parse_redis_url(config_.cluster.redis_url);
    if (!server) return fail("cluster.redis_url: " + server.error());
    // Looked up on the SIP thread for every viewer INVITE (710): the same short timeouts as
    // the registrations', so that a Redis down or stuck answers the call within about a second.
    auto rules = std::make_unique<cluster::RedisForwardingRules>(*server, kSipThreadRedis);
    if (auto reachable = rules->check(); !reachable) {
      return fail("forwarding rules: " + reachable.error());
    }
    spdlog::info("sip: forwarding rules in {} (cluster.redis_url)", rules->server_name());
    return std::unique_ptr<forwarding::ForwardingRules>(std::move(rules));
  }
  auto store = forwarding::ForwardingStore::open(config_.sip.forwarding_db);
  if (!store) return fail("forwarding store: " + store.error());
  return std::unique_ptr<forwarding::ForwardingRules>(std::move(store).value());
}

void Daemon::add_browser_routes() {
  Services& s = *services_;
  WebCallServices web;
  web.network = s.network.get();
  web.users = s.users.get();
  if (s.server) {
    web.media = s.media_control;
    web.verify_token =
        [server = s.server.get()](std::string_view token) -> std::optional<core::TokenClaims> {
      auto claims = server->verify_token(token);
      if (!claims) return std::nullopt;
      return *claims;
    };
  }
  if (web.network != nullptr || web.media != nullptr) add_web_call_routes(s.http, std::move(web));
}

void Daemon::add_metrics_route() {
  Services& s = *services_;
  // Each process its own series (role media: the media ones, signaling: SIP's). The route keeps
  // the sources; the endpoint object itself is not needed afterwards.
  http::MetricsEndpoint metrics(io_, s.http);
  if (s.server) {
    metrics.add_source([&s](const http::MetricsEndpoint::Done& done) {
      stats::Exposition part;
      s.server->expose_metrics(part);  // the handler runs on io_, the server's loop
      done(std::move(part));
    });
  }
  if (s.remote_media) {
    metrics.add_source([&s](const http::MetricsEndpoint::Done& done) {
      stats::Exposition part;
      http::expose_metrics(part, s.remote_media->stats());
      done(std::move(part));
    });
  }
  if (s.network) {
    metrics.add_source([&s](http::MetricsEndpoint::Done done) {
      s.network->stats([done = std::move(done)](const sip::SignalingStats& stats) {
        stats::Exposition part;
        sip::expose_metrics(part, stats);
        done(std::move(part));
      });
    });
  }
}

void Daemon::run() {
  io_.run();
  if (services_->stopper.joinable()) services_->stopper.join();
}

void Daemon::stop() {
  // stop() may come from a signal handler's completion or a test thread: the flag is read and
  // set on the loop, so a second stop() is a no-op.
  boost::asio::post(io_, [this] {
    Services& s = *services_;
    if (s.stopping) return;
    s.stopping = true;
    s.stopper = std::thread([this] {
      if (services_->network) services_->network->stop();
      boost::asio::post(io_, [this] {
        services_->http.stop();
        if (services_->server) services_->server->stop();
        io_.stop();
      });
    });
  });
}

}  // namespace callcast
