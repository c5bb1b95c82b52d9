#pragma once
// The `callcast` command line (DESIGN.md §5): `callcast broadcast ...` is the master terminal
// (steps 701-709), `callcast watch NUMBER ...` the viewer terminal (710-714). The flags, their
// help, and their values turned into a session's configuration; CLI11 checks the forms it can,
// the rest (sizes, bitrates, sources, addresses) gives one line of error text here.
#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "core/result.hpp"
#include "terminal/account_flags.hpp"
#include "terminal/broadcast_session.hpp"
#include "terminal/watch_session.hpp"

namespace callcast::terminal {

class CommandLine {
 public:
  CommandLine();
  CommandLine(const CommandLine&) = delete;
  CommandLine& operator=(const CommandLine&) = delete;

  // Parses the arguments. An exit code when parsing ends the program (--help, a bad flag; CLI11
  // printed why), else nullopt.
  std::optional<int> parse(int argc, const char* const* argv);

  // Which subcommand was given (after parse): broadcast, else watch.
  bool broadcasting() const { return broadcast_cmd_->parsed(); }
  const AccountFlags& account() const {
    return broadcasting() ? broadcast_account_ : watch_account_;
  }

  // The session's configuration around `phone` (AccountFlags::phone_options), or the line that
  // says which flag is wrong.
  Result<BroadcastConfig, std::string> broadcast_config(const PhoneOptions& phone) const;
  WatchConfig watch_config(const PhoneOptions& phone) const;
  // watch without --display or --record: the picture is decoded for the figures only.
  bool decoding_only() const { return !display_ && record_.empty(); }

 private:
  void add_broadcast_flags();
  void add_watch_flags();
  std::optional<std::chrono::seconds> duration() const;

  CLI::App app_;
  CLI::App* broadcast_cmd_ = nullptr;
  CLI::App* watch_cmd_ = nullptr;

  AccountFlags broadcast_account_;
  BroadcastConfig broadcast_;  // the parts CLI11 fills as they are
  std::string source_ = "test", source2_, audio_ = "test", audio_codec_ = "aac", size_ = "1280x720",
              bitrate_ = "2M";
  std::string min_bitrate_;  // empty: a quarter of --bitrate
  std::string service_number_ = "777", ut_url_;
  bool no_forwarding_ = false, no_overlay_ = false;
  double reconnect_for_s_ = 5;

  AccountFlags watch_account_;
  std::string target_;
  std::string record_;
  std::string rtsp_transport_ = "auto";
  bool display_ = false;
  int latency_ms_ = 200, udp_timeout_ms_ = 3000;
};

}  // namespace callcast::terminal
