#include "support/cluster_lab.hpp"

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <regex>

#include "cluster/redis_client.hpp"
#include "support/media_tools.hpp"
#include "support/netns_scope.hpp"

namespace callcast::test {

namespace {

using namespace std::chrono_literals;
using LabClock = std::chrono::steady_clock;

constexpr const char* kMediaKey = "cluster-media-key";
// One secret per cluster: tokens minted by one node are good at any other, and the signaling
// nodes' digest nonces too (a retry with credentials may reach another node than the challenge).
constexpr const char* kClusterSecret = "cluster-secret";
constexpr std::uint16_t kRedisPort = 6379;

const char* env_or_null(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : nullptr;
}

// The first match of `pattern`'s group 1 in `text`.
std::optional<std::string> first_match(const std::string& text, const std::string& pattern) {
  std::smatch match;
  if (!std::regex_search(text, match, std::regex(pattern))) return std::nullopt;
  return match[1].str();
}

}  // namespace

std::optional<std::string> ClusterLab::unavailable_reason(const ClusterLabOptions& options) {
  if (auto reason = NetnsLab::unavailable_reason()) {
    return "network namespaces unavailable here: " + *reason;
  }
  if (!options.kamailio_script.empty()) {
    if (auto reason = KamailioFront::unavailable_reason()) return reason;
  }
  if (std::system("command -v redis-server >/dev/null 2>&1") != 0) {
    return std::string("redis-server is not installed (Debian package redis-server)");
  }
  if (const std::string missing = missing_tools(); !missing.empty()) {
    return "tools missing: " + missing;
  }
  return std::nullopt;
}

bool ClusterLab::narrating() {
  return env_or_null("CALLCAST_LAB_NARRATE") != nullptr;
}

ClusterLab::ClusterLab(ClusterLabOptions options)
    : options_(std::move(options)),
      started_(LabClock::now()),
      deadline_(started_ + options_.budget) {}

ClusterLab::~ClusterLab() {
  terminals_.reset();  // their BYEs still find Kamailio and the nodes
  signaling_.clear();
  kamailio_.reset();
  media_.clear();
  redis_.reset();
  net_.reset();
  keep_directory();
}

::testing::AssertionResult ClusterLab::start() {
  dir_ = std::make_unique<TempDir>(options_.name);
  std::vector<std::string> hosts;
  if (!options_.kamailio_script.empty()) hosts.emplace_back("kam");
  hosts.emplace_back("redis");
  hosts.insert(hosts.end(), options_.signaling.begin(), options_.signaling.end());
  hosts.insert(hosts.end(), options_.media.begin(), options_.media.end());
  hosts.emplace_back("pub");
  hosts.emplace_back("view");
  net_ = std::make_unique<NetnsLab>(dir(), hosts);
  if (!net_->ok())
    return ::testing::AssertionFailure() << "cannot build the lab: " << net_->error();

  std::filesystem::create_directories(dir() / "redis");
  const LabHost& redis_host = net_->host("redis");
  redis_ = std::make_unique<RedisServer>(
      dir() / "redis",
      RedisServerPlace{net_->in(redis_host, {}), redis_host.netns, redis_host.address, kRedisPort});
  if (!redis_->started()) return ::testing::AssertionFailure() << redis_->error();

  for (const auto& host : options_.media) {
    media_[host] = start_node(host, "media");
    if (!media_[host]) return ::testing::AssertionFailure() << "media node " << host;
  }
  for (const auto& host : options_.signaling) {
    signaling_.push_back(start_node(host, "signaling"));
    if (!signaling_.back()) return ::testing::AssertionFailure() << "signaling node " << host;
  }
  std::string front = net_->host(options_.signaling.front()).address;
  if (!options_.kamailio_script.empty()) {
    KamailioFrontOptions kamailio;
    kamailio.script = options_.kamailio_script;
    kamailio.exec_prefix = net_->in(net_->host("kam"), {});
    kamailio.listen = net_->host("kam").address;
    kamailio.port = kSipPort;
    for (std::size_t i = 0; i < signaling_.size(); ++i)
      kamailio.nodes.push_back(signaling_uri(i).substr(4));
    kamailio.ping_interval_s = options_.ping_interval_s;
    kamailio_ = std::make_unique<KamailioFront>(dir() / "kamailio", kamailio);
    if (auto started = kamailio_->start(); !started) return started;
    front = kamailio.listen;
  }
  terminals_ = std::make_unique<LabTerminals>(*net_, dir(), options_.callcast,
                                              front + ":" + std::to_string(kSipPort), kPassword);
  return ::testing::AssertionSuccess();
}

std::unique_ptr<CallcastServer> ClusterLab::start_node(const std::string& host,
                                                       const std::string& role) {
  const auto where = dir() / host;
  std::filesystem::create_directories(where);
  ServerOptions options;
  options.role = role;
  options.log_level = "info";
  options.exec_prefix = net_->in(net_->host(host), {});
  options.http = "0.0.0.0:" + std::to_string(kHttpPort);
  const std::string cluster =
      "[cluster]\nredis_url = \"" + redis_->url() + "\"\nnode_id = \"" + host +
      "\"\nmedia_node_ttl_ms = " + std::to_string(options_.media_node_ttl_ms) +
      "\ngroup_ttl_ms = " + std::to_string(options_.group_ttl_ms) + "\n" + options_.cluster_toml;
  const std::string secret = std::string("token_secret = \"") + kClusterSecret + "\"\n";
  if (role == "media") {
    options.rtsp = "0.0.0.0:8554";
    options.rtp_ports = "8000-8001";
    // Listening on every interface: the node says where the others reach it. The signaling
    // nodes are on other hosts: the control API answers them with the key.
    options.config_toml = secret + "[http]\napi_key = \"" + kMediaKey +
                          "\"\n[media]\npublisher_grace_s = 5\n" + options_.media_toml + cluster +
                          "advertise_host = \"" + net_->host(host).address + "\"\n";
  } else {
    options.sip = "0.0.0.0:" + std::to_string(kSipPort);
    for (const auto& number : options_.accounts)
      options.users.emplace_back(number, kPassword);
    options.users_file = dir() / "users";  // one users file for the cluster
    // The Ut API a broadcaster is told is this node's own (the Request-URI names Kamailio);
    // a phone's address is read below Kamailio's Via.
    const std::string proxies = options_.kamailio_script.empty()
                                    ? ""
                                    : "trusted_proxies = [\"" + net_->host("kam").address + "\"]\n";
    options.config_toml = secret + "[sip]\n" + proxies + "media_api_key = \"" + kMediaKey +
                          "\"\n[http]\npublic_url = \"http://" + net_->host(host).address + ":" +
                          std::to_string(kHttpPort) + "\"\n" + cluster;
  }
  auto server = std::make_unique<CallcastServer>(options_.callcastd, where, options);
  if (auto started = server->start(); !started) {
    ADD_FAILURE() << "cannot start " << role << " on " << host << ": " << started.message();
    return nullptr;
  }
  return server;
}

std::chrono::milliseconds ClusterLab::within(std::chrono::milliseconds timeout) const {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - LabClock::now());
  return std::max(std::chrono::milliseconds(0), std::min(timeout, left));
}

