#pragma once
// Issue 15's cluster on one machine, as the cluster lab test and `make cluster-demo` run it: every
// role on a host of its own (network namespaces on one bridge, NetnsLab), in this order:
//
//   kam 10.99.0.1 (Kamailio, when asked for)   redis   sig1 sig2 ...   media1 media2 ...
//   pub (broadcasters)   view (viewers)
//
// Redis, the media nodes (`--role media`, in the directory with their advertised address), the
// signaling nodes (`--role signaling` without --media-url: placement over the directory, 702-703)
// and Kamailio in front of them (scripts/kamailio-front.sh, config/kamailio/kamailio.cfg), with
// `callcast` terminals calling Kamailio's address (or the first signaling node's without it).
// Everything it starts ends with it, terminals first (their BYEs still find the nodes), and the
// namespaces go, whatever the test's outcome.
//
// Two environment variables make a test of it a demonstration (`make cluster-demo`):
// CALLCAST_LAB_NARRATE=1 prints each step as "[cluster-demo] ..." (else "[cluster-lab] ...") and
// turns "cannot run here" into a failure instead of a skip; CALLCAST_LAB_KEEP=DIR copies the lab's
// directory (every node's log, the terminals' output and figures, recordings) to DIR at the end.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/callcast_server.hpp"
#include "support/child_process.hpp"
#include "support/kamailio_front.hpp"
#include "support/lab_terminals.hpp"
#include "support/netns_lab.hpp"
#include "support/redis_server.hpp"
#include "support/temp_dir.hpp"

namespace callcast::test {

struct ClusterLabOptions {
  std::string name = "cluster-lab";  // the temporary directory's prefix
  std::filesystem::path callcastd;   // the binaries under test
  std::filesystem::path callcast;
  std::filesystem::path kamailio_script;  // empty: no Kamailio, terminals call signaling[0]
  std::vector<std::string> signaling = {"sig1", "sig2"};
  std::vector<std::string> media = {"media1", "media2", "media3"};
  std::vector<std::string> accounts;  // numbers with kPassword on the signaling nodes
  // Short, so that a lost node is seen within seconds (the defaults are 6 s and 10 s).
  int media_node_ttl_ms = 2000;
  int group_ttl_ms = 4000;
  std::string cluster_toml;  // more lines for every node's [cluster]
  std::string media_toml;    // more lines for the media nodes' [media]
  int ping_interval_s = 2;   // Kamailio's OPTIONS probes
  std::chrono::seconds budget{100};
};

class ClusterLab {
 public:
  static constexpr const char* kPassword = "secret-pass";
  static constexpr std::uint16_t kSipPort = 5060;
  static constexpr std::uint16_t kHttpPort = 8080;

  // Why this machine cannot run the lab (not root, no namespaces, a tool missing), or nullopt.
  static std::optional<std::string> unavailable_reason(const ClusterLabOptions& options);
  // CALLCAST_LAB_NARRATE is set: a person is watching (`make cluster-demo`).
  static bool narrating();

  explicit ClusterLab(ClusterLabOptions options);
  ~ClusterLab();
  ClusterLab(const ClusterLab&) = delete;
  ClusterLab& operator=(const ClusterLab&) = delete;

  // Builds the hosts and starts Redis, the media nodes, the signaling nodes and Kamailio.
  ::testing::AssertionResult start();

  const std::filesystem::path& dir() const { return dir_->path(); }
  const NetnsLab& net() const { return *net_; }
  CallcastServer& media(const std::string& host) { return *media_.at(host); }
  CallcastServer& signaling(std::size_t index) { return *signaling_.at(index); }
  KamailioFront& kamailio() { return *kamailio_; }
  LabTerminals& terminals() { return *terminals_; }
  // `timeout`, cut down to what is left of the budget.
  std::chrono::milliseconds within(std::chrono::milliseconds timeout) const;
  double seconds_since_start() const;

  // "sip:ADDRESS:PORT" of signaling node `index`, as Kamailio's dispatcher names it.
  std::string signaling_uri(std::size_t index) const;
  // The signaling node whose log (a killed node's too) shows `text`; nullopt when none or several.
  std::optional<std::size_t> signaling_logging(const std::string& text) const;
  // The media node a signaling node placed `group` on (703), from its log.
  std::optional<std::string> placed_on(const std::string& group) const;
  // The edge media node a signaling node admitted `viewer` on (712); nullopt: none (the origin).
  std::optional<std::string> edge_of(const std::string& viewer) const;
  // HGET in the cluster's Redis, read on its host; nullopt for a missing field or an error.
  std::optional<std::string> redis_field(const std::string& key, const std::string& field) const;

  // `callcast broadcast` of `number` from pub; `callcast watch` of `number` as `viewer` from
  // view, recording what it decodes into <dir>/watch-<viewer>.mkv when the lab is kept.
  ChildProcess& broadcast(const std::string& number);
  ChildProcess& watch(const std::string& number, const std::string& viewer);
  // Live (707) and forwarding to the service number set (708).
  ::testing::AssertionResult wait_live(ChildProcess& master);
  ::testing::AssertionResult wait_first_frame(ChildProcess& viewer);
  // A terminal's --stats-json, written when it ends ("watch-<viewer>", "broadcast-<number>").
  std::optional<nlohmann::json> stats(const std::string& name) const;
  // The frames_decoded of a viewer (`name`: "watch-<viewer>") once it ended (bounded), -1 when it
  // did not end or wrote no figures; hang_up_and_count_frames sends it SIGINT first.
  std::int64_t frames_decoded_at_end(ChildProcess& viewer, const std::string& name);
  std::int64_t hang_up_and_count_frames(ChildProcess& viewer, const std::string& name);

  // One line of the story, with the time since the start and the patent's step numbers in it.
  void narrate(std::string_view line) const;

 private:
  std::unique_ptr<CallcastServer> start_node(const std::string& host, const std::string& role);
  std::string all_signaling_logs() const;
  void keep_directory() const;

  ClusterLabOptions options_;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point deadline_;
  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<NetnsLab> net_;
  std::unique_ptr<RedisServer> redis_;
  std::map<std::string, std::unique_ptr<CallcastServer>> media_;
  std::vector<std::unique_ptr<CallcastServer>> signaling_;
  std::unique_ptr<KamailioFront> kamailio_;
  std::unique_ptr<LabTerminals> terminals_;  // after the lab, before the servers end
};

}  // namespace callcast::test
