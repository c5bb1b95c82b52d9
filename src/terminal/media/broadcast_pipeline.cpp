#include "terminal/media/broadcast_pipeline.hpp"

#include <gst/video/video.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string_view>
#include <vector>

#include "terminal/media/frame_clock.hpp"
#include "terminal/media/gst_elements.hpp"
#include "terminal/media/reconnect_schedule.hpp"

namespace callcast::terminal {

namespace {

constexpr guint kAnnounceTimeoutMs = 10'000;
constexpr guint kStopTimeoutMs = 3'000;
constexpr guint kStatsPeriodMs = 1'000;
constexpr const char* kFirstFrameMessage = "callcast-broadcast-first-frame";

using SteadyClock = std::chrono::steady_clock;

// The URL without its query: the token stays out of the lines a user reads and pastes.
std::string without_token(const std::string& url) {
  return url.substr(0, url.find('?'));
}

// Whether the sink's error is the server refusing the URL for good (404: no such group, 401: the
// token is refused, e.g. by a restarted server with a new token secret) rather than a broken or
// refused connection: rtspclientsink reports 404 as RESOURCE/NOT_FOUND, a bare 401 as
// RESOURCE/NOT_AUTHORIZED and a 401 with a challenge as "No supported authentication protocol".
std::optional<std::string> refusal_status(GstMessage* message) {
  GError* gerror = nullptr;
  gchar* debug = nullptr;
  gst_message_parse_error(message, &gerror, &debug);
  std::optional<std::string> status;
  const std::string_view detail = debug != nullptr ? debug : "";
  if (gerror != nullptr && gerror->domain == GST_RESOURCE_ERROR &&
      gerror->code == GST_RESOURCE_ERROR_NOT_FOUND) {
    status = "404 Not Found: no such group any more";
  } else if ((gerror != nullptr && gerror->domain == GST_RESOURCE_ERROR &&
              gerror->code == GST_RESOURCE_ERROR_NOT_AUTHORIZED) ||
             // A 401 with a challenge: rtspclientsink looks for a scheme it knows, finds none.
             detail.find("No supported authentication protocol") != std::string_view::npos) {
    status = "401 Unauthorized: the publish token is not valid there any more";
  }
  // Not 403: the server answers a second publisher with it while it still holds the old
  // connection (a dropped link it has not noticed yet); that passes within the budget.
  if (gerror != nullptr) g_error_free(gerror);
  g_free(debug);
  return status;
}

// The parse-launch text of one picture source up to raw I420 at the wanted size and rate.
// `index` (1 or 2) names its elements: src1, dec1.
std::string video_source_text(const SourceSpec& source, int index, const BroadcastOptions& o) {
  std::ostringstream text;
  const std::string name = std::to_string(index);
  switch (source.kind) {
    case SourceSpec::Kind::test:
      // Two different patterns, so a switch is visible (and checkable) in the recording.
      text << "videotestsrc name=src" << name
           << " is-live=true pattern=" << (index == 1 ? "smpte" : "ball");
      break;
    case SourceSpec::Kind::file:
      // A file is not live: clocksync paces it to real time as a camera would be.
      text << "filesrc name=src" << name << " ! decodebin name=dec" << name << "  dec" << name
           << ". ! video/x-raw ! clocksync";
      break;
    case SourceSpec::Kind::v4l2:
      text << "v4l2src name=src" << name;
      break;
  }
  text << " ! videoconvert ! videoscale ! videorate ! video/x-raw,format=I420,width=" << o.width
       << ",height=" << o.height << ",framerate=" << o.fps << "/1,pixel-aspect-ratio=1/1";
  if (source.kind == SourceSpec::Kind::test && o.clock_overlay) {
    text << " ! clockoverlay time-format=\"%H:%M:%S\" halignment=right valignment=top"
         << " font-desc=\"Sans 24\"";
  }
  return text.str();
}

std::string aac_encoder() {
  GstElementFactory* factory = gst_element_factory_find("avenc_aac");
  if (factory != nullptr) {
    gst_object_unref(factory);
    return "avenc_aac";
  }
  return "voaacenc";
}

struct Description {
  std::string text;
  std::vector<std::string> elements;  // every factory it uses, checked before parsing
};

Description describe(const BroadcastOptions& o) {
  Description d;
  auto& e = d.elements;
  e = {"videoconvert", "videoscale", "videorate",     "queue",
       "x264enc",      "h264parse",  "rtspclientsink"};
  for (const auto* source : {&o.source, o.source2 ? &*o.source2 : nullptr}) {
    if (source == nullptr) continue;
    switch (source->kind) {
      case SourceSpec::Kind::test:
        e.push_back("videotestsrc");
        if (o.clock_overlay) e.push_back("clockoverlay");
        break;
      case SourceSpec::Kind::file:
        e.insert(e.end(), {"filesrc", "decodebin", "clocksync"});
        break;
      case SourceSpec::Kind::v4l2:
        e.push_back("v4l2src");
        break;
    }
  }
  const int key_interval = std::max(1, o.fps * o.keyframe_interval_s);
  std::ostringstream encoding;
  encoding << "x264enc name=encoder tune=zerolatency speed-preset=ultrafast bitrate="
           << o.bitrate_kbps << " key-int-max=" << key_interval
           << " ! video/x-h264,profile=constrained-baseline"
           << " ! h264parse name=vparse config-interval=-1 ! sink. ";
  std::ostringstream text;
  text << "rtspclientsink name=sink protocols=tcp latency=0 ";
  if (o.source2) {
    e.push_back("input-selector");
    text << "input-selector name=selector ! " << encoding.str() << video_source_text(o.source, 1, o)
         << " ! queue name=vqueue1 ! selector.sink_0 " << video_source_text(*o.source2, 2, o)
         << " ! queue name=vqueue2 ! selector.sink_1 ";
  } else {
    text << video_source_text(o.source, 1, o) << " ! queue name=vqueue1 ! " << encoding.str();
  }

  if (o.audio != AudioSource::none) {
    switch (o.audio) {
      case AudioSource::test:
        e.push_back("audiotestsrc");
        text << "audiotestsrc name=asrc is-live=true wave=sine freq=440 volume=0.2";
        break;
      case AudioSource::alsa:
        e.push_back("alsasrc");
        text << "alsasrc name=asrc";
        break;
      case AudioSource::file:
        text << "dec1. ! audio/x-raw ! clocksync";
        break;
      case AudioSource::none:
        break;
    }
    e.insert(e.end(), {"audioconvert", "audioresample"});
    text << " ! queue ! audioconvert ! audioresample ! audio/x-raw,rate=48000,channels=2 ! ";
    if (o.audio_codec == AudioCodec::aac) {
      const std::string encoder = aac_encoder();
      e.insert(e.end(), {encoder, "aacparse", "rtpmp4gpay"});
      text << encoder << " bitrate=128000 ! aacparse name=aparse";
    } else {
      e.push_back("opusenc");
      text << "opusenc name=aparse bitrate=64000";
    }
    text << " ! sink. ";
  }
  d.text = text.str();
  return d;
}

}  // namespace

struct BroadcastPipeline::State {
  BroadcastOptions options;
  GstOwned<GstElement> pipeline;
  GstElement* encoder = nullptr;   // owned by the pipeline
  GstElement* selector = nullptr;  // owned by the pipeline; null without source2
  GstElement* sink = nullptr;      // owned by the pipeline
  GstVideoInfo video_info{};
  std::string url;

