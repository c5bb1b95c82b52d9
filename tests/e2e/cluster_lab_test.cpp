// Issue 15's "tests and a demo on one machine", in one lab (tests/support/cluster_lab): Redis,
// Kamailio in front of two signaling nodes, three media nodes, every one on a host of its own
// (network namespaces on one bridge), broadcasters on `pub` and viewers on `view`, calling
// Kamailio's address only:
//
//   kam 10.99.0.1  redis .2  sig1 .3  sig2 .4  media1 .5  media2 .6  media3 .7  pub .8  view .9
//
// In sequence:
//  1. three `callcast broadcast`s (701-707) land on three different media nodes, the least
//     loaded each time (703), and a `callcast watch` of each (710-714) decodes on its node;
//  2. one broadcast's audience goes past cluster.max_viewers_per_node: of four viewers calling
//     together, two take the origin's last places and two play from one edge node, which pulls
//     the group once (712); all decode the same stream, and the edge drops its pull when they
//     hang up;
//  3. a media node is killed (SIGKILL): its broadcaster and viewer get a BYE saying the media node
//     was lost, the other broadcasts' viewers keep decoding, a new broadcast lands on a live node;
//  4. a signaling node is killed (SIGKILL): Kamailio takes it out, and new viewers of every live
//     broadcast, one the dead node set up among them, join through Kamailio and decode.
//
// `make cluster-demo` runs this test with CALLCAST_LAB_NARRATE=1 and CALLCAST_LAB_KEEP=DIR.
#include "support/cluster_lab.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cluster/cluster_keys.hpp"
#include "support/wait_until.hpp"

namespace callcast::test {
namespace cluster_lab {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// The origin's room: the first broadcast's viewer and two of the next four take it.
constexpr int kMaxViewersPerNode = 3;
constexpr int kMediaNodeTtlMs = 2000;
constexpr int kPingIntervalS = 2;  // Kamailio's OPTIONS probes of the signaling nodes
constexpr int kFps = 15;           // LabTerminals' broadcasts
// Broadcaster numbers picked from by their Kamailio hash slot; viewers watch with their own.
const std::vector<std::string> kBroadcasterCandidates = {
    "13800000001", "13800000002", "13800000003", "13800000004", "13800000005",
    "13800000006", "13800000007", "13800000008", "13800000009", "13800000010"};
const std::vector<std::string> kViewers = {
    "13900000011", "13900000012", "13900000013", "13900000014", "13900000015", "13900000016",
    "13900000017", "13900000018", "13900000019", "13900000020", "13900000021", "13900000022"};
// The whole test, however its waits go, ends within this (CTest allows more).
constexpr auto kTestBudget = 100s;

double seconds_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

std::string story(const char* pattern, auto... values) {
  char line[512];
  std::snprintf(line, sizeof line, pattern, values...);
  return line;
}

class ClusterLabTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ClusterLabOptions options;
    options.callcastd = CALLCASTD_PATH;
    options.callcast = CALLCAST_PATH;
    options.kamailio_script = KAMAILIO_FRONT_SCRIPT;
    options.accounts = kBroadcasterCandidates;
    options.accounts.insert(options.accounts.end(), kViewers.begin(), kViewers.end());
    options.media_node_ttl_ms = kMediaNodeTtlMs;
    options.ping_interval_s = kPingIntervalS;
    options.cluster_toml = "max_viewers_per_node = " + std::to_string(kMaxViewersPerNode) + "\n";
    options.media_toml = "edge_linger_s = 2\n";
    options.budget = kTestBudget;
    if (auto reason = ClusterLab::unavailable_reason(options)) {
      // A person asked for the demonstration: say why it cannot run rather than skip.
      if (ClusterLab::narrating()) FAIL() << "the cluster demo cannot run here: " << *reason;
      GTEST_SKIP() << *reason;
    }
    lab_ = std::make_unique<ClusterLab>(options);
    ASSERT_TRUE(lab_->start());
    lab_->narrate(
        "the lab is up: Redis, Kamailio at " + lab_->net().host("kam").address +
        " in front of sig1 and sig2, media nodes media1 media2 media3 (max_viewers_per_node " +
        std::to_string(kMaxViewersPerNode) + ")");
  }
  void TearDown() override { lab_.reset(); }

