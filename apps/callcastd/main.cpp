// callcastd: the network side and the streaming server of callcast (patent CN102035839A).
// Thin: flags and config in, the Daemon started, signals out.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/config_options.hpp"
#include "daemon.hpp"
#include "heap_trimmer.hpp"
#include "user_command.hpp"

namespace {

using namespace callcast;

int fail_with(const std::string& message) {
  std::fprintf(stderr, "callcastd: %s\n", message.c_str());
  return 2;
}

// Defaults, then the TOML file, then flags (in config_options() order): the last word wins.
Result<core::Config, std::string> resolve_config(
    const std::optional<std::string>& config_file,
    const std::vector<std::optional<std::string>>& flag_values) {
  core::Config config;
  if (config_file) {
    auto loaded = core::load_config_file(*config_file, config);
    if (!loaded) return fail(loaded.error());
    config = *loaded;
  }
  const auto options = core::config_options();
  for (std::size_t i = 0; i < options.size(); ++i) {
    if (!flag_values[i]) continue;
    auto applied = core::apply_flag(options[i], *flag_values[i], config);
    if (!applied) return fail(applied.error());
  }
  return config;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "callcastd: live broadcast by phone call (patent CN102035839A).\n"
      "Runs the network side (SIP registrar, service number, call forwarding and its Ut API) and\n"
      "the streaming server (RTSP publish/play, RTP fan-out over UDP, HTTP control API).\n"
      "Settings come from built-in defaults, then --config FILE, then these flags.",
      "callcastd"};
  std::optional<std::string> config_file;
  app.add_option("--config", config_file, "TOML configuration file")->check(CLI::ExistingFile);
  // One flag per entry of the option table; its help shows the default a Config really has.
  const auto options = core::config_options();
  std::vector<std::optional<std::string>> flag_values(options.size());
  for (std::size_t i = 0; i < options.size(); ++i) {
    app.add_option(std::string(options[i].flag), flag_values[i], options[i].help_text());
  }
  UserCommandOptions user_options;
  add_user_subcommand(app, user_options);
  CLI11_PARSE(app, argc, argv);

  auto config = resolve_config(config_file, flag_values);
  if (!config) return fail_with(config.error());
  // Before any server starts: `user ...` only reads or writes the users file.
  if (user_options.requested()) return run_user_command(user_options, *config);

  spdlog::set_default_logger(spdlog::stderr_color_mt("callcastd"));
  spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  spdlog::set_level(spdlog::level::from_str(config->log_level));

  Daemon daemon(*config);
  auto started = daemon.start();
  if (!started) return fail_with(started.error());

  boost::asio::signal_set signals(daemon.io(), SIGINT, SIGTERM);
  signals.async_wait([&daemon](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("callcastd: signal {} received, stopping", signal);
    daemon.stop();
  });

  // Memory freed after calls goes back to the OS (heap_trimmer.hpp).
  GlibcHeap heap;
  HeapTrimmer trimmer(HeapTrimmerOptions{}, heap);
  trimmer.start();

  // One machine-readable line on stdout, for scripts and tests that let the OS pick ports.
  std::cout << started->ready_line() << std::endl;
  daemon.run();
  trimmer.stop();
  return 0;
}