double ClusterLab::seconds_since_start() const {
  return std::chrono::duration<double>(LabClock::now() - started_).count();
}

std::string ClusterLab::signaling_uri(std::size_t index) const {
  return "sip:" + net_->host(options_.signaling.at(index)).address + ":" + std::to_string(kSipPort);
}

std::optional<std::size_t> ClusterLab::signaling_logging(const std::string& text) const {
  std::optional<std::size_t> found;
  for (std::size_t i = 0; i < signaling_.size(); ++i) {
    const auto& log = signaling_[i]->log_path();
    if ((file_tail(log, 1 << 24) + file_tail(log.string() + ".killed", 1 << 24)).find(text) ==
        std::string::npos) {
      continue;
    }
    if (found) return std::nullopt;
    found = i;
  }
  return found;
}

std::string ClusterLab::all_signaling_logs() const {
  std::string logs;
  for (const auto& node : signaling_)
    logs += file_tail(node->log_path(), 1 << 24);
  return logs;
}

std::optional<std::string> ClusterLab::placed_on(const std::string& group) const {
  return first_match(all_signaling_logs(),
                     "group=" + group + " step=703 placed on media node ([A-Za-z0-9]+)");
}

std::optional<std::string> ClusterLab::edge_of(const std::string& viewer) const {
  return first_match(all_signaling_logs(),
                     "terminal=" + viewer + " step=712 admitted on edge media node ([A-Za-z0-9]+)");
}

