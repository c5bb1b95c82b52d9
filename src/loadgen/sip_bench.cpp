#include "loadgen/sip_bench.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "auth/user_directory.hpp"
#include "loadgen/churn_report.hpp"
#include "loadgen/cpu_usage.hpp"
#include "loadgen/http_client.hpp"
#include "loadgen/process_usage.hpp"
#include "sipwire/iptv_sdp.hpp"

namespace callcast::loadgen {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto kServerReadyTimeout = 10s;
constexpr auto kServerStopGrace = 5s;
constexpr auto kHttpTimeout = 5s;
constexpr auto kHangUpTimeout = 10s;
constexpr auto kCleanTimeout = 10s;
// callcastd re-reads a changed users file at most once a second (auth/user_directory.hpp).
constexpr auto kUsersReloadWait = 1200ms;
constexpr auto kRssSettleTimeout = 3s;
constexpr auto kRssSettleStep = 200ms;

std::string numbered(const char* prefix, std::size_t n) {
  char digits[16];
  std::snprintf(digits, sizeof digits, "%07zu", n);
  return prefix + std::string(digits);
}

// ../callcastd/callcastd from this binary's directory: apps/callcast-bench and apps/callcastd
// are siblings in every build directory.
std::filesystem::path sibling_callcastd() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "callcastd";
  return (self.parent_path() / ".." / "callcastd" / "callcastd").lexically_normal();
}

std::string fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

std::string describe_phase(const PhaseResult& result) {
  std::string text =
      result.phase + ": " + std::to_string(result.ok) + "/" + std::to_string(result.calls) +
      " answered in " + fixed(result.wall_s, 2) + " s, " + fixed(result.setups_per_s, 1) +
      " set-ups/s, INVITE->200 p50 " + fixed(result.latency.p50_ms, 1) + " ms p99 " +
      fixed(result.latency.p99_ms, 1) + " ms max " + fixed(result.latency.max_ms, 1) + " ms";
  if (result.server_cpu_pct) text += ", server CPU " + fixed(*result.server_cpu_pct, 0) + "%";
  for (const auto& error : result.errors) {
    text += "\n  " + error;
  }
  return text;
}

}  // namespace

SipBench::SipBench(SipBenchOptions options)
    : options_(std::move(options)),
      transport_name_(options_.transport == sipua::Transport::tcp ? "tcp" : "udp") {
  work_.emplace(io_.get_executor());
  io_thread_ = std::thread([this] { io_.run(); });
}

SipBench::~SipBench() {
  close_publishers();
  stop_agents();
  // After the closes close_publishers() queued, not before: posted work runs in order.
  boost::asio::post(io_, [this] { io_.stop(); });
  work_.reset();
  if (io_thread_.joinable()) io_thread_.join();
  if (server_) server_->stop(kServerStopGrace);
}

std::string SipBench::master_number(std::size_t i) const {
  return numbered("1380", i + 1);
}

std::string SipBench::viewer_number(std::size_t j) const {
  return numbered("1390", j + 1);
}

void SipBench::emit(const nlohmann::ordered_json& line) {
  std::cout << line.dump() << std::endl;
}

void SipBench::say(const std::string& text) {
  if (!options_.json_only) std::cout << text << std::endl;
}

Result<bool, std::string> SipBench::write_users(const std::filesystem::path& file) {
  std::vector<std::string> numbers;
  for (std::size_t i = 0; i < options_.masters; ++i) {
    numbers.push_back(master_number(i));
  }
  for (std::size_t j = 0; j < options_.viewers; ++j) {
    numbers.push_back(viewer_number(j));
  }
  for (const auto& number : numbers) {
    auto added = auth::add_user(file, options_.realm, number, options_.password);
    if (!added) return fail("users file " + file.string() + ": " + added.error());
  }
  return true;
}