  ClusterLab& lab() { return *lab_; }
  static std::string output(const ChildProcess& child) { return LabTerminals::output(child); }

  // The media node Redis names as `group`'s (callcast:group:<number>).
  std::optional<std::string> node_in_redis(const std::string& group) {
    return lab().redis_field(cluster::keys::group(group), "node");
  }

  // A new broadcast, live, and where it was placed (703) by which signaling node (701).
  struct Placed {
    ChildProcess* master = nullptr;
    std::string node;
    std::size_t signaling = 0;
  };
  std::optional<Placed> broadcast_and_place(const std::string& number) {
    ChildProcess& master = lab().broadcast(number);
    EXPECT_TRUE(lab().wait_live(master));
    const auto node = lab().placed_on(number);
    const auto by = lab().signaling_logging("group=" + number + " terminal=" + number +
                                            " step=701 event=broadcast_invite");
    EXPECT_TRUE(node && by) << "no placement of " << number << " in the signaling logs";
    if (!node || !by) return std::nullopt;
    EXPECT_EQ(node_in_redis(number).value_or("<none>"), *node) << "Redis's location of " << number;
    lab().narrate("701-707: broadcast " + number + " is live, placed (703) on " + *node +
                  " by sig" + std::to_string(*by + 1));
    return Placed{&master, *node, *by};
  }

  std::unique_ptr<ClusterLab> lab_;
};

