#include "terminal/broadcast_session.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <utility>

#include "forwarding/ut_client.hpp"
#include "sipwire/audience_info.hpp"
#include "sipwire/iptv_sdp.hpp"
#include "terminal/sip_outcome.hpp"
#include "terminal/stats_file.hpp"

namespace callcast::terminal {

namespace {

// The broadcaster takes the network side's audience INFO (RFC 6086).
PhoneOptions with_audience(PhoneOptions phone) {
  phone.info_packages.emplace_back(sip::kAudiencePackage);
  return phone;
}

constexpr std::string_view kUtPurpose = "callcast-ut";
// How long a refused broadcaster waits for the network side's BYE and its reason: the signaling
// role retries a lost event feed within 2 s at most (HttpMediaControl's retry_max).
constexpr std::chrono::milliseconds kNetworkVerdictWait{3'000};

}  // namespace

BroadcastSession::BroadcastSession(BroadcastConfig config, StatusLine& status)
    : Session(with_audience(config.phone), status), config_(std::move(config)) {}

BroadcastSession::~BroadcastSession() = default;

const char* BroadcastSession::to_string(State state) {
  switch (state) {
    case State::registering:
      return "registering";
    case State::calling:
      return "calling";
    case State::publishing:
      return "connecting media";
    case State::live:
      return "LIVE";
    case State::ending:
      return "ending";
  }
  return "?";
}

void BroadcastSession::begin() {
  // The pipeline is built (sources and plugins checked) before the call, so that a missing file
  // or camera fails here and creates no group on the server.
  auto pipeline = BroadcastPipeline::create(config_.media);
  if (!pipeline) return finish(1, pipeline.error());
  pipeline_ = std::move(pipeline).value();

  state_ = State::calling;
  const std::string& number = config_.phone.number;
  status().event("step 701: " + number + " calls the service number " + config_.service_number);
  spdlog::info("terminal: terminal={} step=701 INVITE {}", number, config_.service_number);
  CallEvents events;
  events.on_provisional = [this](const sipua::Response& r) { on_provisional(r); };
  events.on_answered = [this](const sipua::Response& r) {
    note_network_ut_url(r);
    on_answered();
  };
  events.on_info = [this](const sipua::InfoRequest& info) { on_audience(info); };
  events.on_ended = [this](const sipua::CallEnd& end, const std::optional<sipua::Response>& r) {
    on_call_ended(end, r);
  };
  phone().call(config_.service_number,
               sip::make_iptv_offer(phone().advertised_host(), sip::IptvDirection::sendonly),
               std::move(events));
}

void BroadcastSession::note_network_ut_url(const sipua::Response& response) {
  for (const auto& info : response.call_info) {
    if (info.purpose != kUtPurpose || !info.uri.starts_with("http://")) continue;
    if (network_ut_url_ != info.uri) {
      spdlog::info("terminal: terminal={} network side's Ut URL {}", config_.phone.number,
                   info.uri);
    }
    network_ut_url_ = info.uri;
    return;
  }
}

std::string BroadcastSession::ut_url() const {
  if (config_.ut_url.empty() || config_.ut_url_explicit || network_ut_url_.empty()) {
    return config_.ut_url;  // --no-forwarding, --ut-url, or a network side that tells none
  }
  return network_ut_url_;
}

void BroadcastSession::on_audience(const sipua::InfoRequest& info) {
  if (info.package != sip::kAudiencePackage) return;
  const auto viewers = sip::read_audience_body(info.body);
  if (!viewers) {
    spdlog::warn("terminal: terminal={} unreadable audience INFO body: {}", config_.phone.number,
                 info.body);
    return;
  }
  viewers_ = *viewers;
  max_viewers_ = std::max(max_viewers_, *viewers);
  spdlog::info("terminal: terminal={} step=709 audience viewers={}", config_.phone.number,
               *viewers);
  refresh_status();
}

void BroadcastSession::on_provisional(const sipua::Response& response) {
  if (response.status != 183 || state_ != State::calling) return;
  note_network_ut_url(response);
  const std::string url = sip::rtsp_uri_from_sdp(response.body);
  if (url.empty()) {
    pending_exit_ = 1;
    pending_line_ = "the network side's 183 Session Progress carried no RTSP URI";
    state_ = State::ending;
    media_finished_ = true;
    return phone().hang_up();
  }
  status().event("step 704: 183 Session Progress: the group is ready, publish URL received");
  spdlog::info("terminal: terminal={} step=704 publish_url={}", config_.phone.number, url);
  start_media(url);
}

void BroadcastSession::start_media(const std::string& url) {
  state_ = State::publishing;
  media_started_ = true;
  status().event("step 705: joining the group over RTSP/TCP and streaming (708)");
  BroadcastCallbacks callbacks;
  callbacks.on_streaming = [this] {
    spdlog::info("terminal: terminal={} step=708 media flowing", config_.phone.number);
  };
  callbacks.on_error = [this](const std::string& text) { media_failed(text); };
  // A media server that refuses the broadcast back has lost the group: restarted, or told to end
  // it. The network side learns why and ends the call with that reason (a BYE), usually within a
  // second; waiting for it a little gives the user the reason, not only the refusal.
  callbacks.on_refused = [this](const std::string& text) {
    spdlog::info(
        "terminal: terminal={} media refused: {}; waiting up to {} ms for the network "
        "side",
        config_.phone.number, text, kNetworkVerdictWait.count());
    media_finished_ = true;
    status().event("the media server refused to take the broadcast back: asking the network side");
    run_after(kNetworkVerdictWait, [this, text] {
      if (!call_over_ && state_ != State::ending) media_failed(text);
    });
  };
  // A lost RTSP connection: the call stays up while the pipeline reconnects (its grace period
  // on the server keeps the group and its viewers); only giving up ends the call (on_error).
  callbacks.on_reconnecting = [this](int attempt) {
    if (attempt == 1) {
      status().event("media connection lost: reconnecting (the call and the viewers stay)");
    }
    reconnect_attempt_ = attempt;
    refresh_status();
  };
  callbacks.on_reconnected = [this](std::chrono::milliseconds outage, int attempts) {
    reconnect_attempt_ = 0;
    status().event("step 705: media connection back after " + std::to_string(outage.count()) +
                   " ms (" + std::to_string(attempts) + " attempt" + (attempts == 1 ? "" : "s") +
                   "), streaming again");
    refresh_status();
  };
  callbacks.on_finished = [this] {
    media_finished_ = true;
    if (!ending() && state_ != State::ending) {
      // The source ran out (a file) or the server closed the RTSP session.
      pending_line_ = "the media stream ended";
    }
    state_ = State::ending;
    if (call_over_) return clear_forwarding_then_finish(pending_exit_, pending_line_);
    phone().hang_up();
  };
  pipeline_->start(url, std::move(callbacks));
}

void BroadcastSession::media_failed(const std::string& text) {
  spdlog::info("terminal: terminal={} media error: {}", config_.phone.number, text);
  media_finished_ = true;
  if (pending_exit_ == 0) {
    pending_exit_ = 1;
    pending_line_ = text;
  }
  state_ = State::ending;
  if (call_over_) return clear_forwarding_then_finish(pending_exit_, pending_line_);
  phone().hang_up();
}

void BroadcastSession::on_answered() {
  if (state_ == State::ending) return;
  state_ = State::live;
  live_since_ = std::chrono::steady_clock::now();
  const std::string& number = config_.phone.number;
  status().event("step 707: 200 OK: LIVE. Viewers watch by calling " + number);
  spdlog::info("terminal: terminal={} step=707 live", number);
  if (config_.duration) {
    run_after(*config_.duration, [this] { stop("--duration reached"); });
  }
  set_forwarding();
}

void BroadcastSession::set_forwarding() {
  forwarding_url_ = ut_url();
  if (forwarding_url_.empty()) return;
  auto outcome = std::make_shared<std::string>();
  const forwarding::UtClientOptions options{forwarding_url_, config_.phone.number,
                                            config_.phone.password};
  const std::string target = config_.service_number;
  forwarding_in_flight_ = true;
  run_in_worker(
      [options, target, outcome] {
        auto client = forwarding::UtClient::create(options);
        if (!client) {
          *outcome = client.error();
          return;
        }
        auto set = client->set_unconditional(target);
        if (!set) *outcome = set.error();
      },
      [this, outcome] {
        forwarding_in_flight_ = false;
        const std::string& number = config_.phone.number;
        forwarding_set_ = outcome->empty();
        // The session began to end while the request was out: finish now, clearing the rule.
        if (finish_after_forwarding_) {
          const auto [exit_code, line] = *std::exchange(finish_after_forwarding_, std::nullopt);
          return clear_forwarding_then_finish(exit_code, line);
        }
        if (!outcome->empty()) {
          // The broadcast itself is fine; only calls to the number do not reach it.
          status().event("warning: call forwarding not set, viewers cannot reach " + number +
                         " by calling it: " + *outcome);
          spdlog::warn("terminal: terminal={} forwarding not set: {}", number, *outcome);
          return;
        }
        status().event("[0154]: calls to " + number + " now forward to the service number " +
                       config_.service_number);
        spdlog::info("terminal: terminal={} forwarding set target={}", number,
                     config_.service_number);
      });
}

void BroadcastSession::clear_forwarding_then_finish(int exit_code, const std::string& line) {
  if (forwarding_in_flight_) {
    finish_after_forwarding_ = {exit_code, line};
    return;
  }
  if (!forwarding_set_ || forwarding_url_.empty()) return finish(exit_code, line);
  forwarding_set_ = false;
  const forwarding::UtClientOptions options{forwarding_url_, config_.phone.number,
                                            config_.phone.password};
  auto outcome = std::make_shared<std::string>();
  run_in_worker(
      [options, outcome] {
        auto client = forwarding::UtClient::create(options);
        if (!client) {
          *outcome = client.error();
          return;
        }
        auto cleared = client->clear_unconditional();
        if (!cleared) *outcome = cleared.error();
      },
      [this, outcome, exit_code, line] {
        if (outcome->empty()) {
          spdlog::info("terminal: terminal={} forwarding cleared", config_.phone.number);
        } else {
          status().event("warning: could not clear the call forwarding of " + config_.phone.number +
                         ": " + *outcome);
        }
        finish(exit_code, line);
      });
}

void BroadcastSession::on_call_ended(const sipua::CallEnd& end,
                                     const std::optional<sipua::Response>& refusal) {
  call_over_ = true;
  const bool was_live = state_ == State::live;
  spdlog::info("terminal: terminal={} call ended: {}", config_.phone.number, end.describe());
  if (pending_line_.empty()) {
    if (end.cause == sipua::EndCause::remote_bye) {
      pending_line_ = end.reason_text.empty() || end.reason_text == "broadcast ended"
                          ? "the network side ended the broadcast (BYE)"
                          : "the network side ended the broadcast: " + end.reason_text + " (BYE)";
    } else if (refusal && !was_live) {
      pending_exit_ = 1;
      pending_line_ = describe_call_failure(*refusal, config_.service_number, config_.phone.server);
    } else if (end.cause == sipua::EndCause::error) {
      pending_exit_ = 1;
      pending_line_ = "the call failed: " + end.describe();
    }
  }
  state_ = State::ending;
  if (media_started_ && !media_finished_) {
    // Flush what is left to the server; on_finished completes the ending.
    pipeline_->stop();
    return;
  }
  clear_forwarding_then_finish(pending_exit_, pending_line_);
}

void BroadcastSession::end_cleanly(const std::string& why) {
  if (pending_line_.empty()) pending_line_ = "broadcast ended: " + why;
  const State was = state_;
  state_ = State::ending;
  if (was == State::registering) return finish(0, pending_line_);
  if (call_over_) {
    if (media_started_ && !media_finished_) return pipeline_->stop();
    return clear_forwarding_then_finish(pending_exit_, pending_line_);
  }
  if (media_started_ && !media_finished_) {
    // Pipeline first (its EOS flushes the last frames to the server), then the BYE.
    return pipeline_->stop();
  }
  media_finished_ = true;
  phone().hang_up();
}

void BroadcastSession::on_key(char key) {
  if (key == 's' || key == 'S') switch_camera("key s");
}

void BroadcastSession::on_user_signal() {
  switch_camera("SIGUSR1");
}

void BroadcastSession::switch_camera(const char* how) {
  if (!pipeline_ || state_ == State::ending) return;
  if (!config_.media.source2) {
    status().event("no second source to switch to (give --source2)");
    return;
  }
  if (pipeline_->switch_source()) {
    status().event(std::string("[0155] camera switched (") + how + "): now source " +
                   std::to_string(pipeline_->stats().active_source));
    spdlog::info("terminal: terminal={} camera switched to source {}", config_.phone.number,
                 pipeline_->stats().active_source);
  }
}

void BroadcastSession::refresh_status() {
  std::string text = reconnect_attempt_ > 0 && state_ != State::ending
                         ? "reconnecting (attempt " + std::to_string(reconnect_attempt_) + ")"
                         : std::string(to_string(state_));
  if (live_since_) text += " " + format_elapsed(std::chrono::steady_clock::now() - *live_since_);
  if (pipeline_) {
    const BroadcastStats stats = pipeline_->stats();
    text += " | " + std::to_string(static_cast<long long>(stats.kbps)) + " kbps | " +
            std::to_string(stats.frames_sent) + " frames";
    if (config_.media.source2) text += " | source " + std::to_string(stats.active_source);
  }
  if (viewers_)
    text += " | " + std::to_string(*viewers_) + (*viewers_ == 1 ? " viewer" : " viewers");
  status().update(text);
}

void BroadcastSession::on_finish(int exit_code, const std::string& line) {
  (void)exit_code;
  write_stats(line);
}

void BroadcastSession::write_stats(const std::string& end_reason) const {
  if (config_.stats_json.empty()) return;
  nlohmann::json stats = {{"number", config_.phone.number}, {"end", end_reason}};
  if (pipeline_) {
    const BroadcastStats media = pipeline_->stats();
    stats["frames_sent"] = media.frames_sent;
    stats["bytes_sent"] = media.bytes_sent;
    stats["switches"] = media.switches;
    stats["reconnects"] = media.reconnects;
    stats["last_outage_ms"] = media.last_outage.count();
    stats["keyframe_requests"] = media.keyframe_requests;
    stats["keyframes_forced"] = media.keyframes_forced;
    stats["bitrate_requests"] = media.bitrate_requests;
    stats["bitrate_changes"] = media.bitrate_changes;
    stats["bitrate_kbps"] = media.bitrate_kbps;
  }
  // The audience the network side told (INFO callcast-audience); 0 when it told none.
  stats["viewers"] = viewers_.value_or(0);
  stats["max_viewers"] = max_viewers_;
  if (live_since_) {
    stats["live_seconds"] =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - *live_since_).count();
  }
  write_stats_file(config_.stats_json, stats);
}

}  // namespace callcast::terminal