Result<bool, std::string> SipBench::prepare_server() {
  if (options_.external_server()) {
    auto sip = core::parse_host_port(options_.sip);
    if (!sip) return fail("--sip: " + sip.error());
    auto http = core::parse_host_port(options_.http);
    if (!http) return fail("--http: " + http.error());
    auto written = write_users(options_.users_file);
    if (!written) return written;
    std::this_thread::sleep_for(kUsersReloadWait);
    sip_address_ = *sip;
    http_address_ = *http;
    server_pid_ = options_.server_pid;
    return true;
  }

  auto scratch = ScratchDir::create("callcast-bench");
  if (!scratch) return fail(scratch.error());
  scratch_.emplace(std::move(scratch).value());
  if (options_.keep_dir) scratch_->keep();
  const auto& dir = scratch_->path();
  const auto users = dir / "users";
  auto written = write_users(users);
  if (!written) return written;

  // Caps above what the run needs, so that the figures are not those of a 503.
  const std::size_t viewer_calls = options_.masters * options_.viewers;
  std::ofstream config(dir / "callcastd.toml");
  config << "log_level = \"warn\"\n"
         << "[media]\n"
         << "max_groups = " << options_.masters + 10 << "\n"
         << "max_viewers_per_group = " << options_.viewers + 10 << "\n"
         << "max_connections = " << std::max<std::size_t>(4096, 2 * options_.masters + 100) << "\n"
         << "[sip]\n"
         << "service_number = \"" << options_.service_number << "\"\n"
         << "realm = \"" << options_.realm << "\"\n"
         << "max_calls = " << options_.masters + viewer_calls + 100 << "\n";
  // Its viewers only signal, they never PLAY: no BYE for media that never starts while a round
  // lasts (sip.viewer_media_start_timeout_s).
  config << "viewer_media_start_timeout_s = 86400\n";
  config.close();
  if (!config) return fail("cannot write " + (dir / "callcastd.toml").string());

  const std::filesystem::path binary =
      options_.callcastd.empty() ? sibling_callcastd() : std::filesystem::path(options_.callcastd);
  const std::vector<std::string> args = {"--config",        (dir / "callcastd.toml").string(),
                                         "--sip",           "127.0.0.1:0",
                                         "--http",          "127.0.0.1:0",
                                         "--rtsp",          "127.0.0.1:0",
                                         "--rtp-ports",     "0-0",
                                         "--users",         users.string(),
                                         "--forwarding-db", (dir / "forwarding.sqlite").string()};
  auto started = CallcastdProcess::start(binary, args, dir / "callcastd.log",
                                         std::chrono::milliseconds(kServerReadyTimeout));
  if (!started) return fail(started.error());
  server_ = std::move(started).value();
  sip_address_ = server_->endpoints().sip;
  http_address_ = server_->endpoints().http;
  server_pid_ = server_->pid();
  return true;
}

Result<bool, std::string> SipBench::parse_cluster_options() {
  for (const auto& address : options_.also_clean) {
    auto node = core::parse_host_port(address);
    if (!node) return fail("--also-clean '" + address + "': " + node.error());
    also_clean_.push_back(*node);
  }
  for (const auto& spec : options_.watch_pids) {
    const auto equals = spec.find('=');
    if (equals == std::string::npos || equals == 0 || equals + 1 == spec.size()) {
      return fail("--watch-pid '" + spec + "': expected NAME=PID or NAME=PID+PID...");
    }
    std::vector<pid_t> pids;
    std::string_view rest = std::string_view(spec).substr(equals + 1);
    while (!rest.empty()) {
      const auto plus = rest.find('+');
      const std::string_view one = rest.substr(0, plus);
      pid_t pid = 0;
      const auto [end, error] = std::from_chars(one.data(), one.data() + one.size(), pid);
      if (error != std::errc() || end != one.data() + one.size() || pid <= 0) {
        return fail("--watch-pid '" + spec + "': '" + std::string(one) + "' is not a pid");
      }
      if (!sample_process(pid)) {
        return fail("--watch-pid '" + spec + "': no process " + std::to_string(pid));
      }
      pids.push_back(pid);
      rest = plus == std::string_view::npos ? std::string_view() : rest.substr(plus + 1);
    }
    watched_.emplace_back(spec.substr(0, equals), std::move(pids));
  }
  return true;
}

Result<bool, std::string> SipBench::start_agents() {
  auto start =
      [this](const std::string& number) -> Result<std::unique_ptr<sipua::UserAgent>, std::string> {
    sipua::UserAgentOptions agent;
    agent.transport = options_.transport;
    agent.account = {number, options_.password, core::to_string(sip_address_)};
    agent.record_messages = false;  // parsing every message would load the client, not callcastd
    agent.shutdown_timeout = 2s;
    agent.user_agent = "callcast-bench";
    return sipua::UserAgent::start(std::move(agent));
  };
  for (std::size_t i = 0; i < options_.masters; ++i) {
    auto agent = start(master_number(i));
    if (!agent) return fail("user agent of " + master_number(i) + ": " + agent.error());
    master_agents_.push_back(std::move(agent).value());
  }
  for (std::size_t j = 0; j < options_.viewers; ++j) {
    auto agent = start(viewer_number(j));
    if (!agent) return fail("user agent of " + viewer_number(j) + ": " + agent.error());
    viewer_agents_.push_back(std::move(agent).value());
  }
  return true;
}

