#include "terminal/command_line.hpp"

#include "terminal/terminal_args.hpp"

namespace callcast::terminal {

namespace {

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

}  // namespace

CommandLine::CommandLine()
    : app_(
          "callcast: broadcast live from your terminal by calling the service number, or watch a "
          "broadcast by calling the broadcaster's number") {
  app_.require_subcommand(1);
  add_broadcast_flags();
  add_watch_flags();
}

void CommandLine::add_broadcast_flags() {
  broadcast_cmd_ = app_.add_subcommand(
      "broadcast", "start a live broadcast: call the service number and stream (steps 701-709)");
  CLI::App& cmd = *broadcast_cmd_;
  add_account_flags(cmd, broadcast_account_);
  cmd.add_option("--source", source_, "video: test | file:PATH | v4l2:/dev/videoN")
      ->capture_default_str();
  cmd.add_option("--source2", source2_, "a second video source; 's' or SIGUSR1 switches ([0155])");
  cmd.add_option("--audio", audio_, "audio: test | alsa | file | none")
      ->check(CLI::IsMember({"test", "alsa", "file", "none"}))
      ->capture_default_str();
  cmd.add_option("--audio-codec", audio_codec_, "aac | opus")
      ->check(CLI::IsMember({"aac", "opus"}))
      ->capture_default_str();
  cmd.add_option("--size", size_, "video size WIDTHxHEIGHT")->capture_default_str();
  cmd.add_option("--fps", broadcast_.media.fps, "frames per second")
      ->check(CLI::Range(1, 120))
      ->capture_default_str();
  cmd.add_option("--bitrate", bitrate_,
                 "video bitrate: 2M, 800k...; also the most the server may raise it to")
      ->capture_default_str();
  cmd.add_option("--min-bitrate", min_bitrate_,
                 "the least the server may lower the video bitrate to when its viewers are "
                 "congested (RTCP REMB/TMMBR); default: a quarter of --bitrate");
  cmd.add_option("--keyframe-interval", broadcast_.media.keyframe_interval_s,
                 "seconds between keyframes (what a late viewer waits at most)")
      ->check(CLI::Range(1, 60))
      ->capture_default_str();
  cmd.add_option("--service-number", service_number_, "the broadcast service number")
      ->capture_default_str();
  cmd.add_option("--ut-url", ut_url_,
                 "the Ut interface for call forwarding (default: the one the network side "
                 "names in its answer, else http://SERVER:8080)");
  cmd.add_flag("--no-forwarding", no_forwarding_,
               "do not set call forwarding of your number to the service");
  cmd.add_flag("--no-clock-overlay", no_overlay_, "no visible clock on the test pattern");
  cmd.add_option("--reconnect-for", reconnect_for_s_,
                 "seconds to keep reconnecting a lost media connection (the server's "
                 "media.publisher_grace_s); 0: end the broadcast at once")
      ->check(CLI::Range(0.0, 600.0))
      ->capture_default_str();
}

void CommandLine::add_watch_flags() {
  watch_cmd_ = app_.add_subcommand(
      "watch", "watch a broadcast: call the broadcaster's number (steps 710-714)");
  CLI::App& cmd = *watch_cmd_;
  cmd.add_option("target", target_, "the broadcaster's number")->required();
  add_account_flags(cmd, watch_account_);
  cmd.add_flag("--display", display_, "show the video (and play the audio)");
  cmd.add_option("--record", record_, "record to FILE.mp4 or FILE.mkv, without re-encoding");
  cmd.add_option("--latency", latency_ms_, "jitter buffer, ms")
      ->check(CLI::Range(0, 10000))
      ->capture_default_str();
  cmd.add_option("--udp-timeout", udp_timeout_ms_, "ms without UDP media before retrying over TCP")
      ->check(CLI::Range(100, 60000))
      ->capture_default_str();
  cmd.add_option("--rtsp-transport", rtsp_transport_,
                 "RTP over udp, tcp (interleaved), or auto: UDP, then TCP after --udp-timeout")
      ->check(CLI::IsMember({"auto", "udp", "tcp"}))
      ->capture_default_str();
}

std::optional<int> CommandLine::parse(int argc, const char* const* argv) {
  try {
    app_.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app_.exit(e);
  }
  return std::nullopt;
}

std::optional<std::chrono::seconds> CommandLine::duration() const {
  if (!account().duration_s) return std::nullopt;
  return std::chrono::seconds(*account().duration_s);
}

Result<BroadcastConfig, std::string> CommandLine::broadcast_config(
    const PhoneOptions& phone) const {
  BroadcastConfig config = broadcast_;
  config.phone = phone;
  config.service_number = service_number_;
  config.duration = duration();
  config.stats_json = broadcast_account_.stats_json;
  auto video = parse_source(source_);
  if (!video) return fail(video.error());
  config.media.source = *video;
  if (!source2_.empty()) {
    auto second = parse_source(source2_);
    if (!second) return fail(second.error());
    config.media.source2 = *second;
  }
  auto audio_source = parse_audio_source(audio_);
  if (!audio_source) return fail(audio_source.error());
  config.media.audio = *audio_source;
  config.media.audio_codec = audio_codec_ == "opus" ? AudioCodec::opus : AudioCodec::aac;
  auto frame = parse_frame_size(size_);
  if (!frame) return fail(frame.error());
  config.media.width = frame->width;
  config.media.height = frame->height;
  auto kbps = parse_bitrate_kbps(bitrate_);
  if (!kbps) return fail(kbps.error());
  config.media.bitrate_kbps = *kbps;
  if (!min_bitrate_.empty()) {
    auto min_kbps = parse_bitrate_kbps(min_bitrate_);
    if (!min_kbps) return fail(min_kbps.error());
    config.media.min_bitrate_kbps = *min_kbps;
  }
  config.media.clock_overlay = !no_overlay_;
  config.media.reconnect_for =
      std::chrono::milliseconds(static_cast<long long>(reconnect_for_s_ * 1000.0));
  if (!no_forwarding_) {
    auto server = parse_server(broadcast_account_.server);
    if (!server) return fail(server.error());
    config.ut_url = ut_url_.empty() ? default_ut_url(*server) : ut_url_;
    config.ut_url_explicit = !ut_url_.empty();
  }
  return config;
}

WatchConfig CommandLine::watch_config(const PhoneOptions& phone) const {
  WatchConfig config;
  config.phone = phone;
  config.target = target_;
  config.duration = duration();
  config.stats_json = watch_account_.stats_json;
  config.media.display = display_;
  config.media.record_path = record_;
  config.media.latency_ms = latency_ms_;
  config.media.udp_timeout = std::chrono::milliseconds(udp_timeout_ms_);
  config.media.transport = rtsp_transport_ == "udp"   ? RtpTransport::udp
                           : rtsp_transport_ == "tcp" ? RtpTransport::tcp
                                                      : RtpTransport::udp_then_tcp;
  return config;
}

}  // namespace callcast::terminal