  BroadcastCallbacks callbacks;
  GMainContext* context = nullptr;
  GSource* bus_watch = nullptr;
  GSource* announce_timer = nullptr;
  GSource* stop_timer = nullptr;
  GSource* stats_timer = nullptr;

  bool started = false;
  bool record_started = false;  // ANNOUNCE and SETUP accepted
  bool streaming = false;       // on_streaming given
  bool stopping = false;
  bool done = false;  // on_error or on_finished given

  // Reconnection after a lost RTSP connection (see start()).
  bool reconnecting = false;
  int attempt = 0;
  SteadyClock::time_point lost_at{};
  std::string last_loss;  // the latest error, for the line when giving up
  GSource* retry_timer = nullptr;
  GSource* attempt_timer = nullptr;
  std::uint64_t reconnects = 0;
  std::chrono::milliseconds last_outage{0};

  // Written by streaming threads.
  std::atomic<std::uint64_t> frames_sent{0};
  std::atomic<std::uint64_t> bytes_sent{0};
  std::atomic<bool> first_frame_posted{false};
  // Main thread only.
  std::uint64_t bytes_at_last_sample = 0;
  double kbps = 0;
  int active_source = 1;
  std::uint64_t switches = 0;

  ~State() { shut_down(); }

  static GstPadProbeReturn stamp_probe(GstPad*, GstPadProbeInfo* info, gpointer data) {
    auto* self = static_cast<State*>(data);
    GstBuffer* buffer = gst_buffer_make_writable(GST_PAD_PROBE_INFO_BUFFER(info));
    GST_PAD_PROBE_INFO_DATA(info) = buffer;
    GstVideoFrame frame;
    if (gst_video_frame_map(&frame, &self->video_info, buffer, GST_MAP_WRITE)) {
      stamp_frame_clock(static_cast<std::uint8_t*>(GST_VIDEO_FRAME_PLANE_DATA(&frame, 0)),
                        GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 0), GST_VIDEO_FRAME_WIDTH(&frame),
                        GST_VIDEO_FRAME_HEIGHT(&frame), wall_clock_ms());
      gst_video_frame_unmap(&frame);
    }
    return GST_PAD_PROBE_OK;
  }