void SipBench::stop_agents() {
  // Each destructor waits for its stack to shut down: in parallel, not one after the other.
  std::vector<std::thread> stoppers;
  for (auto* agents : {&master_agents_, &viewer_agents_}) {
    for (auto& agent : *agents) {
      stoppers.emplace_back([gone = std::move(agent)]() mutable { gone.reset(); });
    }
    agents->clear();
  }
  for (auto& stopper : stoppers) {
    stopper.join();
  }
}

void SipBench::start_publisher(BenchCall& call, const std::string& sdp) {
  const std::string url = sip::rtsp_uri_from_sdp(sdp);
  if (url.empty()) {
    call.abandon("rtsp_failed", "no publish URI in the 183's SDP");
    return;
  }
  auto publisher = RtspPublisher::create(io_, url, options_.timeout);
  {
    std::lock_guard lock(publishers_mutex_);
    publishers_.push_back(publisher);
  }
  publisher->start([call = call.shared_from_this()](const std::string& error) {
    if (!error.empty()) call->abandon("rtsp_failed", error);
  });
}

void SipBench::close_publishers() {
  std::vector<std::shared_ptr<RtspPublisher>> publishers;
  {
    std::lock_guard lock(publishers_mutex_);
    publishers.swap(publishers_);
  }
  for (auto& publisher : publishers) {
    publisher->close();
  }
}

void SipBench::run_phase(CallPhase& phase, const std::vector<CallSpec>& specs, PhaseResult& result,
                         bool print) {
  const auto before = server_pid_ != 0 ? sample_process(server_pid_) : std::nullopt;
  // Several processes serve a cluster's calls (nodes, front, Redis): each one's CPU over the
  // phase, the bench's own and every core's, say which of them ran out.
  std::vector<std::vector<std::optional<ProcessSample>>> watched_before;
  for (const auto& [name, pids] : watched_) {
    auto& samples = watched_before.emplace_back();
    for (const pid_t pid : pids)
      samples.push_back(sample_process(pid));
  }
  const auto self_before = sample_process(::getpid());
  const auto cores_before = read_core_times();
  phase.run(specs);
  const auto cores_after = read_core_times();
  const auto self_after = sample_process(::getpid());
  const auto after = server_pid_ != 0 ? sample_process(server_pid_) : std::nullopt;
  result = phase.result();
  if (before && after) {
    result.server_cpu_pct = cpu_percent(*before, *after);
    result.server_rss_kib = after->rss_kib;
  }
  for (std::size_t w = 0; w < watched_.size(); ++w) {
    double pct = 0;
    for (std::size_t p = 0; p < watched_[w].second.size(); ++p) {
      const auto& was = watched_before[w][p];
      const auto now = sample_process(watched_[w].second[p]);
      if (was && now) pct += cpu_percent(*was, *now);
    }
    result.watched_cpu_pct[watched_[w].first] = pct;
  }
  if (self_before && self_after) result.bench_cpu_pct = cpu_percent(*self_before, *self_after);
  if (!watched_.empty()) {
    for (const auto& [cpu, times] : cores_after) {
      if (const auto busy = core_busy_pct(cores_before, cores_after, cpu)) {
        result.core_busy_pct[cpu] = *busy;
      }
    }
  }
  if (!print) return;
  emit(to_json(result));
  say(describe_phase(result));
}

Result<bool, std::string> SipBench::set_forwarding(const std::vector<std::string>& masters) {
  const HttpClient http(http_address_, kHttpTimeout);
  const std::string body = R"({"target":")" + options_.service_number + R"("})";
  for (const auto& master : masters) {
    const auto reply =
        http.request_with_digest("PUT", "/ut/v1/users/" + master + "/forwarding/unconditional",
                                 body, master, options_.password);
    if (reply.status != 200 && reply.status != 201) {
      return fail("PUT forwarding of " + master + " -> " + reply.describe());
    }
  }
  return true;
}