std::optional<std::string> ClusterLab::redis_field(const std::string& key,
                                                   const std::string& field) const {
  const NetnsScope inside(net_->host("redis").netns);
  if (!inside.ok()) return std::nullopt;
  cluster::RedisClient redis(redis_->address());
  auto value = redis.string_or_nil({"HGET", key, field});
  if (!value) return std::nullopt;
  return *value;
}

ChildProcess& ClusterLab::broadcast(const std::string& number) {
  return terminals_->broadcast(number);
}

ChildProcess& ClusterLab::watch(const std::string& number, const std::string& viewer) {
  std::vector<std::string> record;
  if (env_or_null("CALLCAST_LAB_KEEP") != nullptr) {
    record = {"--record", (dir() / ("watch-" + viewer + ".mkv")).string()};
  }
  return terminals_->watch(number, viewer, "view", std::move(record));
}

::testing::AssertionResult ClusterLab::wait_live(ChildProcess& master) {
  auto live = LabTerminals::wait_for_output(master, "step 707", within(30s));
  if (!live) return live << "\nsignaling logs:\n" << all_signaling_logs().substr(0, 1 << 16);
  return LabTerminals::wait_for_output(master, "now forward to the service number", within(10s));
}

::testing::AssertionResult ClusterLab::wait_first_frame(ChildProcess& viewer) {
  return LabTerminals::wait_for_output(viewer, "step 714: first frame", within(40s));
}

std::optional<nlohmann::json> ClusterLab::stats(const std::string& name) const {
  auto parsed =
      nlohmann::json::parse(file_tail(dir() / (name + ".stats.json"), 1 << 20), nullptr, false);
  if (parsed.is_discarded()) return std::nullopt;
  return parsed;
}

std::int64_t ClusterLab::hang_up_and_count_frames(ChildProcess& viewer, const std::string& name) {
  viewer.send_signal(SIGINT);
  return frames_decoded_at_end(viewer, name);
}

std::int64_t ClusterLab::frames_decoded_at_end(ChildProcess& viewer, const std::string& name) {
  if (!viewer.wait_for(within(15s))) return -1;
  const auto figures = stats(name);
  return figures ? figures->value("frames_decoded", std::int64_t{-1}) : -1;
}

void ClusterLab::narrate(std::string_view line) const {
  std::printf("[%s] %5.1f s  %.*s\n", narrating() ? "cluster-demo" : "cluster-lab",
              seconds_since_start(), static_cast<int>(line.size()), line.data());
  std::fflush(stdout);
}

void ClusterLab::keep_directory() const {
  const char* keep = env_or_null("CALLCAST_LAB_KEEP");
  if (keep == nullptr || !dir_) return;
  // Files only: Kamailio's control socket and the like cannot be copied, nor are they worth it.
  std::error_code error;
  std::filesystem::remove_all(keep, error);
  std::size_t copied = 0;
  for (auto it = std::filesystem::recursive_directory_iterator(dir(), error);
       !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
    if (!it->is_regular_file()) continue;
    const auto to = std::filesystem::path(keep) / std::filesystem::relative(it->path(), dir());
    std::error_code ignored;
    std::filesystem::create_directories(to.parent_path(), ignored);
    if (std::filesystem::copy_file(it->path(), to, ignored)) ++copied;
  }
  std::printf("[%s] the lab's logs, figures and recordings (%zu files): %s\n",
              narrating() ? "cluster-demo" : "cluster-lab", copied, keep);
  std::fflush(stdout);
}

}  // namespace callcast::test