  static GstPadProbeReturn video_out_probe(GstPad*, GstPadProbeInfo* info, gpointer data) {
    auto* self = static_cast<State*>(data);
    self->frames_sent.fetch_add(1, std::memory_order_relaxed);
    self->bytes_sent.fetch_add(gst_buffer_get_size(GST_PAD_PROBE_INFO_BUFFER(info)),
                               std::memory_order_relaxed);
    if (!self->first_frame_posted.exchange(true)) {
      post_application_message(self->pipeline.get(), kFirstFrameMessage);
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

  GSource* add_timer(guint ms, GSourceFunc function) {
    return terminal::add_timer(context, ms, function, this);
  }

  // Stops everything: no streaming thread, bus message or timer reaches this object afterwards.
  void shut_down() {
    drop_source(retry_timer);
    drop_source(attempt_timer);
    drop_source(announce_timer);
    drop_source(stop_timer);
    drop_source(stats_timer);
    if (pipeline) gst_element_set_state(pipeline.get(), GST_STATE_NULL);
    drop_source(bus_watch);
    if (context != nullptr) {
      g_main_context_unref(context);
      context = nullptr;
    }
  }

  void tear_down() {
    drop_source(retry_timer);
    drop_source(attempt_timer);
    drop_source(announce_timer);
    drop_source(stop_timer);
    drop_source(stats_timer);
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

  void report_error(const std::string& text) {
    if (done) return;
    done = true;
    tear_down();
    // The session prints `text` as the error line; this is for the log only.
    spdlog::info("broadcast failed url={} error=\"{}\" step=708", without_token(url), text);
    if (auto on_error = callbacks.on_error) on_error(text);
  }

  void maybe_streaming() {
    if (streaming || done || !record_started || !first_frame_posted.load()) return;
    streaming = true;
    drop_source(announce_timer);
    if (reconnecting) {
      reconnecting = false;
      drop_source(attempt_timer);
      ++reconnects;
      last_outage =
          std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - lost_at);
      spdlog::info("broadcast reconnected url={} outage_ms={} attempts={} step=705",
                   without_token(url), last_outage.count(), attempt);
      if (auto on_reconnected = callbacks.on_reconnected) on_reconnected(last_outage, attempt);
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
      if (reconnecting) {
        gst_element_send_event(
            encoder, gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
      }
    }
    g_free(code);
    g_free(text);
  }

  // An error while connecting, in words a user can act on.
  std::string describe_error(GstMessage* message) const {
    const std::string text = error_text(message);
    const bool from_sink = GST_MESSAGE_SRC(message) == GST_OBJECT(sink);
    if (from_sink && !streaming && text.find("Failed to connect") != std::string::npos) {
      return "media connection refused: " + url + ": " + text;
    }
    if (from_sink && !streaming) return "media server refused the stream: " + url + ": " + text;
    if (from_sink) return "media server: " + text;
    return "broadcast pipeline (" + std::string(GST_OBJECT_NAME(GST_MESSAGE_SRC(message))) +
           "): " + text;
  }

  std::chrono::milliseconds since_loss() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - lost_at);
  }

  // The sink failed after streaming (or during a reconnection attempt): stop, and try again
  // after the back-off unless the server refused the URL or the budget is spent.
  void connection_lost(GstMessage* message) {
    const std::string text = error_text(message);
    if (!reconnecting) {
      reconnecting = true;
      attempt = 0;
      lost_at = SteadyClock::now();
      spdlog::info("broadcast lost its media connection url={} error=\"{}\" step=708",
                   without_token(url), text);
    } else {
      spdlog::info("broadcast reconnect attempt {} failed url={} error=\"{}\"", attempt,
                   without_token(url), text);
    }
    last_loss = text;
    streaming = false;
    record_started = false;
    drop_source(attempt_timer);
    // NULL flushes the bus: nothing more from the broken connection reaches on_bus.
    gst_element_set_state(pipeline.get(), GST_STATE_NULL);
    if (const auto refused = refusal_status(message)) {
      return give_up("the media server refused to take the broadcast back (" + *refused +
                     "): " + without_token(url));
    }
    schedule_attempt();
  }

  void schedule_attempt() {
    const auto delay = ReconnectSchedule(options.reconnect_for).next_delay(attempt, since_loss());
    if (!delay) return give_up_on_budget();
    retry_timer = add_timer(static_cast<guint>(delay->count()), &State::on_retry);
  }

  // A fresh rtspclientsink in place of the one whose connection broke: a used one, started again,
  // announces no stream (its streams went with its request pads). The rest of the pipeline is
  // kept (at NULL here): parsers, encoders, sources and their probes.
  bool replace_sink() {
    GstBin* bin = GST_BIN(pipeline.get());
    GstOwned<GstElement> fresh(gst_element_factory_make("rtspclientsink", nullptr));
    if (!fresh) return false;
    gst_util_set_object_arg(G_OBJECT(fresh.get()), "protocols", "tcp");
    g_object_set(fresh.get(), "latency", 0U, "location", url.c_str(), nullptr);
    std::vector<GstOwned<GstElement>> upstream;
    for (const char* name : {"vparse", "aparse"}) {
      GstOwned<GstElement> element(gst_bin_get_by_name(bin, name));
      if (element) upstream.push_back(std::move(element));
    }
    for (auto& element : upstream)
      gst_element_unlink(element.get(), sink);
    gst_bin_remove(bin, sink);  // the bin held the only reference: the old sink is gone
    sink = fresh.get();
    gst_bin_add(bin, GST_ELEMENT(gst_object_ref(fresh.get())));
    bool linked = true;
    for (auto& element : upstream)
      linked = gst_element_link(element.get(), sink) && linked;
    if (linked) use_mpeg4_generic_for_aac();
    return linked;
  }

  // rtspclientsink would pick MP4A-LATM; the streaming server relays AAC as MPEG4-GENERIC
  // (RFC 3640), as ffmpeg and most RTSP servers do.
  void use_mpeg4_generic_for_aac() {
    if (options.audio == AudioSource::none || options.audio_codec != AudioCodec::aac) return;
    GstOwned<GstElement> aparse(gst_bin_get_by_name(GST_BIN(pipeline.get()), "aparse"));
    GstOwned<GstPad> out(gst_element_get_static_pad(aparse.get(), "src"));
    GstOwned<GstPad> sink_pad(gst_pad_get_peer(out.get()));
    if (sink_pad) {
      g_object_set(sink_pad.get(), "payloader", gst_element_factory_make("rtpmp4gpay", nullptr),
                   nullptr);
    }
  }

  void start_attempt() {
    ++attempt;
    spdlog::info("broadcast reconnect attempt {} url={} after_ms={}", attempt, without_token(url),
                 since_loss().count());
    if (auto on_reconnecting = callbacks.on_reconnecting) on_reconnecting(attempt);
    if (done) return;  // the callback may have ended the broadcast
    const auto timeout = ReconnectSchedule(options.reconnect_for).attempt_timeout(since_loss());
    attempt_timer = add_timer(static_cast<guint>(timeout.count()), &State::on_attempt_timeout);
    first_frame_posted.store(false);
    if (!replace_sink()) return give_up("cannot rebuild the RTSP sink: " + without_token(url));
    gst_element_set_state(pipeline.get(), GST_STATE_PLAYING);
  }

  void give_up_on_budget() {
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%g",
                  static_cast<double>(options.reconnect_for.count()) / 1000.0);
    give_up("lost the media connection and could not get it back within " + std::string(seconds) +
            " s (" + std::to_string(attempt) + " attempts; last: " + last_loss +
            "): " + without_token(url));
  }

