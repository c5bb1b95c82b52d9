#include "terminal/watch_session.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <utility>

#include "sipwire/iptv_sdp.hpp"
#include "terminal/sip_outcome.hpp"
#include "terminal/stats_file.hpp"

namespace callcast::terminal {

namespace {
// How long a viewer whose stream broke waits for the network side's BYE and its reason.
constexpr std::chrono::seconds kByeAfterMediaLoss{3};
}  // namespace

namespace {

// The value below which a fraction `q` of the samples lie (nearest rank).
double quantile(std::vector<double> samples, double q) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(samples.size())));
  return samples[std::clamp<std::size_t>(rank, 1, samples.size()) - 1];
}

}  // namespace

WatchSession::WatchSession(WatchConfig config, StatusLine& status)
    : Session(config.phone, status), config_(std::move(config)) {}

WatchSession::~WatchSession() = default;

const char* WatchSession::to_string(State state) {
  switch (state) {
    case State::registering:
      return "registering";
    case State::calling:
      return "calling";
    case State::connecting:
      return "connecting";
    case State::watching:
      return "WATCHING";
    case State::ending:
      return "ending";
  }
  return "?";
}

void WatchSession::begin() {
  auto pipeline = WatchPipeline::create(config_.media);
  if (!pipeline) return finish(1, pipeline.error());
  pipeline_ = std::move(pipeline).value();

  state_ = State::calling;
  const std::string& number = config_.phone.number;
  status().event("step 710: " + number + " calls " + config_.target);
  spdlog::info("terminal: terminal={} step=710 INVITE {}", number, config_.target);
  invite_sent_ = std::chrono::steady_clock::now();
  CallEvents events;
  events.on_provisional = [this](const sipua::Response& response) {
    if (response.status == 181) {
      status().event("step 711: 181 Call Is Being Forwarded: " + config_.target +
                     " forwards to the broadcast service");
    }
  };
  events.on_answered = [this](const sipua::Response& response) { on_answered(response); };
  events.on_ended = [this](const sipua::CallEnd& end, const std::optional<sipua::Response>& r) {
    on_call_ended(end, r);
  };
  phone().call(config_.target,
               sip::make_iptv_offer(phone().advertised_host(), sip::IptvDirection::recvonly),
               std::move(events));
}

void WatchSession::on_answered(const sipua::Response& response) {
  if (state_ != State::calling) return;
  const std::string url = sip::rtsp_uri_from_sdp(response.body);
  if (url.empty()) {
    exit_code_ = 1;
    end_line_ = "the 200 OK from the network side carried no RTSP URI";
    state_ = State::ending;
    return phone().hang_up();
  }
  status().event("step 713: 200 OK: admitted to the group of " + config_.target);
  spdlog::info("terminal: terminal={} step=713 play_url={}", config_.phone.number, url);
  state_ = State::connecting;
  media_started_ = true;
  WatchCallbacks callbacks;
  callbacks.on_first_frame = [this] {
    join_time_ = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - invite_sent_);
    if (state_ == State::connecting) state_ = State::watching;
    const std::string transport = pipeline_->stats().transport;
    status().event("step 714: first frame " + std::to_string(join_time_->count()) +
                   " ms after the INVITE (RTP over " +
                   (transport.empty() ? std::string("?") : transport) + ")");
    spdlog::info("terminal: terminal={} step=714 first_frame join_ms={}", config_.phone.number,
                 join_time_->count());
  };
  callbacks.on_error = [this](const std::string& text) {
    spdlog::info("terminal: terminal={} media error: {}", config_.phone.number, text);
    if (ended_by_bye_) {
      // The broadcast ended: the server closed its stream and the network side's BYE came while
      // the pipeline was still finishing (behind Kamailio the BYE is a hop longer than the RTSP
      // close). One end, the BYE's, which says why; not a media error.
      return media_done();
    }
    if (state_ == State::watching && end_line_.empty() && !call_over_) {
      // The stream broke while playing: the streaming server went away (restarted, crashed) or
      // our path to it did. The network side's BYE, which says why, normally follows: wait for
      // it a little before reporting the bare media error.
      media_finished_ = true;
      state_ = State::ending;
      run_after(kByeAfterMediaLoss, [this, text] {
        if (call_over_) return;
        exit_code_ = 1;
        end_line_ = "lost the media connection: " + text;
        write_stats();
        phone().hang_up();
      });
      return;
    }
    if (end_line_.empty() || exit_code_ == 0) {
      exit_code_ = 1;
      end_line_ = text;
    }
    media_finished_ = true;
    state_ = State::ending;
    if (call_over_) return finish(exit_code_, end_line_);
    phone().hang_up();
  };
  callbacks.on_finished = [this] { media_done(); };
  pipeline_->start(url, std::move(callbacks));
  if (config_.duration) {
    run_after(*config_.duration, [this] { stop("--duration reached"); });
  }
}