TEST_F(ClusterLabTest, BroadcastsSpreadOverflowToAnEdgeAndOutliveAKilledMediaAndSignalingNode) {
  // Broadcasters A and C hash (Kamailio's dispatcher, algorithm 7 over the broadcaster's number)
  // to one signaling node, B and D to the other: step 4 kills A's node, which set up A and C.
  std::vector<int> slots;
  for (const auto& number : kBroadcasterCandidates) {
    const auto slot = lab().kamailio().hash_slot(number, 2);
    ASSERT_TRUE(slot) << "dispatcher.hash failed for " << number;
    slots.push_back(*slot);
  }
  std::vector<std::string> same_slot;   // as the first candidate's
  std::vector<std::string> other_slot;  // the other
  for (std::size_t i = 0; i < slots.size(); ++i)
    (slots[i] == slots[0] ? same_slot : other_slot).push_back(kBroadcasterCandidates[i]);
  ASSERT_TRUE(same_slot.size() >= 2 && other_slot.size() >= 2) << "the candidates do not spread";
  const std::string a = same_slot[0];
  const std::string b = other_slot[0];
  const std::string c = same_slot[1];
  const std::string d = other_slot[1];
  std::size_t next_viewer = 0;
  auto viewer_number = [&] { return kViewers.at(next_viewer++); };

  // ---- 1. Three broadcasts on three media nodes (701-707), a viewer of each (710-714). ----
  std::map<std::string, Placed> placed;
  for (const auto& number : {a, b, c}) {
    auto where = broadcast_and_place(number);
    ASSERT_TRUE(where);
    placed[number] = *where;
  }
  ASSERT_EQ((std::set<std::string>{placed[a].node, placed[b].node, placed[c].node}.size()), 3U)
      << "each on the least loaded node: " << placed[a].node << " " << placed[b].node << " "
      << placed[c].node;
  ASSERT_NE(placed[a].signaling, placed[b].signaling) << "A and B hash to different nodes";
  EXPECT_EQ(placed[a].signaling, placed[c].signaling) << "A and C hash to the same node";

  struct Watcher {
    ChildProcess* process = nullptr;
    std::string number;
    Clock::time_point first_frame;
  };
  std::map<std::string, Watcher> first;  // the first viewer of each broadcast
  for (const auto& number : {a, b, c}) {
    const std::string viewer = viewer_number();
    first[number] = Watcher{&lab().watch(number, viewer), viewer, {}};
  }
  for (const auto& number : {a, b, c}) {
    Watcher& watcher = first[number];
    ASSERT_TRUE(lab().wait_first_frame(*watcher.process));
    watcher.first_frame = Clock::now();
    EXPECT_FALSE(lab().edge_of(watcher.number)) << "room on the origin";
    EXPECT_EQ(
        lab().redis_field(cluster::keys::group_viewers(number), watcher.number).value_or("<none>"),
        placed[number].node)
        << "Redis's record of the node serving " << watcher.number;
    lab().narrate("710-714: viewer " + watcher.number + " of " + number + " decodes, served by " +
                  placed[number].node);
  }

  // ---- 2. A's audience past its node's room: the overflow plays from an edge (711-712). ----
  // Four viewers at once: the signaling node counts its admissions in flight, so two and only
  // two take the origin's last places.
  const std::string& origin = placed[a].node;
  std::vector<Watcher> crowd;
  for (int i = 0; i < 4; ++i) {
    const std::string viewer = viewer_number();
    crowd.push_back(Watcher{&lab().watch(a, viewer), viewer, {}});
  }
  for (auto& watcher : crowd)
    ASSERT_TRUE(lab().wait_first_frame(*watcher.process));
  std::set<std::string> edges;
  std::vector<std::string> on_edge;
  for (const auto& watcher : crowd) {
    if (auto edge = lab().edge_of(watcher.number)) {
      edges.insert(*edge);
      on_edge.push_back(watcher.number);
    }
  }
  ASSERT_EQ(on_edge.size(), 2U) << "viewers on an edge, with " << kMaxViewersPerNode
                                << " places on the origin and one taken";
  ASSERT_EQ(edges.size(), 1U) << "the second overflow viewer joins the first one's edge";
  const std::string edge = *edges.begin();
  EXPECT_NE(edge, origin);
  for (const auto& viewer : on_edge) {
    EXPECT_EQ(lab().redis_field(cluster::keys::group_viewers(a), viewer).value_or("<none>"), edge);
  }
  lab().narrate("711-712: " + a + "'s origin " + origin + " is full; viewers " + on_edge[0] +
                " and " + on_edge[1] + " admitted on edge " + edge);
  // The edge pulls the group from its origin once.
  EXPECT_TRUE(lab().media(edge).wait_for_log("pulling the group from its origin", 1s));
  const std::string edge_log = file_tail(lab().media(edge).log_path(), 1 << 24);
  std::size_t pulls = 0;
  for (auto at = edge_log.find("pulling the group from its origin"); at != std::string::npos;
       at = edge_log.find("pulling the group from its origin", at + 1)) {
    ++pulls;
  }
  EXPECT_EQ(pulls, 1U) << edge_log;

  // A few seconds of watching, then the four hang up together: each decoded about as many frames
  // (the edge's viewers started within a second or two of the others).
  std::this_thread::sleep_for(lab().within(6s));
  for (auto& watcher : crowd)
    watcher.process->send_signal(SIGINT);
  std::vector<std::int64_t> frames;
  for (auto& watcher : crowd) {
    frames.push_back(lab().frames_decoded_at_end(*watcher.process, "watch-" + watcher.number));
    EXPECT_GE(frames.back(), 0) << watcher.number << ": no figures\n" << output(*watcher.process);
    lab().narrate(story("714: viewer %s of %s on %s decoded %lld frames", watcher.number.c_str(),
                        a.c_str(), lab().edge_of(watcher.number).value_or(origin).c_str(),
                        static_cast<long long>(frames.back())));
  }
  const auto [fewest, most] = std::minmax_element(frames.begin(), frames.end());
  EXPECT_GE(*fewest, 4 * kFps) << "at 15 fps for 6 s, every viewer decodes";
  EXPECT_LE(*most - *fewest, 3 * kFps) << "the same stream, joined within seconds";
  // Its viewers gone, the edge drops its pull after the linger and leaves the group's edges; the
  // broadcast and its first viewer play on.
  EXPECT_TRUE(lab().media(edge).wait_for_log("reason=edge_closed", lab().within(15s)))
      << lab().media(edge).log_tail();
  EXPECT_TRUE(lab().media(edge).wait_for_log("no longer an edge of it", lab().within(5s)))
      << lab().media(edge).log_tail();
  lab().narrate("the edge viewers hung up: " + edge + " dropped its pull of " + a);
  EXPECT_TRUE(placed[a].master->running()) << output(*placed[a].master);
  EXPECT_TRUE(first[a].process->running()) << output(*first[a].process);

  // ---- 3. A media node dies: neither A's origin nor its edge, so B's or C's. ----
  const std::string lost_group = placed[b].node != edge ? b : c;
  const std::string kept_group = lost_group == b ? c : b;
  const std::string lost = placed[lost_group].node;
  ASSERT_NE(lost, origin);
  ASSERT_NE(lost, edge);
  const pid_t lost_pid = lab().media(lost).pid();
  std::map<std::string, std::size_t> said_by_kill;  // what each going-on viewer had printed
  for (const auto& number : {a, kept_group})
    said_by_kill[number] = file_text(first[number].process->options().stdout_file).size();
  const auto killed_at = Clock::now();
  lab().media(lost).kill();  // SIGKILL by its PID: no withdrawal, its directory entry expires
  lab().narrate(story("killed media node %s (pid %d, SIGKILL), which holds %s", lost.c_str(),
                      static_cast<int>(lost_pid), lost_group.c_str()));
  const std::string why = "the media node was lost";
  ASSERT_TRUE(LabTerminals::wait_for_output(*first[lost_group].process, why, lab().within(20s)));
  ASSERT_TRUE(LabTerminals::wait_for_output(*placed[lost_group].master, why, lab().within(10s)));
  const double ended_s = seconds_between(killed_at, Clock::now());
  EXPECT_LE(ended_s, kMediaNodeTtlMs / 1000.0 + 5.0) << "the TTL, a directory poll and the BYEs";
  lab().narrate(
      story("%s's broadcaster and viewer got BYE (\"%s\") %.2f s after the kill "
            "(media_node_ttl_ms %d)",
            lost_group.c_str(), why.c_str(), ended_s, kMediaNodeTtlMs));
  EXPECT_TRUE(first[lost_group].process->wait_for(lab().within(10s)))
      << output(*first[lost_group].process);
  EXPECT_TRUE(placed[lost_group].master->wait_for(lab().within(10s)))
      << output(*placed[lost_group].master);
  for (const auto& number : {a, kept_group}) {
    EXPECT_TRUE(placed[number].master->running()) << output(*placed[number].master);
    EXPECT_TRUE(first[number].process->running()) << output(*first[number].process);
  }

  // A new broadcast lands on a live node, and is watched there.
  auto late = broadcast_and_place(d);
  ASSERT_TRUE(late);
  placed[d] = *late;
  EXPECT_NE(placed[d].node, lost);
  const std::string late_viewer = viewer_number();
  first[d] = Watcher{&lab().watch(d, late_viewer), late_viewer, {}};
  ASSERT_TRUE(lab().wait_first_frame(*first[d].process));
  first[d].first_frame = Clock::now();
  lab().narrate("714: viewer " + late_viewer + " of " + d + " decodes on " + placed[d].node);

  // The kill did not touch the other broadcasts: their first viewers' status lines since the
  // kill show pictures decoded (the rate over the last second), and hanging up now they decoded
  // more than they could have by the kill (15 fps since their first frame, with two seconds for
  // the GOP replayed at the join and slack).
  for (const auto& number : {a, kept_group}) {
    Watcher& watcher = first[number];
    // The status line comes every 5 s in a log: wait for one that shows pictures.
    static const std::regex kRate("([0-9]+(\\.[0-9]+)?) fps");
    std::string since_kill;
    double best_fps = 0;
    wait_until(
        [&] {
          since_kill =
              file_text(watcher.process->options().stdout_file).substr(said_by_kill[number]);
          for (std::sregex_iterator it(since_kill.begin(), since_kill.end(), kRate), end; it != end;
               ++it) {
            best_fps = std::max(best_fps, std::stod((*it)[1].str()));
          }
          return best_fps >= kFps / 3.0;
        },
        lab().within(6s));
    EXPECT_GE(best_fps, kFps / 3.0) << watcher.number << "'s status since the kill:\n"
                                    << since_kill;
    EXPECT_TRUE(watcher.process->running()) << output(*watcher.process);
    const auto hung_up_at = Clock::now();
    const auto decoded =
        lab().hang_up_and_count_frames(*watcher.process, "watch-" + watcher.number);
    const double by_kill = kFps * (seconds_between(watcher.first_frame, killed_at) + 2.0);
    const double after_kill_s = seconds_between(killed_at, hung_up_at);
    EXPECT_GT(static_cast<double>(decoded), by_kill)
        << watcher.number << " stopped decoding at the kill? " << after_kill_s << " s after it\n"
        << output(*watcher.process);
    lab().narrate(
        story("714: viewer %s of %s plays on: %.1f fps after the kill, %lld frames in "
              "all (at most %.0f by the kill, %.1f s before the hang-up)",
              watcher.number.c_str(), number.c_str(), best_fps, static_cast<long long>(decoded),
              by_kill, after_kill_s));
  }

  // ---- 4. A signaling node dies: the one that set up A and C. ----
  const std::size_t dead = placed[a].signaling;
  const std::size_t survivor = 1 - dead;
  const pid_t dead_pid = lab().signaling(dead).pid();
  const auto sig_killed_at = Clock::now();
  lab().signaling(dead).kill();
  lab().narrate(story("killed signaling node sig%zu (pid %d, SIGKILL), which set up %s and %s",
                      dead + 1, static_cast<int>(dead_pid), a.c_str(), c.c_str()));
  ASSERT_TRUE(lab().kamailio().wait_for_log("callcast: node down " + lab().signaling_uri(dead),
                                            lab().within(10s)))
      << lab().kamailio().log_tail();
  lab().narrate(story("Kamailio took sig%zu out after %.2f s (OPTIONS every %d s)", dead + 1,
                      seconds_between(sig_killed_at, Clock::now()), kPingIntervalS));

  // New viewers of every live broadcast call Kamailio: all reach the survivor, which adopts the
  // dead node's broadcasts from the media side (703) and admits them (711-713).
  std::vector<std::string> live = {a, kept_group, d};
  std::vector<Watcher> newcomers;
  for (const auto& number : live) {
    const std::string viewer = viewer_number();
    newcomers.push_back(Watcher{&lab().watch(number, viewer), viewer, {}});
  }
  for (std::size_t i = 0; i < live.size(); ++i) {
    Watcher& watcher = newcomers[i];
    ASSERT_TRUE(lab().wait_first_frame(*watcher.process));
    EXPECT_EQ(lab().signaling_logging("group=" + live[i] + " terminal=" + watcher.number +
                                      " step=710 event=viewer_invite"),
              survivor);
    lab().narrate(
        story("710-714: new viewer %s of %s (set up by sig%zu) decodes through Kamailio "
              "and sig%zu, %.2f s after the kill",
              watcher.number.c_str(), live[i].c_str(), placed[live[i]].signaling + 1, survivor + 1,
              seconds_between(sig_killed_at, Clock::now())));
  }
  EXPECT_EQ(lab().signaling_logging("group=" + a + " terminal=" + a +
                                    " step=703 event=broadcast_adopted"),
            survivor)
      << "the survivor adopts the dead node's broadcast";
  std::this_thread::sleep_for(lab().within(3s));
  for (std::size_t i = 0; i < live.size(); ++i) {
    const auto decoded =
        lab().hang_up_and_count_frames(*newcomers[i].process, "watch-" + newcomers[i].number);
    EXPECT_GE(decoded, 2 * kFps) << newcomers[i].number << "\n" << output(*newcomers[i].process);
    lab().narrate(story("714: new viewer %s of %s decoded %lld frames on %s",
                        newcomers[i].number.c_str(), live[i].c_str(),
                        static_cast<long long>(decoded),
                        lab().edge_of(newcomers[i].number).value_or(placed[live[i]].node).c_str()));
  }
  for (const auto& number : live)
    EXPECT_TRUE(placed[number].master->running()) << output(*placed[number].master);
  if (!HasFailure()) lab().narrate("all four steps held");
}

}  // namespace cluster_lab
}  // namespace callcast::test