  void give_up(const std::string& line) {
    reconnecting = false;
    report_error(line);
  }

  static gboolean on_retry(gpointer data) {
    auto* self = static_cast<State*>(data);
    g_source_unref(self->retry_timer);
    self->retry_timer = nullptr;
    self->start_attempt();
    return G_SOURCE_REMOVE;
  }

  static gboolean on_attempt_timeout(gpointer data) {
    auto* self = static_cast<State*>(data);
    g_source_unref(self->attempt_timer);
    self->attempt_timer = nullptr;
    self->last_loss = "no answer from the media server";
    gst_element_set_state(self->pipeline.get(), GST_STATE_NULL);
    self->schedule_attempt();
    return G_SOURCE_REMOVE;
  }

  bool may_reconnect(GstMessage* message) const {
    // From RECORD on the server has taken the stream (the network side may already have said
    // 200 OK): a loss from then on is a lost connection, not a refused stream.
    return GST_MESSAGE_SRC(message) == GST_OBJECT(sink) &&
           (streaming || record_started || reconnecting) && options.reconnect_for.count() > 0;
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
        if (GST_MESSAGE_SRC(message) == GST_OBJECT(self->sink)) self->on_sink_progress(message);
        break;
      case GST_MESSAGE_WARNING:
        // GStreamer's warnings (a sink noticing its connection broke...) are for the log: what
        // the user must know comes as an error or a reconnect event.
        spdlog::info("broadcast warning url={} warning=\"{}\"", without_token(self->url),
                     error_text(message));
        break;
      case GST_MESSAGE_APPLICATION:
        if (gst_structure_has_name(gst_message_get_structure(message), kFirstFrameMessage)) {
          self->maybe_streaming();
        }
        break;
      default:
        break;
    }
    return G_SOURCE_CONTINUE;
  }

  static gboolean on_announce_timeout(gpointer data) {
    auto* self = static_cast<State*>(data);
    g_source_unref(self->announce_timer);
    self->announce_timer = nullptr;
    self->report_error("media server did not accept the stream within 10 s: " + self->url);
    return G_SOURCE_REMOVE;
  }

  static gboolean on_stop_timeout(gpointer data) {
    auto* self = static_cast<State*>(data);
    g_source_unref(self->stop_timer);
    self->stop_timer = nullptr;
    spdlog::warn("broadcast stop: no EOS within 3 s, stopping anyway url={}", self->url);
    self->finish();
    return G_SOURCE_REMOVE;
  }

  static gboolean on_stats_tick(gpointer data) {
    auto* self = static_cast<State*>(data);
    const std::uint64_t bytes = self->bytes_sent.load();
    self->kbps = static_cast<double>(bytes - self->bytes_at_last_sample) * 8.0 /
                 static_cast<double>(kStatsPeriodMs);
    self->bytes_at_last_sample = bytes;
    return G_SOURCE_CONTINUE;
  }
};