void WatchSession::media_done() {
  media_finished_ = true;
  if (end_line_.empty() && !call_over_) {
    // The server ended the stream: the network side's BYE normally follows at once and says
    // why; hang up ourselves only if it does not come.
    state_ = State::ending;
    run_after(std::chrono::seconds(2), [this] {
      if (call_over_) return;
      end_line_ = "the stream of " + config_.target + " ended";
      write_stats();
      phone().hang_up();
    });
    return;
  }
  state_ = State::ending;
  write_stats();
  if (call_over_) return finish(exit_code_, end_line_);
  phone().hang_up();
}

void WatchSession::on_call_ended(const sipua::CallEnd& end,
                                 const std::optional<sipua::Response>& refusal) {
  call_over_ = true;
  spdlog::info("terminal: terminal={} call ended: {}", config_.phone.number, end.describe());
  if (end_line_.empty()) {
    if (end.cause == sipua::EndCause::remote_bye) {
      ended_by_bye_ = true;
      end_line_ = end.reason_text.empty() || end.reason_text == "broadcast ended"
                      ? "the broadcast of " + config_.target + " ended (BYE from the network side)"
                      : "the broadcast of " + config_.target + " ended: " + end.reason_text +
                            " (BYE from the network side)";
    } else if (refusal && state_ == State::calling) {
      exit_code_ = 1;
      end_line_ = describe_call_failure(*refusal, config_.target, config_.phone.server);
    } else if (end.cause == sipua::EndCause::error) {
      exit_code_ = 1;
      end_line_ = "the call failed: " + end.describe();
    } else {
      end_line_ = "call ended: " + end.describe();
    }
  }
  state_ = State::ending;
  if (media_started_ && !media_finished_) return pipeline_->stop();  // media_done() follows
  write_stats();
  finish(exit_code_, end_line_);
}

void WatchSession::end_cleanly(const std::string& why) {
  if (end_line_.empty()) end_line_ = "stopped watching: " + why;
  const State was = state_;
  state_ = State::ending;
  if (was == State::registering) return finish(0, end_line_);
  if (media_started_ && !media_finished_) return pipeline_->stop();  // then the BYE
  if (call_over_) return finish(exit_code_, end_line_);
  phone().hang_up();
}

void WatchSession::refresh_status() {
  std::string text = to_string(state_);
  if (join_time_) text += " | joined in " + std::to_string(join_time_->count()) + " ms";
  if (pipeline_ && media_started_) {
    const WatchStats stats = pipeline_->stats();
    char numbers[160];
    std::snprintf(numbers, sizeof numbers, " | %.1f fps | %.0f kbps | %llu lost", stats.fps,
                  stats.kbps, static_cast<unsigned long long>(stats.packets_lost));
    text += numbers;
    if (stats.latency_ms_last) {
      text += " | glass-to-glass " + std::to_string(std::lround(*stats.latency_ms_last)) + " ms";
    }
  }
  status().update(text);
}

void WatchSession::write_stats() const {
  if (config_.stats_json.empty()) return;
  nlohmann::json stats = {{"number", config_.phone.number},
                          {"target", config_.target},
                          {"end", end_line_},
                          {"exit_code", exit_code_}};
  if (join_time_) stats["join_ms"] = join_time_->count();
  if (pipeline_ && media_started_) {
    const WatchStats media = pipeline_->stats();
    stats["frames_decoded"] = media.frames_decoded;
    stats["max_frame_gap_ms"] = media.max_frame_gap.count();
    stats["packets_received"] = media.packets_received;
    stats["packets_lost"] = media.packets_lost;
    stats["packets_late"] = media.packets_late;
    stats["freezes"] = nlohmann::json::array();
    std::int64_t longest = 0;
    for (const Freeze& freeze : media.freezes) {
      stats["freezes"].push_back({{"began_unix_ms", freeze.began_unix_ms}, {"ms", freeze.ms}});
      longest = std::max(longest, freeze.ms);
    }
    stats["longest_freeze_ms"] = longest;
    stats["transport"] = media.transport;
    stats["has_audio"] = media.has_audio;
    if (!media.latency_samples_ms.empty()) {
      stats["latency_ms"] = {{"samples", media.latency_samples_ms.size()},
                             {"p50", quantile(media.latency_samples_ms, 0.5)},
                             {"p90", quantile(media.latency_samples_ms, 0.9)}};
    }
  }
  if (!config_.media.record_path.empty()) stats["recording"] = config_.media.record_path;
  write_stats_file(config_.stats_json, stats);
}

}  // namespace callcast::terminal