SipBench::CleanCheck SipBench::wait_clean(std::chrono::milliseconds timeout) {
  const HttpClient http(http_address_, kHttpTimeout);
  CleanCheck check;
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const auto groups = http.get("/v1/groups");
    const auto signaling = http.get("/v1/signaling");
    const auto groups_json = nlohmann::json::parse(groups.body, nullptr, false);
    const auto signaling_json = nlohmann::json::parse(signaling.body, nullptr, false);
    if (groups.status == 200 && signaling.status == 200 && groups_json.is_object() &&
        groups_json.contains("groups") && groups_json["groups"].is_array() &&
        signaling_json.is_object() && signaling_json["calls"].is_number_unsigned() &&
        signaling_json["broadcasts"].is_number_unsigned()) {
      check.groups_left = groups_json["groups"].size();
      check.calls_left = signaling_json["calls"].get<std::size_t>();
      const auto broadcasts = signaling_json["broadcasts"].get<std::size_t>();
      check.clean = check.groups_left == 0 && check.calls_left == 0 && broadcasts == 0;
      check.detail = check.clean ? ""
                                 : "groups=" + groups_json["groups"].dump().substr(0, 300) +
                                       " signaling=" + signaling_json.dump();
    } else {
      check.clean = false;
      check.detail = "GET /v1/groups -> " + groups.describe() + "; GET /v1/signaling -> " +
                     signaling.describe();
    }
    // The other signaling nodes of a cluster: their own dialogs and broadcasts (the groups are
    // the media nodes', which every signaling node lists alike).
    for (const auto& node : also_clean_) {
      if (!check.clean) break;
      const auto other = HttpClient(node, kHttpTimeout).get("/v1/signaling");
      const auto other_json = nlohmann::json::parse(other.body, nullptr, false);
      if (other.status != 200 || !other_json.is_object() ||
          !other_json["calls"].is_number_unsigned() ||
          !other_json["broadcasts"].is_number_unsigned()) {
        check.clean = false;
        check.detail = "GET /v1/signaling at " + core::to_string(node) + " -> " + other.describe();
        break;
      }
      check.calls_left += other_json["calls"].get<std::size_t>();
      if (other_json["calls"].get<std::size_t>() != 0 ||
          other_json["broadcasts"].get<std::size_t>() != 0) {
        check.clean = false;
        check.detail = "signaling at " + core::to_string(node) + ": " + other_json.dump();
      }
    }
    if (check.clean || Clock::now() >= deadline) return check;
    std::this_thread::sleep_for(50ms);
  }
}

std::optional<std::uint64_t> SipBench::settled_server_rss(std::chrono::seconds idle) {
  if (server_pid_ == 0) return std::nullopt;
  // The SIP stack frees a call's last transactions when RFC 3261's timers run out (32 s after a
  // BYE over UDP), callcastd hands freed memory back within its trim interval (5 s): the idle
  // wait covers both. Then until three samples in a row agree, at most kRssSettleTimeout.
  std::this_thread::sleep_for(idle);
  auto sample = sample_process(server_pid_);
  if (!sample) return std::nullopt;
  const auto deadline = Clock::now() + kRssSettleTimeout;
  std::uint64_t last = sample->rss_kib;
  int same = 0;
  while (same < 3 && Clock::now() < deadline) {
    std::this_thread::sleep_for(kRssSettleStep);
    sample = sample_process(server_pid_);
    if (!sample) return std::nullopt;
    same = sample->rss_kib == last ? same + 1 : 0;
    last = sample->rss_kib;
  }
  return last;
}

