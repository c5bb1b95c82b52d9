#include "sip_bench.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "auth/user_directory.hpp"
#include "http_client.hpp"
#include "process_usage.hpp"
#include "sip/iptv_sdp.hpp"

namespace callcast::bench {
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

void SipBench::run_phase(CallPhase& phase, const std::vector<CallSpec>& specs,
                         PhaseResult& result) {
  const auto before = server_pid_ != 0 ? sample_process(server_pid_) : std::nullopt;
  phase.run(specs);
  const auto after = server_pid_ != 0 ? sample_process(server_pid_) : std::nullopt;
  result = phase.result();
  if (before && after) {
    result.server_cpu_pct = cpu_percent(*before, *after);
    result.server_rss_kib = after->rss_kib;
  }
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
    if (check.clean || Clock::now() >= deadline) return check;
    std::this_thread::sleep_for(50ms);
  }
}

int SipBench::run() {
  spdlog::set_level(options_.verbose ? spdlog::level::info : spdlog::level::warn);
  const auto began = Clock::now();
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
      " viewers, concurrency " + std::to_string(options_.concurrency));

  const std::string offer = sip::make_iptv_offer("127.0.0.1");
  // 701-707: INVITE 777, 183 with the publish URI, RTSP ANNOUNCE/SETUP/RECORD, 200 OK.
  CallPhase masters(
      {"master_calls", transport_name_, options_.concurrency, options_.timeout, offer},
      [this](BenchCall& call, const std::string& sdp) { start_publisher(call, sdp); });
  std::vector<CallSpec> master_specs;
  for (auto& agent : master_agents_) {
    master_specs.push_back({agent.get(), options_.service_number});
  }
  PhaseResult master_result;
  run_phase(masters, master_specs, master_result);

  // 708: calls to each broadcasting master go to the service (set-up, not measured).
  std::vector<std::string> broadcasting;
  for (const auto& call : masters.calls()) {
    if (call->record().answered) broadcasting.push_back(master_number(call->index()));
  }
  std::string setup_error;
  if (auto forwarded = set_forwarding(broadcasting); !forwarded) {
    setup_error = forwarded.error();
    std::cerr << "callcast-bench sip: " << setup_error << std::endl;
  }

  // 710-713: viewer j calls every broadcasting master; the masters interleaved so that the load
  // spreads over the groups.
  CallPhase viewers(
      {"viewer_calls", transport_name_, options_.concurrency, options_.timeout, offer});
  std::vector<CallSpec> viewer_specs;
  if (setup_error.empty()) {
    for (auto& agent : viewer_agents_) {
      for (const auto& master : broadcasting) {
        viewer_specs.push_back({agent.get(), master});
      }
    }
  }
  PhaseResult viewer_result;
  run_phase(viewers, viewer_specs, viewer_result);

  // Viewers first, then masters, whose BYE must close the group by itself: the RTSP
  // connections close only after the check, so a group that waits for them shows up unclean.
  const HangUpResult viewers_down = viewers.hang_up_all(kHangUpTimeout);
  const HangUpResult masters_down = masters.hang_up_all(kHangUpTimeout);
  const EndCheck viewers_ended = viewers.wait_all_ended(kHangUpTimeout);
  const EndCheck masters_ended = masters.wait_all_ended(kHangUpTimeout);
  const CleanCheck clean = wait_clean(kCleanTimeout);
  close_publishers();
  const auto server_after = server_pid_ != 0 ? sample_process(server_pid_) : std::nullopt;

  const std::size_t planned = options_.masters + options_.masters * options_.viewers;
  const std::size_t dropped = viewers_down.dropped + masters_down.dropped;
  const std::size_t not_ended = viewers_ended.not_ended + masters_ended.not_ended;
  const std::size_t calls = master_result.calls + viewer_result.calls;
  const std::size_t ok = master_result.ok + viewer_result.ok;
  nlohmann::ordered_json summary = {
      {"bench", "sip"},
      {"phase", "summary"},
      {"transport", transport_name_},
      {"server", server_ ? "spawned" : "external"},
      {"masters", options_.masters},
      {"viewers_per_master", options_.viewers},
      {"concurrency", options_.concurrency},
      {"calls", planned},
      {"attempted", calls},
      {"ok", ok},
      {"failed", planned - ok},
      {"master_setups_per_s", round_to(master_result.setups_per_s, 1)},
      {"viewer_setups_per_s", round_to(viewer_result.setups_per_s, 1)},
      {"byes_sent", viewers_down.byes_sent + masters_down.byes_sent},
      {"dropped", dropped},
      {"not_ended", not_ended},
      {"clean", clean.clean},
      {"groups_left", clean.groups_left},
      {"calls_left", clean.calls_left},
      {"server_rss_kib", server_after ? nlohmann::ordered_json(server_after->rss_kib) : nullptr},
      {"wall_s", round_to(std::chrono::duration<double>(Clock::now() - began).count(), 3)}};
  if (!clean.detail.empty()) summary["clean_detail"] = clean.detail;
  std::vector<std::string> stuck = masters_ended.stuck;
  stuck.insert(stuck.end(), viewers_ended.stuck.begin(), viewers_ended.stuck.end());
  if (!stuck.empty()) summary["not_ended_calls"] = stuck;
  if (!setup_error.empty()) summary["setup_error"] = setup_error;
  emit(summary);
  say(std::string("summary: ") + std::to_string(ok) + "/" + std::to_string(planned) +
      " calls answered; after hang-up the server is " +
      (clean.clean ? "clean (no group, no dialog)" : "NOT clean: " + clean.detail));

  if (!clean.clean && scratch_) {
    scratch_->keep();
    std::cerr << "callcast-bench sip: server log kept in " << scratch_->path().string()
              << std::endl;
  }
  return ok == planned && clean.clean && dropped == 0 && not_ended == 0 ? 0 : 1;
}

}  // namespace callcast::bench
