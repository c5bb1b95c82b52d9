#include "support/callcast_server.hpp"

#include <csignal>
#include <cstdio>
#include <fstream>

#include "auth/user_directory.hpp"
#include "loadgen/ready_line.hpp"
#include "support/wait_until.hpp"

namespace callcast::test {

std::optional<ReadyLine> parse_ready_line(const std::string& line) {
  // The load generator's parser (strict: an unknown field fails, so a change of the line shows).
  auto parsed = loadgen::parse_ready_line(line);
  if (!parsed) return std::nullopt;
  ReadyLine ready;
  ready.http_host = parsed->http.host;
  ready.http_port = parsed->http.port;
  if (parsed->rtsp) {
    ready.rtsp_host = parsed->rtsp->host;
    ready.rtsp_port = parsed->rtsp->port;
  }
  ready.rtp_port = parsed->rtp_port;
  ready.rtcp_port = parsed->rtcp_port;
  if (parsed->sip) {
    ready.sip_host = parsed->sip->host;
    ready.sip_port = parsed->sip->port;
  }
  return ready;
}

CallcastServer::CallcastServer(std::filesystem::path executable, std::filesystem::path dir,
                               ServerOptions options)
    : executable_(std::move(executable)),
      dir_(std::move(dir)),
      options_(std::move(options)),
      log_path_(dir_ / "callcastd.log") {}

CallcastServer::~CallcastServer() {
  if (!process_) return;
  const ExitStatus status = stop();
  if (::testing::Test::HasFailure()) {
    std::fprintf(stderr,
                 "[e2e] callcastd ended: %s; its log (%s):\n%s\n[e2e] end of callcastd log\n",
                 status.describe().c_str(), log_path_.c_str(), log_tail().c_str());
  }
}

::testing::AssertionResult CallcastServer::start() {
  ChildOptions child;
  child.argv = options_.exec_prefix;
  child.extra_env = options_.extra_env;
  for (const auto& arg :
       {executable_.string(), std::string("--role"), options_.role, std::string("--http"),
        options_.http, std::string("--log-level"), options_.log_level}) {
    child.argv.push_back(arg);
  }
  if (options_.role != "signaling") {
    for (const std::string& arg :
         {std::string("--rtsp"), options_.rtsp, std::string("--rtp-ports"), options_.rtp_ports}) {
      child.argv.push_back(arg);
    }
  }
  if (options_.role != "media") {
    // Never the default port 5060, never files in the working directory.
    for (const auto& [number, password] : options_.users) {
      auto added = auth::add_user(users_path(), "callcast", number, password);
      if (!added) return ::testing::AssertionFailure() << "users file: " << added.error();
    }
    const std::vector<std::string> sip_args = {"--sip",           options_.sip,
                                               "--users",         users_path().string(),
                                               "--forwarding-db", forwarding_db_path().string()};
    child.argv.insert(child.argv.end(), sip_args.begin(), sip_args.end());
  }
  for (const auto& arg : options_.extra_args)
    child.argv.push_back(arg);
  if (!options_.config_toml.empty()) {
    const auto config = dir_ / "callcastd.toml";
    std::ofstream(config) << options_.config_toml;
    child.argv.push_back("--config");
    child.argv.push_back(config.string());
  }
  child.stderr_file = log_path_;
  child.pipe_stdout = true;
  process_ = std::make_unique<ChildProcess>(std::move(child));
  if (!process_->started()) {
    return ::testing::AssertionFailure() << "cannot start callcastd: " << process_->error();
  }
  const auto line = process_->read_stdout_line(options_.ready_timeout);
  if (!line) {
    const bool running = process_->running();
    return ::testing::AssertionFailure()
           << "callcastd printed no ready line within " << options_.ready_timeout.count() << " ms ("
           << (running ? "still running" : process_->status()->describe())
           << "); command: " << process_->command_line() << "\nlog:\n"
           << log_tail();
  }
  auto ready = parse_ready_line(*line);
  if (!ready) {
    return ::testing::AssertionFailure()
           << "unexpected ready line from callcastd: '" << *line << "'\nlog:\n"
           << log_tail();
  }
  ready_ = *ready;
  return ::testing::AssertionSuccess();
}

bool CallcastServer::alive() {
  return process_ && process_->running();
}

ExitStatus CallcastServer::stop() {
  if (!process_) return {};
  return process_->terminate(SIGTERM, std::chrono::seconds(5));
}

ExitStatus CallcastServer::kill() {
  if (!process_) return {};
  const ExitStatus status = process_->terminate(SIGKILL, std::chrono::seconds(5));
  std::error_code ignored;
  std::filesystem::copy_file(log_path_, log_path_.string() + ".killed",
                             std::filesystem::copy_options::overwrite_existing, ignored);
  return status;
}

std::string CallcastServer::log_tail(std::size_t max_bytes) const {
  return file_tail(log_path_, max_bytes);
}

bool CallcastServer::wait_for_log(const std::string& text,
                                  std::chrono::milliseconds timeout) const {
  return wait_until([&] { return file_tail(log_path_, 1 << 24).find(text) != std::string::npos; },
                    timeout);
}

}  // namespace callcast::test