BroadcastPipeline::BroadcastPipeline(std::unique_ptr<State> state) : state_(std::move(state)) {}

BroadcastPipeline::~BroadcastPipeline() = default;

Result<std::unique_ptr<BroadcastPipeline>, std::string> BroadcastPipeline::create(
    const BroadcastOptions& options) {
  std::string error;
  if (!ensure_gstreamer(error)) return fail(error);
  if (options.width < 16 || options.height < 16 || options.width % 2 != 0 ||
      options.height % 2 != 0) {
    return fail("bad picture size " + std::to_string(options.width) + "x" +
                std::to_string(options.height) + ": needs even numbers of at least 16");
  }
  if (options.fps < 1 || options.fps > 120) return fail("bad frame rate: 1 to 120 fps");
  if (options.bitrate_kbps < 16) return fail("bad bitrate: at least 16 kbit/s");
  if (options.keyframe_interval_s < 1) return fail("bad keyframe interval: at least 1 s");
  for (const auto* source : {&options.source, options.source2 ? &*options.source2 : nullptr}) {
    if (source == nullptr) continue;
    std::error_code ec;
    if (source->kind == SourceSpec::Kind::file &&
        !std::filesystem::is_regular_file(source->path, ec)) {
      return fail("source file not found: " + source->path);
    }
    if (source->kind == SourceSpec::Kind::v4l2 && !std::filesystem::exists(source->path, ec)) {
      return fail("v4l2 device not found: " + source->path);
    }
  }
  if (options.audio == AudioSource::file && options.source.kind != SourceSpec::Kind::file) {
    return fail("--audio file takes the sound of a file source; the source is not a file");
  }

  const Description description = describe(options);
  if (auto missing = missing_element(description.elements)) return fail(*missing);

  GError* gerror = nullptr;
  GstElement* element = gst_parse_launch(description.text.c_str(), &gerror);
  if (gerror != nullptr) {
    std::string text = std::string("cannot build the broadcast pipeline: ") + gerror->message;
    g_error_free(gerror);
    if (element != nullptr) gst_object_unref(element);
    return fail(text);
  }
  auto state = std::make_unique<State>();
  state->options = options;
  state->pipeline.reset(GST_ELEMENT(gst_object_ref_sink(element)));
  GstBin* bin = GST_BIN(state->pipeline.get());
  // The pipeline holds these; the State's pointers live no longer than it.
  GstOwned<GstElement> encoder(gst_bin_get_by_name(bin, "encoder"));
  GstOwned<GstElement> sink(gst_bin_get_by_name(bin, "sink"));
  GstOwned<GstElement> selector(gst_bin_get_by_name(bin, "selector"));
  state->encoder = encoder.get();
  state->sink = sink.get();
  state->selector = selector.get();
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
  state->use_mpeg4_generic_for_aac();
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
  g_object_set(s.sink, "location", publish_url.c_str(), nullptr);

  s.bus_watch = add_bus_watch(s.pipeline.get(), s.context, &State::on_bus, &s);
  s.announce_timer = s.add_timer(kAnnounceTimeoutMs, &State::on_announce_timeout);
  s.stats_timer = s.add_timer(kStatsPeriodMs, &State::on_stats_tick);

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
  if (s.reconnecting) return s.finish();
  s.stop_timer = s.add_timer(kStopTimeoutMs, &State::on_stop_timeout);
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
  stats.reconnects = s.reconnects;
  stats.last_outage = s.last_outage;
  return stats;
}

}  // namespace callcast::terminal