SipBench::Round SipBench::run_round(bool print_phases) {
  Round round;
  round.planned = options_.masters + options_.masters * options_.viewers;
  const std::string offer = sip::make_iptv_offer("127.0.0.1");
  // 701-707: INVITE 777, 183 with the publish URI, RTSP ANNOUNCE/SETUP/RECORD, 200 OK.
  CallPhase masters(
      {"master_calls", transport_name_, options_.concurrency, options_.timeout, offer},
      [this](BenchCall& call, const std::string& sdp) { start_publisher(call, sdp); });
  std::vector<CallSpec> master_specs;
  for (auto& agent : master_agents_) {
    master_specs.push_back({agent.get(), options_.service_number});
  }
  run_phase(masters, master_specs, round.masters, print_phases);

  // 708: calls to each broadcasting master go to the service (set-up, not measured).
  std::vector<std::string> broadcasting;
  for (const auto& call : masters.calls()) {
    if (call->record().answered) broadcasting.push_back(master_number(call->index()));
  }
  if (auto forwarded = set_forwarding(broadcasting); !forwarded) {
    round.setup_error = forwarded.error();
    std::cerr << "callcast-bench sip: " << round.setup_error << std::endl;
  }

  // 710-713: viewer j calls every broadcasting master; the masters interleaved so that the load
  // spreads over the groups.
  CallPhase viewers(
      {"viewer_calls", transport_name_, options_.concurrency, options_.timeout, offer});
  std::vector<CallSpec> viewer_specs;
  if (round.setup_error.empty()) {
    for (auto& agent : viewer_agents_) {
      for (const auto& master : broadcasting) {
        viewer_specs.push_back({agent.get(), master});
      }
    }
  }
  run_phase(viewers, viewer_specs, round.viewers, print_phases);

  // Viewers first, then masters, whose BYE must close the group by itself: the RTSP
  // connections close only after the check, so a group that waits for them shows up unclean.
  const HangUpResult viewers_down = viewers.hang_up_all(kHangUpTimeout);
  const HangUpResult masters_down = masters.hang_up_all(kHangUpTimeout);
  const EndCheck viewers_ended = viewers.wait_all_ended(kHangUpTimeout);
  const EndCheck masters_ended = masters.wait_all_ended(kHangUpTimeout);
  round.clean = wait_clean(kCleanTimeout);
  left_unclean_ = left_unclean_ || !round.clean.clean;
  close_publishers();
  round.byes_sent = viewers_down.byes_sent + masters_down.byes_sent;
  round.dropped = viewers_down.dropped + masters_down.dropped;
  round.not_ended = viewers_ended.not_ended + masters_ended.not_ended;
  round.stuck = masters_ended.stuck;
  round.stuck.insert(round.stuck.end(), viewers_ended.stuck.begin(), viewers_ended.stuck.end());
  return round;
}

int SipBench::run() {
  spdlog::set_level(options_.verbose ? spdlog::level::info : spdlog::level::warn);
  if (auto parsed = parse_cluster_options(); !parsed) {
    std::cerr << "callcast-bench sip: " << parsed.error() << std::endl;
    return 2;
  }
  if (auto ready = prepare_server(); !ready) {
    std::cerr << "callcast-bench sip: " << ready.error() << std::endl;
    return 2;
  }
  if (auto started = start_agents(); !started) {
    std::cerr << "callcast-bench sip: " << started.error() << std::endl;
    return 2;
  }
  say("callcast-bench sip: callcastd " +
      (server_ ? "pid " + std::to_string(server_pid_) : std::string("(external)")) +
      " sip=" + core::to_string(sip_address_) + " over " + transport_name_ + ", " +
      std::to_string(options_.masters) + " masters x " + std::to_string(options_.viewers) +
      " viewers, concurrency " + std::to_string(options_.concurrency) +
      (options_.churn_rounds > 0 ? ", " + std::to_string(options_.churn_rounds) + " rounds"
                                 : std::string()));
  const int code = options_.churn_rounds > 0 ? run_churn() : run_once();
  if (left_unclean_ && scratch_) {
    scratch_->keep();
    std::cerr << "callcast-bench sip: server log kept in " << scratch_->path().string()
              << std::endl;
  }
  return code;
}

