#include "terminal/media/broadcast_pipeline.hpp"

#include <gst/video/video.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <string_view>

#include "terminal/media/broadcast_description.hpp"
#include "terminal/media/broadcast_feedback.hpp"
#include "terminal/media/broadcast_reconnect.hpp"
#include "terminal/media/error_lines.hpp"
#include "terminal/media/glib_timer_factory.hpp"
#include "terminal/media/gst_elements.hpp"
#include "terminal/media/rate_meter.hpp"
#include "terminal/media/rtsp_publish_sink.hpp"
#include "terminal/media/video_frame_clock.hpp"

namespace callcast::terminal {

namespace {

using std::chrono::milliseconds;

constexpr milliseconds kAnnounceTimeout{10'000};
constexpr milliseconds kBroadcastStopTimeout{3'000};
constexpr milliseconds kBroadcastStatsPeriod{1'000};
constexpr const char* kBroadcastFirstFrameMessage = "callcast-broadcast-first-frame";

std::string aac_encoder() {
  GstElementFactory* factory = gst_element_factory_find("avenc_aac");
  if (factory != nullptr) {
    gst_object_unref(factory);
    return "avenc_aac";
  }
  return "voaacenc";
}

}  // namespace

struct BroadcastPipeline::State {
  State(const BroadcastOptions& o, const core::TimeSource& time)
      : options(o), clock(time), reconnect(o.reconnect_for, time) {}

  BroadcastOptions options;
  const core::TimeSource& clock;
  GstOwned<GstElement> pipeline;
  GstElement* encoder = nullptr;   // owned by the pipeline
  GstElement* selector = nullptr;  // owned by the pipeline; null without source2
  std::unique_ptr<RtspPublishSink> sink;
  // After pipeline: its relay thread posts on the pipeline's bus until it is destroyed.
  std::unique_ptr<BroadcastFeedback> feedback;
  GstVideoInfo video_info{};
  std::string url;

  BroadcastCallbacks callbacks;
  GMainContext* context = nullptr;
  GSource* bus_watch = nullptr;
  // On the context start() runs on (made there, with the timers).
  std::unique_ptr<GlibTimerFactory> timers;
  std::unique_ptr<core::Timer> announce_timer;
  std::unique_ptr<core::Timer> stop_timer;
  std::unique_ptr<core::Timer> stats_timer;

  bool started = false;
  bool record_started = false;  // ANNOUNCE and SETUP accepted
  bool streaming = false;       // on_streaming given
  bool stopping = false;
  bool done = false;  // on_error or on_finished given

  // Reconnection after a lost RTSP connection (see start()).
  BroadcastReconnect reconnect;
  std::unique_ptr<core::Timer> retry_timer;    // the back-off before the next attempt
  std::unique_ptr<core::Timer> attempt_timer;  // how long an attempt may take

  // Written by streaming threads.
  std::atomic<std::uint64_t> frames_sent{0};
  std::atomic<std::uint64_t> bytes_sent{0};
  std::atomic<bool> first_frame_posted{false};
  // Main thread only.
  RateMeter byte_rate{kBroadcastStatsPeriod};
  double kbps = 0;
  int active_source = 1;
  std::uint64_t switches = 0;

  ~State() { shut_down(); }

  static GstPadProbeReturn stamp_probe(GstPad*, GstPadProbeInfo* info, gpointer data) {
    auto* self = static_cast<State*>(data);
    GstBuffer* buffer = gst_buffer_make_writable(GST_PAD_PROBE_INFO_BUFFER(info));
    GST_PAD_PROBE_INFO_DATA(info) = buffer;
    stamp_video_frame(buffer, self->video_info, wall_clock_ms());
    return GST_PAD_PROBE_OK;
  }

  static GstPadProbeReturn video_out_probe(GstPad*, GstPadProbeInfo* info, gpointer data) {
    auto* self = static_cast<State*>(data);
    self->frames_sent.fetch_add(1, std::memory_order_relaxed);
    self->bytes_sent.fetch_add(gst_buffer_get_size(GST_PAD_PROBE_INFO_BUFFER(info)),
                               std::memory_order_relaxed);
    if (!self->first_frame_posted.exchange(true)) {
      post_application_message(self->pipeline.get(), kBroadcastFirstFrameMessage);
    }
    return GST_PAD_PROBE_OK;
  }

  static GstPadProbeReturn audio_out_probe(GstPad*, GstPadProbeInfo* info, gpointer data) {
    auto* self = static_cast<State*>(data);
    self->bytes_sent.fetch_add(gst_buffer_get_size(GST_PAD_PROBE_INFO_BUFFER(info)),
                               std::memory_order_relaxed);
    return GST_PAD_PROBE_OK;
  }

  void add_probe(const char* element_name, const char* pad_name, GstPadProbeCallback probe) {
    GstOwned<GstElement> element(gst_bin_get_by_name(GST_BIN(pipeline.get()), element_name));
    if (!element) return;
    GstOwned<GstPad> pad(gst_element_get_static_pad(element.get(), pad_name));
    if (pad) gst_pad_add_probe(pad.get(), GST_PAD_PROBE_TYPE_BUFFER, probe, this, nullptr);
  }

  // The timers, on the loop of the thread that calls start().
  void make_timers() {
    timers = std::make_unique<GlibTimerFactory>(context);
    feedback->start(clock, *timers);
    announce_timer = timers->create_timer(
        [this] { report_error("media server did not accept the stream within 10 s: " + url); });
    stop_timer = timers->create_timer([this] {
      spdlog::warn("broadcast stop: no EOS within 3 s, stopping anyway url={}", url);
      finish();
    });
    stats_timer = timers->create_timer([this] {
      kbps = kbit_per_s(byte_rate.sample(bytes_sent.load()));
      stats_timer->enable(kBroadcastStatsPeriod);
    });
    retry_timer = timers->create_timer([this] { start_attempt(); });
    attempt_timer = timers->create_timer([this] {
      reconnect.attempt_timed_out();
      gst_element_set_state(pipeline.get(), GST_STATE_NULL);
      schedule_attempt();
    });
  }

  static void disarm(const std::unique_ptr<core::Timer>& timer) {
    if (timer) timer->disable();
  }

  // Stops everything: no streaming thread, bus message or timer reaches this object afterwards.
  void shut_down() {
    tear_down();
    drop_source(bus_watch);
    if (context != nullptr) {
      g_main_context_unref(context);
      context = nullptr;
    }
  }

  void tear_down() {
    for (const auto* timer :
         {&retry_timer, &attempt_timer, &announce_timer, &stop_timer, &stats_timer}) {
      disarm(*timer);
    }
    if (pipeline) gst_element_set_state(pipeline.get(), GST_STATE_NULL);
  }

  // The last thing a handler does: the callback may destroy the BroadcastPipeline.
  void finish() {
    if (done) return;
    done = true;
    tear_down();
    spdlog::info("broadcast finished url={} frames={} bytes={} step=708", url, frames_sent.load(),
                 bytes_sent.load());
    if (auto on_finished = callbacks.on_finished) on_finished();
  }

  void report_error(const std::string& text, bool refused = false) {
    if (done) return;
    done = true;
    tear_down();
    // The session prints `text` as the error line; this is for the log only.
    spdlog::info("broadcast failed url={} error=\"{}\" step=708", without_token(url), text);
    if (refused && callbacks.on_refused) return callbacks.on_refused(text);
    if (auto on_error = callbacks.on_error) on_error(text);
  }

  void maybe_streaming() {
    if (streaming || done || !record_started || !first_frame_posted.load()) return;
    streaming = true;
    disarm(announce_timer);
    if (reconnect.active()) {
      disarm(attempt_timer);
      const auto outcome = reconnect.reconnected();
      spdlog::info("broadcast reconnected url={} outage_ms={} attempts={} step=705",
                   without_token(url), outcome.outage.count(), outcome.attempts);
      if (auto on_reconnected = callbacks.on_reconnected) {
        on_reconnected(outcome.outage, outcome.attempts);
      }
      return;
    }
    spdlog::info("broadcast streaming url={} step=708", url);
    if (auto on_streaming = callbacks.on_streaming) on_streaming();
  }

  // rtspclientsink reports "record: Starting recording" once ANNOUNCE and every SETUP were
  // accepted, just before it sends RECORD. The next frame through is the first one the server
  // takes: that makes on_streaming.
  void on_sink_progress(GstMessage* message) {
    GstProgressType type;
    gchar* code = nullptr;
    gchar* text = nullptr;
    gst_message_parse_progress(message, &type, &code, &text);
    spdlog::debug("broadcast rtsp progress url={} code={} text=\"{}\"", url, code, text);
    if (std::string_view(code) == "record" && std::string_view(text).starts_with("Starting")) {
      record_started = true;
      first_frame_posted.store(false);
      // The encoder restarted with the pipeline, so its next frame is an IDR anyway; forcing a
      // key unit makes sure the first frame the server takes after a reconnect is one, with
      // SPS/PPS in band (h264parse config-interval=-1), whatever rtspclientsink held back.
      if (reconnect.active()) {
        gst_element_send_event(
            encoder, gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
      }
    }
    g_free(code);
    g_free(text);
  }

  // An error while connecting, in words a user can act on.
  std::string describe_error(GstMessage* message) const {
    // Through the relay, a server that cannot be reached shows as a connection closed at once.
    const auto unreachable = sink->posted(message) ? feedback->server_failure() : std::nullopt;
    return broadcast_error_line(unreachable.value_or(error_text(message)), sink->posted(message),
                                GST_OBJECT_NAME(GST_MESSAGE_SRC(message)), streaming, url);
  }

  // The sink failed after streaming (or during a reconnection attempt): stop, and try again
  // after the back-off unless the server refused the URL or the budget is spent.
  void connection_lost(GstMessage* message) {
    const std::string text = error_text(message);
    if (reconnect.lost(text)) {
      spdlog::info("broadcast lost its media connection url={} error=\"{}\" step=708",
                   without_token(url), text);
    } else {
      spdlog::info("broadcast reconnect attempt {} failed url={} error=\"{}\"", reconnect.attempt(),
                   without_token(url), text);
    }
    streaming = false;
    record_started = false;
    disarm(attempt_timer);
    // NULL flushes the bus: nothing more from the broken connection reaches on_bus.
    gst_element_set_state(pipeline.get(), GST_STATE_NULL);
    if (const auto refused = rtsp_refusal(message)) {
      reconnect.abandon();
      return report_error("the media server refused to take the broadcast back (" + *refused +
                              "): " + without_token(url),
                          /*refused=*/true);
    }
    schedule_attempt();
  }

  void schedule_attempt() {
    const auto delay = reconnect.next_delay();
    if (!delay) return give_up(reconnect.budget_spent_line() + ": " + without_token(url));
    retry_timer->enable(*delay);
  }

  void start_attempt() {
    const int attempt = reconnect.start_attempt();
    spdlog::info("broadcast reconnect attempt {} url={} after_ms={}", attempt, without_token(url),
                 reconnect.since_loss().count());
    if (auto on_reconnecting = callbacks.on_reconnecting) on_reconnecting(attempt);
    if (done) return;  // the callback may have ended the broadcast
    const auto timeout = reconnect.attempt_timeout();
    attempt_timer->enable(timeout);
    first_frame_posted.store(false);
    if (!sink->replace(url)) return give_up("cannot rebuild the RTSP sink: " + without_token(url));
    gst_element_set_state(pipeline.get(), GST_STATE_PLAYING);
  }

  void give_up(const std::string& line) {
    reconnect.abandon();
    report_error(line);
  }

  bool may_reconnect(GstMessage* message) const {
    // From RECORD on the server has taken the stream (the network side may already have said
    // 200 OK): a loss from then on is a lost connection, not a refused stream.
    return sink->posted(message) && (streaming || record_started || reconnect.active()) &&
           reconnect.enabled();
  }

  static gboolean on_bus(GstBus*, GstMessage* message, gpointer data) {
    auto* self = static_cast<State*>(data);
    switch (GST_MESSAGE_TYPE(message)) {
      case GST_MESSAGE_ERROR:
        if (self->stopping) {
          self->finish();
        } else if (self->may_reconnect(message)) {
          self->connection_lost(message);
        } else {
          self->report_error(self->describe_error(message));
        }
        break;
      case GST_MESSAGE_EOS:
        self->finish();
        break;
      case GST_MESSAGE_PROGRESS:
        if (self->sink->posted(message)) self->on_sink_progress(message);
        break;
      case GST_MESSAGE_WARNING:
        // GStreamer's warnings (a sink noticing its connection broke...) are for the log: what
        // the user must know comes as an error or a reconnect event.
        spdlog::info("broadcast warning url={} warning=\"{}\"", without_token(self->url),
                     error_text(message));
        break;
      case GST_MESSAGE_APPLICATION:
        if (self->feedback->handle(message)) break;
        if (gst_structure_has_name(gst_message_get_structure(message),
                                   kBroadcastFirstFrameMessage)) {
          self->maybe_streaming();
        }
        break;
      default:
        break;
    }
    return G_SOURCE_CONTINUE;
  }
};

BroadcastPipeline::BroadcastPipeline(std::unique_ptr<State> state) : state_(std::move(state)) {}

BroadcastPipeline::~BroadcastPipeline() = default;

Result<std::unique_ptr<BroadcastPipeline>, std::string> BroadcastPipeline::create(
    const BroadcastOptions& options, const core::TimeSource& time) {
  std::string error;
  if (!ensure_gstreamer(error)) return fail(error);
  if (auto invalid = broadcast_options_error(options)) return fail(*invalid);

  const auto description = BroadcastDescription::of(options, aac_encoder());
  if (auto missing = missing_element(description.elements)) return fail(*missing);

  GError* gerror = nullptr;
  GstElement* element = gst_parse_launch(description.text.c_str(), &gerror);
  if (gerror != nullptr) {
    std::string text = std::string("cannot build the broadcast pipeline: ") + gerror->message;
    g_error_free(gerror);
    if (element != nullptr) gst_object_unref(element);
    return fail(text);
  }
  auto state = std::make_unique<State>(options, time);
  state->pipeline.reset(GST_ELEMENT(gst_object_ref_sink(element)));
  GstBin* bin = GST_BIN(state->pipeline.get());
  // The pipeline holds these; the State's pointers live no longer than it.
  GstOwned<GstElement> encoder(gst_bin_get_by_name(bin, "encoder"));
  GstOwned<GstElement> selector(gst_bin_get_by_name(bin, "selector"));
  state->encoder = encoder.get();
  state->sink = std::make_unique<RtspPublishSink>(
      bin, options.audio != AudioSource::none && options.audio_codec == AudioCodec::aac);
  state->selector = selector.get();
  PublisherFeedbackLimits limits;
  limits.max_kbps = options.bitrate_kbps;
  limits.min_kbps = min_bitrate_kbps_of(options);
  state->feedback =
      std::make_unique<BroadcastFeedback>(state->pipeline.get(), state->encoder, limits);
  for (int index : {1, 2}) {
    const SourceSpec* source =
        index == 1 ? &options.source : (options.source2 ? &*options.source2 : nullptr);
    if (source == nullptr || source->kind == SourceSpec::Kind::test) continue;
    const std::string name = "src" + std::to_string(index);
    GstOwned<GstElement> src(gst_bin_get_by_name(bin, name.c_str()));
    g_object_set(src.get(), source->kind == SourceSpec::Kind::file ? "location" : "device",
                 source->path.c_str(), nullptr);
  }

  gst_video_info_set_format(&state->video_info, GST_VIDEO_FORMAT_I420,
                            static_cast<guint>(options.width), static_cast<guint>(options.height));
  if (options.stamp_clock) {
    GstOwned<GstPad> pad(gst_element_get_static_pad(state->encoder, "sink"));
    gst_pad_add_probe(pad.get(), GST_PAD_PROBE_TYPE_BUFFER, &State::stamp_probe, state.get(),
                      nullptr);
  }
  state->add_probe("vparse", "src", &State::video_out_probe);
  state->add_probe("aparse", "src", &State::audio_out_probe);
  return std::unique_ptr<BroadcastPipeline>(new BroadcastPipeline(std::move(state)));
}

void BroadcastPipeline::start(const std::string& publish_url, BroadcastCallbacks callbacks) {
  State& s = *state_;
  if (s.started) return;
  s.started = true;
  s.url = publish_url;
  s.callbacks = std::move(callbacks);
  s.context = g_main_context_ref_thread_default();
  s.sink->set_location(publish_url);
  s.sink->set_proxy(s.feedback->proxy_for(publish_url));

  s.bus_watch = add_bus_watch(s.pipeline.get(), s.context, &State::on_bus, &s);
  s.make_timers();
  s.announce_timer->enable(kAnnounceTimeout);
  s.stats_timer->enable(kBroadcastStatsPeriod);

  spdlog::info("broadcast starting url={} size={}x{} fps={} bitrate_kbps={} step=705", s.url,
               s.options.width, s.options.height, s.options.fps, s.options.bitrate_kbps);
  // A failure here also posts an ERROR on the bus, which gives on_error.
  gst_element_set_state(s.pipeline.get(), GST_STATE_PLAYING);
}

bool BroadcastPipeline::switch_source() {
  State& s = *state_;
  if (s.selector == nullptr || !s.started || s.done) return false;
  const int next = s.active_source == 1 ? 2 : 1;
  GstOwned<GstPad> pad(gst_element_get_static_pad(s.selector, next == 1 ? "sink_0" : "sink_1"));
  if (!pad) return false;
  g_object_set(s.selector, "active-pad", pad.get(), nullptr);
  // Viewers decode the new picture from its first frame: an IDR with SPS/PPS right away.
  gst_element_send_event(s.encoder,
                         gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
  s.active_source = next;
  ++s.switches;
  spdlog::info("broadcast camera switch url={} source={} switches={}", s.url, next, s.switches);
  return true;
}

void BroadcastPipeline::stop() {
  State& s = *state_;
  if (!s.started || s.done || s.stopping) return;
  s.stopping = true;
  spdlog::info("broadcast stopping url={}", s.url);
  // Between attempts there is no connection to flush to.
  if (s.reconnect.active()) return s.finish();
  s.stop_timer->enable(kBroadcastStopTimeout);
  send_eos_async(s.pipeline.get());
}

BroadcastStats BroadcastPipeline::stats() const {
  const State& s = *state_;
  BroadcastStats stats;
  stats.frames_sent = s.frames_sent.load();
  stats.bytes_sent = s.bytes_sent.load();
  stats.kbps = s.kbps;
  stats.active_source = s.active_source;
  stats.switches = s.switches;
  stats.reconnects = s.reconnect.reconnects();
  stats.last_outage = s.reconnect.last_outage();
  const auto feedback = s.feedback->counters();
  stats.keyframe_requests = feedback.keyframe_requests;
  stats.keyframes_forced = feedback.keyframes_forced;
  stats.bitrate_requests = feedback.bitrate_requests;
  stats.bitrate_changes = feedback.bitrate_changes;
  stats.bitrate_kbps = feedback.bitrate_kbps;
  return stats;
}

}  // namespace callcast::terminal
