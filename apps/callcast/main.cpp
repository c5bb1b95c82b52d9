// callcast: the terminal of callcast (patent CN102035839A). `callcast broadcast` is the master
// terminal (modules 301-307), `callcast watch NUMBER` the viewer terminal (401-402); one program
// and one account do both ([0167]). Thin: flags in, one session on one GLib main loop, exit code
// out.
#include <glib.h>
#include <gst/gst.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "terminal/broadcast_session.hpp"
#include "terminal/glib_log.hpp"
#include "terminal/local_address.hpp"
#include "terminal/status_line.hpp"
#include "terminal/terminal_args.hpp"
#include "terminal/terminal_input.hpp"
#include "terminal/watch_session.hpp"

namespace {

using namespace callcast;
using namespace callcast::terminal;

// Flags both roles take: who we are and where the network side is.
struct AccountFlags {
  std::string number;
  std::string password;
  std::string server = "127.0.0.1";
  std::string transport = "udp";
  std::string bind;
  std::string log_level = "warn";
  std::optional<int> duration_s;
  std::string stats_json;
};

void add_account_flags(CLI::App& command, AccountFlags& flags) {
  command.add_option("--number", flags.number, "your number (SIP user), e.g. 13800000001")
      ->required();
  command.add_option("--password", flags.password,
                     "your SIP password (or set CALLCAST_PASSWORD, which keeps it out of ps)");
  command.add_option("--server", flags.server, "the network side: HOST or HOST:PORT (SIP)")
      ->capture_default_str();
  command.add_option("--transport", flags.transport, "SIP transport")
      ->check(CLI::IsMember({"udp", "tcp"}))
      ->capture_default_str();
  command.add_option("--bind", flags.bind,
                     "local SIP address HOST[:PORT] to bind and advertise (Contact, SDP); default: "
                     "the local address that routes to --server, any port");
  command.add_option("--duration", flags.duration_s, "end by itself after S seconds")
      ->check(CLI::PositiveNumber);
  command.add_option("--stats-json", flags.stats_json, "write the session's figures here at exit");
  command.add_option("--log-level", flags.log_level, "trace | debug | info | warn | error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
      ->capture_default_str();
}

Result<PhoneOptions, std::string> phone_options(const AccountFlags& flags) {
  auto server = parse_server(flags.server);
  if (!server) return fail(server.error());
  PhoneOptions phone;
  phone.server = server->host_port();
  phone.transport = flags.transport == "tcp" ? sipua::Transport::tcp : sipua::Transport::udp;
  phone.number = flags.number;
  phone.password = flags.password;
  if (phone.password.empty()) {
    if (const char* env = std::getenv("CALLCAST_PASSWORD")) phone.password = env;
  }
  if (phone.password.empty()) return fail("no password: give --password or set CALLCAST_PASSWORD");
  if (!flags.bind.empty()) {
    auto bind = parse_bind(flags.bind);
    if (!bind) return fail(bind.error());
    auto bindable = check_bindable(bind->host, bind->port, flags.transport);
    if (!bindable) return fail("--bind " + flags.bind + ": " + bindable.error());
    phone.bind_host = bind->host;
    phone.bind_port = bind->port;
  } else {
    // The address other hosts reach us at: the one the route to the server leaves from
    // (loopback only when the server is on this machine).
    auto local = local_address_toward(server->host, server->port);
    if (!local) return fail("the SIP server " + phone.server + ": " + local.error());
    phone.bind_host = *local;
  }
  return phone;
}

// Runs the session on the default main loop until it is done; its exit code.
int run(Session& session) {
  GMainLoop* loop = g_main_loop_new(nullptr, FALSE);
  int exit_code = 1;
  bool done = false;
  {
    TerminalInput input(session);
    session.start([&](int code) {
      exit_code = code;
      done = true;
      g_main_loop_quit(loop);
    });
    if (!done) g_main_loop_run(loop);  // it may have failed at once (no user agent)
  }
  g_main_loop_unref(loop);
  return exit_code;
}

int fail_with(const std::string& message) {
  std::fprintf(stderr, "callcast: error: %s\n", message.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "callcast: broadcast live from your terminal by calling the service number, or watch a "
      "broadcast by calling the broadcaster's number"};
  app.require_subcommand(1);

  AccountFlags broadcast_account;
  BroadcastConfig broadcast;
  std::string source = "test", source2, audio = "test", audio_codec = "aac", size = "1280x720",
              bitrate = "2M";
  std::string service_number = "777", ut_url;
  bool no_forwarding = false, no_overlay = false;
  CLI::App* broadcast_cmd = app.add_subcommand(
      "broadcast", "start a live broadcast: call the service number and stream (steps 701-709)");
  add_account_flags(*broadcast_cmd, broadcast_account);
  broadcast_cmd->add_option("--source", source, "video: test | file:PATH | v4l2:/dev/videoN")
      ->capture_default_str();
  broadcast_cmd->add_option("--source2", source2,
                            "a second video source; 's' or SIGUSR1 switches ([0155])");
  broadcast_cmd->add_option("--audio", audio, "audio: test | alsa | file | none")
      ->check(CLI::IsMember({"test", "alsa", "file", "none"}))
      ->capture_default_str();
  broadcast_cmd->add_option("--audio-codec", audio_codec, "aac | opus")
      ->check(CLI::IsMember({"aac", "opus"}))
      ->capture_default_str();
  broadcast_cmd->add_option("--size", size, "video size WIDTHxHEIGHT")->capture_default_str();
  broadcast_cmd->add_option("--fps", broadcast.media.fps, "frames per second")
      ->check(CLI::Range(1, 120))
      ->capture_default_str();
  broadcast_cmd->add_option("--bitrate", bitrate, "video bitrate: 2M, 800k...")
      ->capture_default_str();
  broadcast_cmd
      ->add_option("--keyframe-interval", broadcast.media.keyframe_interval_s,
                   "seconds between keyframes (what a late viewer waits at most)")
      ->check(CLI::Range(1, 60))
      ->capture_default_str();
  broadcast_cmd->add_option("--service-number", service_number, "the broadcast service number")
      ->capture_default_str();
  broadcast_cmd->add_option(
      "--ut-url", ut_url,
      "the Ut interface for call forwarding (default: the one the network side "
      "names in its answer, else http://SERVER:8080)");
  broadcast_cmd->add_flag("--no-forwarding", no_forwarding,
                          "do not set call forwarding of your number to the service");
  broadcast_cmd->add_flag("--no-clock-overlay", no_overlay, "no visible clock on the test pattern");
  double reconnect_for_s = 5;
  broadcast_cmd
      ->add_option("--reconnect-for", reconnect_for_s,
                   "seconds to keep reconnecting a lost media connection (the server's "
                   "media.publisher_grace_s); 0: end the broadcast at once")
      ->check(CLI::Range(0.0, 600.0))
      ->capture_default_str();

  AccountFlags watch_account;
  WatchConfig watch;
  std::string record;
  bool display = false;
  int latency_ms = 200, udp_timeout_ms = 3000;
  CLI::App* watch_cmd = app.add_subcommand(
      "watch", "watch a broadcast: call the broadcaster's number (steps 710-714)");
  watch_cmd->add_option("target", watch.target, "the broadcaster's number")->required();
  add_account_flags(*watch_cmd, watch_account);
  watch_cmd->add_flag("--display", display, "show the video (and play the audio)");
  watch_cmd->add_option("--record", record, "record to FILE.mp4 or FILE.mkv, without re-encoding");
  watch_cmd->add_option("--latency", latency_ms, "jitter buffer, ms")
      ->check(CLI::Range(0, 10000))
      ->capture_default_str();
  watch_cmd
      ->add_option("--udp-timeout", udp_timeout_ms, "ms without UDP media before retrying over TCP")
      ->check(CLI::Range(100, 60000))
      ->capture_default_str();

  CLI11_PARSE(app, argc, argv);

  AccountFlags& account = broadcast_cmd->parsed() ? broadcast_account : watch_account;
  spdlog::set_default_logger(spdlog::stderr_color_mt("callcast"));
  spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  spdlog::set_level(spdlog::level::from_str(account.log_level));
  auto phone = phone_options(account);
  if (!phone) return fail_with(phone.error());
  send_glib_logs_to_spdlog();  // GLib's and GStreamer's own lines: --log-level debug only
  GError* error = nullptr;
  if (!gst_init_check(&argc, &argv, &error)) {
    const std::string text = error != nullptr ? error->message : "unknown error";
    g_clear_error(&error);
    return fail_with("GStreamer does not start: " + text);
  }

  StatusLine status(stdout, StatusLine::is_interactive(stdout));
  std::optional<std::chrono::seconds> duration;
  if (account.duration_s) duration = std::chrono::seconds(*account.duration_s);

  if (broadcast_cmd->parsed()) {
    broadcast.phone = *phone;
    broadcast.service_number = service_number;
    broadcast.duration = duration;
    broadcast.stats_json = account.stats_json;
    auto video = parse_source(source);
    if (!video) return fail_with(video.error());
    broadcast.media.source = *video;
    if (!source2.empty()) {
      auto second = parse_source(source2);
      if (!second) return fail_with(second.error());
      broadcast.media.source2 = *second;
    }
    auto audio_source = parse_audio_source(audio);
    if (!audio_source) return fail_with(audio_source.error());
    broadcast.media.audio = *audio_source;
    broadcast.media.audio_codec = audio_codec == "opus" ? AudioCodec::opus : AudioCodec::aac;
    auto frame = parse_frame_size(size);
    if (!frame) return fail_with(frame.error());
    broadcast.media.width = frame->width;
    broadcast.media.height = frame->height;
    auto kbps = parse_bitrate_kbps(bitrate);
    if (!kbps) return fail_with(kbps.error());
    broadcast.media.bitrate_kbps = *kbps;
    broadcast.media.clock_overlay = !no_overlay;
    broadcast.media.reconnect_for =
        std::chrono::milliseconds(static_cast<long long>(reconnect_for_s * 1000.0));
    if (!no_forwarding) {
      broadcast.ut_url = ut_url.empty() ? default_ut_url(*parse_server(account.server)) : ut_url;
      broadcast.ut_url_explicit = !ut_url.empty();
    }
    BroadcastSession session(std::move(broadcast), status);
    return run(session);
  }

  watch.phone = *phone;
  watch.duration = duration;
  watch.stats_json = account.stats_json;
  watch.media.display = display;
  watch.media.record_path = record;
  watch.media.latency_ms = latency_ms;
  watch.media.udp_timeout = std::chrono::milliseconds(udp_timeout_ms);
  if (!display && record.empty()) {
    status.event(
        "neither --display nor --record given: decoding only (figures on the status line)");
  }
  WatchSession session(std::move(watch), status);
  return run(session);
}