int SipBench::run_once() {
  const auto began = Clock::now();
  const Round round = run_round(true);
  const auto server_after = server_pid_ != 0 ? sample_process(server_pid_) : std::nullopt;
  const std::size_t calls = round.masters.calls + round.viewers.calls;
  nlohmann::ordered_json summary = {
      {"bench", "sip"},
      {"phase", "summary"},
      {"transport", transport_name_},
      {"server", server_ ? "spawned" : "external"},
      {"masters", options_.masters},
      {"viewers_per_master", options_.viewers},
      {"concurrency", options_.concurrency},
      {"calls", round.planned},
      {"attempted", calls},
      {"ok", round.ok()},
      {"failed", round.planned - round.ok()},
      {"master_setups_per_s", round_to(round.masters.setups_per_s, 1)},
      {"viewer_setups_per_s", round_to(round.viewers.setups_per_s, 1)},
      {"byes_sent", round.byes_sent},
      {"dropped", round.dropped},
      {"not_ended", round.not_ended},
      {"clean", round.clean.clean},
      {"groups_left", round.clean.groups_left},
      {"calls_left", round.clean.calls_left},
      {"server_rss_kib", server_after ? nlohmann::ordered_json(server_after->rss_kib) : nullptr},
      {"wall_s", round_to(std::chrono::duration<double>(Clock::now() - began).count(), 3)}};
  if (!round.clean.detail.empty()) summary["clean_detail"] = round.clean.detail;
  if (!round.stuck.empty()) summary["not_ended_calls"] = round.stuck;
  if (!round.setup_error.empty()) summary["setup_error"] = round.setup_error;
  emit(summary);
  say(std::string("summary: ") + std::to_string(round.ok()) + "/" + std::to_string(round.planned) +
      " calls answered; after hang-up the server is " +
      (round.clean.clean ? "clean (no group, no dialog)" : "NOT clean: " + round.clean.detail));
  return round.passed() ? 0 : 1;
}

int SipBench::run_churn() {
  const auto began = Clock::now();
  const std::size_t per_round = options_.masters + options_.masters * options_.viewers;
  ChurnReport report(options_.churn_rounds, per_round, settled_server_rss(0s));
  std::size_t ok = 0;
  std::size_t failed_rounds = 0;
  bool clean = true;
  for (std::size_t r = 1; r <= options_.churn_rounds; ++r) {
    const auto round_began = Clock::now();
    const Round round = run_round(false);
    const auto at_hang_up = server_pid_ != 0 ? sample_process(server_pid_) : std::nullopt;
    const auto rss = settled_server_rss(options_.churn_idle);
    report.add_round(rss);
    ok += round.ok();
    clean = clean && round.clean.clean;
    if (!round.passed()) ++failed_rounds;
    nlohmann::ordered_json line = {
        {"bench", "sip"},
        {"phase", "churn_round"},
        {"round", r},
        {"calls", round.planned},
        {"ok", round.ok()},
        {"failed", round.planned - round.ok()},
        {"dropped", round.dropped},
        {"not_ended", round.not_ended},
        {"clean", round.clean.clean},
        {"server_rss_at_hang_up_kib",
         at_hang_up ? nlohmann::ordered_json(at_hang_up->rss_kib) : nullptr},
        {"server_rss_kib", rss ? nlohmann::ordered_json(*rss) : nullptr},
        {"wall_s", round_to(std::chrono::duration<double>(Clock::now() - round_began).count(), 3)}};
    if (!round.clean.detail.empty()) line["clean_detail"] = round.clean.detail;
    if (!round.setup_error.empty()) line["setup_error"] = round.setup_error;
    emit(line);
    say("round " + std::to_string(r) + ": " + std::to_string(round.ok()) + "/" +
        std::to_string(round.planned) + " calls answered, server " +
        (round.clean.clean ? "clean" : "NOT clean") + ", RSS " +
        (rss ? std::to_string(*rss) + " KiB" : std::string("unknown")));
  }
  nlohmann::ordered_json summary = {{"bench", "sip"},
                                    {"phase", "churn"},
                                    {"transport", transport_name_},
                                    {"server", server_ ? "spawned" : "external"},
                                    {"masters", options_.masters},
                                    {"viewers_per_master", options_.viewers}};
  report.write(summary);
  summary["calls"] = per_round * options_.churn_rounds;
  summary["ok"] = ok;
  summary["failed_rounds"] = failed_rounds;
  summary["clean"] = clean;
  summary["wall_s"] = round_to(std::chrono::duration<double>(Clock::now() - began).count(), 3);
  emit(summary);
  const auto growth = report.growth_pct();
  say("churn: RSS " +
      (report.rss_after_n_kb() ? std::to_string(*report.rss_after_n_kb()) : std::string("?")) +
      " KiB after N calls, " +
      (report.rss_after_2n_kb() ? std::to_string(*report.rss_after_2n_kb()) : std::string("?")) +
      " KiB after 2N (N = " + std::to_string(report.rounds() / 2 * per_round) +
      "): " + (growth ? fixed(*growth, 2) + " %" : std::string("unknown")));
  return failed_rounds == 0 ? 0 : 1;
}

}  // namespace callcast::loadgen
