// callcast: the terminal of callcast (patent CN102035839A). `callcast broadcast` is the master
// terminal (modules 301-307), `callcast watch NUMBER` the viewer terminal (401-402); one program
// and one account do both ([0167]). Thin: flags in (terminal/command_line.hpp), one session on
// one GLib main loop, exit code out.
#include <gst/gst.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "terminal/broadcast_session.hpp"
#include "terminal/command_line.hpp"
#include "terminal/glib_log.hpp"
#include "terminal/session_runner.hpp"
#include "terminal/status_line.hpp"
#include "terminal/watch_session.hpp"

namespace {

int fail_with(const std::string& message) {
  std::fprintf(stderr, "callcast: error: %s\n", message.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace callcast::terminal;
  CommandLine command_line;
  if (const auto exit_code = command_line.parse(argc, argv)) return *exit_code;

  spdlog::set_default_logger(spdlog::stderr_color_mt("callcast"));
  spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  spdlog::set_level(spdlog::level::from_str(command_line.account().log_level));
  auto phone = command_line.account().phone_options(std::getenv("CALLCAST_PASSWORD"));
  if (!phone) return fail_with(phone.error());
  send_glib_logs_to_spdlog();  // GLib's and GStreamer's own lines: --log-level debug only
  GError* error = nullptr;
  if (!gst_init_check(&argc, &argv, &error)) {
    const std::string text = error != nullptr ? error->message : "unknown error";
    g_clear_error(&error);
    return fail_with("GStreamer does not start: " + text);
  }

  StatusLine status(stdout, StatusLine::is_interactive(stdout));
  if (command_line.broadcasting()) {
    auto config = command_line.broadcast_config(*phone);
    if (!config) return fail_with(config.error());
    BroadcastSession session(std::move(*config), status);
    return run_session(session);
  }
  if (command_line.decoding_only()) {
    status.event(
        "neither --display nor --record given: decoding only (figures on the status line)");
  }
  WatchSession session(command_line.watch_config(*phone), status);
  return run_session(session);
}
