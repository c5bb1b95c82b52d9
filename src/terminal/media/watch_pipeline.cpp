#include "terminal/media/watch_pipeline.hpp"

#include <gst/rtsp/gstrtspmessage.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <string_view>

#include "terminal/media/depacketizer.hpp"
#include "terminal/media/display_outputs.hpp"
#include "terminal/media/error_lines.hpp"
#include "terminal/media/glib_timer_factory.hpp"
#include "terminal/media/gst_elements.hpp"
#include "terminal/media/jitterbuffer_stats.hpp"
#include "terminal/media/rate_meter.hpp"
#include "terminal/media/record_decision.hpp"
#include "terminal/media/repair_requests.hpp"
#include "terminal/media/video_frame_clock.hpp"
#include "terminal/media/watch_branches.hpp"
#include "terminal/media/watch_recorder.hpp"

namespace callcast::terminal {

namespace {

using std::chrono::milliseconds;

constexpr milliseconds kStopTimeout{3'000};
constexpr milliseconds kStatsPeriod{1'000};
// After the first stream's pad, how long the recording waits for the others before it starts
// with what it has (a stream announced in the SDP may never send). Long: the streams are held,
// not lost, while it waits, and the picture does not wait for it; at 1.5 s a loaded machine
// (an asan build in CI) started a recording before its audio had caps, and left the audio out.
constexpr milliseconds kRecordLimit{5'000};
constexpr std::size_t kMaxLatencySamples = 100'000;
constexpr const char* kFirstFrameMessage = "callcast-watch-first-frame";
constexpr const char* kPadMessage = "callcast-watch-pad";
constexpr const char* kNoMorePadsMessage = "callcast-watch-no-more-pads";

enum class Transport { unknown, udp, tcp };

}  // namespace

struct WatchPipeline::State {
  WatchOptions options;
  GstOwned<GstElement> pipeline;
  GstElement* source = nullptr;             // rtspsrc, owned by the pipeline
  std::unique_ptr<WatchRecorder> recorder;  // null without recording
  DisplayOutputs outputs;                   // with display, until the chains take them
  std::unique_ptr<WatchBranches> branches;  // after the recorder and the outputs it uses
  std::string url;

  WatchCallbacks callbacks;
  GMainContext* context = nullptr;
  GSource* bus_watch = nullptr;
  // On the context start() runs on (made there, with the timers).
  std::unique_ptr<GlibTimerFactory> timers;
  std::unique_ptr<core::Timer> stop_timer;
  std::unique_ptr<core::Timer> stats_timer;
  std::unique_ptr<RecordDecision> record_decision;  // with a recorder: when it starts

  bool started = false;
  bool stopping = false;
  std::string
      loss_reason;  // why the stream broke, when it ended by a loss rather than EOS or stop()
  bool done = false;

  // Shared with streaming threads.
  mutable std::mutex mutex;
  JitterbufferStats jitterbuffers;
  std::vector<std::unique_ptr<RepairRequests>> repair_requests;  // guarded by mutex
  std::vector<double> latency_samples;                           // guarded by mutex
  std::set<std::string> announced_media;  // guarded by mutex: streams the SDP offers, taken
  std::atomic<std::uint64_t> frames_decoded{0};
  std::atomic<std::uint64_t> bytes_received{0};
  std::atomic<bool> first_frame_posted{false};
  std::atomic<std::int64_t> first_frame_ns{0};  // steady_clock since epoch
  // How long the picture froze (a broadcaster's reconnect, a stall).
  FreezeDetector freezes;
  std::atomic<int> transport{static_cast<int>(Transport::unknown)};
  std::atomic<bool> no_more_pads{false};

  // Main thread only.
  RateMeter frame_rate{kStatsPeriod};
  RateMeter byte_rate{kStatsPeriod};
  double fps = 0;
  double kbps = 0;
  std::uint64_t packets_received = 0;
  std::uint64_t packets_lost = 0;
  std::uint64_t packets_late = 0;
  bool first_frame_reported = false;

  ~State() { shut_down(); }

  GstBin* bin() const { return GST_BIN(pipeline.get()); }

  // The timers, on the loop of the thread that calls start().
  void make_timers() {
    timers = std::make_unique<GlibTimerFactory>(context);
    stop_timer = timers->create_timer([this] {
      spdlog::warn("watch stop: no EOS within 3 s, stopping anyway url={}", url);
      finish();
    });
    stats_timer = timers->create_timer([this] {
      fps = frame_rate.sample(frames_decoded.load());
      kbps = kbit_per_s(byte_rate.sample(bytes_received.load()));
      sample_jitterbuffers();
      stats_timer->enable(kStatsPeriod);
    });
    if (recorder) {
      record_decision =
          std::make_unique<RecordDecision>(*timers, kRecordLimit, [this] { recorder->decide(); });
    }
  }

  static void disarm(const std::unique_ptr<core::Timer>& timer) {
    if (timer) timer->disable();
  }

  void tear_down() {
    for (const auto* timer : {&stop_timer, &stats_timer})
      disarm(*timer);
    record_decision.reset();
    if (pipeline) gst_element_set_state(pipeline.get(), GST_STATE_NULL);
  }

  void shut_down() {
    tear_down();
    outputs.close();
    drop_source(bus_watch);
    if (context != nullptr) {
      g_main_context_unref(context);
      context = nullptr;
    }
  }

  // ---- streaming threads ----

  // Every stream the SDP offers is taken (rtspsrc asks before any pad exists; the chains are
  // built as their pads appear); those the viewer has a chain for are the ones its recording
  // waits for.
  static gboolean on_select_stream(GstElement*, guint id, GstCaps* caps, gpointer data) {
    auto* self = static_cast<State*>(data);
    gchar* text = gst_caps_to_string(caps);
    spdlog::debug("watch stream offered id={} caps={}", id, text);
    g_free(text);
    const GstStructure* structure = gst_caps_get_structure(caps, 0);
    const char* media = gst_structure_get_string(structure, "media");
    const char* encoding = gst_structure_get_string(structure, "encoding-name");
    if (media != nullptr && encoding != nullptr && WatchBranches::takes(media, encoding)) {
      std::lock_guard lock(self->mutex);
      self->announced_media.insert(media);
    }
    return TRUE;
  }

  static gboolean on_before_send(GstElement*, GstRTSPMessage* message, gpointer data) {
    auto* self = static_cast<State*>(data);
    GstRTSPMethod method;
    const gchar* uri = nullptr;
    GstRTSPVersion version;
    if (gst_rtsp_message_get_type(message) != GST_RTSP_MESSAGE_REQUEST ||
        gst_rtsp_message_parse_request(message, &method, &uri, &version) != GST_RTSP_OK ||
        method != GST_RTSP_SETUP) {
      return TRUE;
    }
    gchar* value = nullptr;
    if (gst_rtsp_message_get_header(message, GST_RTSP_HDR_TRANSPORT, &value, 0) == GST_RTSP_OK &&
        value != nullptr) {
      // "RTP/AVP/TCP;unicast;interleaved=0-1" or "RTP/AVP;unicast;client_port=5000-5001"
      const bool tcp = std::string_view(value).find("/TCP") != std::string_view::npos;
      self->transport.store(static_cast<int>(tcp ? Transport::tcp : Transport::udp));
    }
    return TRUE;
  }

  static void on_new_manager(GstElement*, GstElement* manager, gpointer data) {
    g_signal_connect(manager, "new-jitterbuffer", G_CALLBACK(&State::on_new_jitterbuffer), data);
  }

  static void on_new_jitterbuffer(GstElement* manager, GstElement* jitterbuffer, guint session,
                                  guint, gpointer data) {
    auto* self = static_cast<State*>(data);
    RepairRequests::configure(manager, session);
    self->jitterbuffers.add(jitterbuffer);
    auto requests = RepairRequests::watch(
        jitterbuffer, static_cast<unsigned>(self->options.latency_ms), self->context);
    if (!requests) return;
    std::lock_guard lock(self->mutex);
    self->repair_requests.push_back(std::move(requests));
  }

  static GstPadProbeReturn received_probe(GstPad*, GstPadProbeInfo* info, gpointer data) {
    auto* self = static_cast<State*>(data);
    self->bytes_received.fetch_add(gst_buffer_get_size(GST_PAD_PROBE_INFO_BUFFER(info)),
                                   std::memory_order_relaxed);
    return GST_PAD_PROBE_OK;
  }

  static GstPadProbeReturn decoded_probe(GstPad* pad, GstPadProbeInfo* info, gpointer data) {
    auto* self = static_cast<State*>(data);
    self->frames_decoded.fetch_add(1, std::memory_order_relaxed);
    self->freezes.frame(std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count());
    if (!self->first_frame_posted.exchange(true)) {
      self->first_frame_ns.store(std::chrono::steady_clock::now().time_since_epoch().count());
      post_application_message(self->pipeline.get(), kFirstFrameMessage);
    }
    if (self->options.read_clock) self->read_clock(pad, GST_PAD_PROBE_INFO_BUFFER(info));
    return GST_PAD_PROBE_OK;
  }

  void read_clock(GstPad* pad, GstBuffer* buffer) {
    const auto stamp = read_video_frame_clock(pad, buffer);
    if (!stamp) return;
    const double latency = static_cast<double>(wall_clock_ms() - *stamp);
    std::lock_guard lock(mutex);
    if (latency_samples.size() < kMaxLatencySamples) latency_samples.push_back(latency);
  }

  static void on_pad_added(GstElement*, GstPad* pad, gpointer data) {
    auto* self = static_cast<State*>(data);
    self->branches->link(pad);
    post_application_message(self->pipeline.get(), kPadMessage);
  }

  static void on_no_more_pads(GstElement*, gpointer data) {
    auto* self = static_cast<State*>(data);
    self->no_more_pads.store(true);
    post_application_message(self->pipeline.get(), kNoMorePadsMessage);
  }

  // ---- main thread ----

  // The recording starts when every stream of the SDP has its pad and caps; RecordDecision's
  // limit (or stop()) starts it with whatever is ready by then.
  void update_recording() {
    if (!record_decision) return;
    auto holding = recorder->holding(no_more_pads.load());
    {
      std::lock_guard lock(mutex);
      holding.announced = announced_media.size();
    }
    record_decision->update(holding);
  }

  // Sends EOS into every branch (recordings are finalised), then stops: WatchPipeline::stop().
  void begin_stop();

  void finish() {
    if (done) return;
    done = true;
    tear_down();
    spdlog::info("watch finished url={} frames={} step=714", url, frames_decoded.load());
    if (!loss_reason.empty()) {
      if (auto on_error = callbacks.on_error) on_error("media server: " + loss_reason);
      return;
    }
    if (auto on_finished = callbacks.on_finished) on_finished();
  }

  void report_error(const std::string& text) {
    if (done) return;
    done = true;
    tear_down();
    spdlog::info("watch failed url={} error=\"{}\" step=714", url, text);
    if (auto on_error = callbacks.on_error) on_error(text);
  }

  bool server_closed_the_session(GstMessage* message) const {
    if (GST_MESSAGE_SRC(message) != GST_OBJECT(source) || stopping || done) return false;
    GError* error = nullptr;
    gst_message_parse_warning(message, &error, nullptr);
    const bool read_failed =
        error != nullptr && g_error_matches(error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ);
    if (error != nullptr) g_error_free(error);
    return read_failed && first_frame_reported;
  }

  std::string describe_error(GstMessage* message) const {
    return watch_error_line(error_text(message), GST_MESSAGE_SRC(message) == GST_OBJECT(source),
                            GST_OBJECT_NAME(GST_MESSAGE_SRC(message)), first_frame_reported, url);
  }

  static gboolean on_bus(GstBus*, GstMessage* message, gpointer data) {
    auto* self = static_cast<State*>(data);
    switch (GST_MESSAGE_TYPE(message)) {
      case GST_MESSAGE_ERROR:
        if (self->stopping) {
          self->finish();
        } else {
          self->report_error(self->describe_error(message));
        }
        break;
      case GST_MESSAGE_EOS:
        self->finish();
        break;
      case GST_MESSAGE_WARNING:
        spdlog::info("watch warning url={} warning=\"{}\"", self->url, error_text(message));
        if (self->server_closed_the_session(message)) {
          // The stream is over (the server ended the session, or went away) even when no RTCP BYE
          // got through; rtspsrc would only keep warning. The recording is finished (EOS), then
          // the loss is reported as an error: the network side's BYE, if any, says why.
          spdlog::info("watch: the server closed the RTSP connection url={}", self->url);
          self->loss_reason = "the server closed the RTSP connection";
          self->begin_stop();
        }
        break;
      case GST_MESSAGE_APPLICATION: {
        const GstStructure* s = gst_message_get_structure(message);
        if (gst_structure_has_name(s, kFirstFrameMessage) && !self->first_frame_reported) {
          self->first_frame_reported = true;
          spdlog::info("watch first frame url={} step=714", self->url);
          if (auto on_first_frame = self->callbacks.on_first_frame) on_first_frame();
        } else if (gst_structure_has_name(s, kNoMorePadsMessage) ||
                   gst_structure_has_name(s, kPadMessage)) {
          if (!self->done) self->update_recording();
        }
        break;
      }
      default:
        break;
    }
    return G_SOURCE_CONTINUE;
  }

  void sample_jitterbuffers() {
    const auto counts = jitterbuffers.sample();
    packets_received = counts.received;
    packets_lost = counts.lost;
    packets_late = counts.late;
  }
};

WatchPipeline::WatchPipeline(std::unique_ptr<State> state) : state_(std::move(state)) {}

WatchPipeline::~WatchPipeline() = default;

Result<std::unique_ptr<WatchPipeline>, std::string> WatchPipeline::create(
    const WatchOptions& options) {
  std::string error;
  if (!ensure_gstreamer(error)) return fail(error);
  using Container = WatchRecorder::Container;
  const Container container = WatchRecorder::container_of(options.record_path);
  if (!options.record_path.empty() && container == Container::none) {
    return fail("recording must end in .mp4 or .mkv: " + options.record_path);
  }
  if (options.latency_ms < 0) return fail("bad latency: must be >= 0 ms");
  std::vector<std::string> elements{"rtspsrc", "rtph264depay", "h264parse",  "avdec_h264",
                                    "queue",   "tee",          "capsfilter", "fakesink"};
  if (options.display) elements.insert(elements.end(), {"videoconvert", "autovideosink"});
  if (container == Container::mp4) elements.push_back("mp4mux");
  if (container == Container::mkv) elements.push_back("matroskamux");
  if (container != Container::none) elements.push_back("filesink");
  if (auto missing = missing_element(elements)) return fail(*missing);
  // Every chain a stream may need is loaded here, before the call: loaded by the streaming thread
  // at the first packet of its stream, gst-libav's plugin held up the first picture for 130 to
  // 350 ms on a loaded machine (and the audio chain, built under the same lock, with it).
  const auto loading = std::chrono::steady_clock::now();
  elements.insert(elements.end(), {"rtpbin", "udpsrc", "udpsink"});
  for (const Depacketizer& d : Depacketizer::all()) {
    elements.insert(elements.end(), {d.depay, d.parse});
    if (options.display) elements.push_back(d.decoder);
  }
  load_elements(elements);
  spdlog::debug(
      "watch elements loaded in {} ms",
      std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - loading).count());

  auto state = std::make_unique<State>();
  state->options = options;
  if (options.display) {
    auto outputs = DisplayOutputs::open();
    if (!outputs.ok()) return fail(outputs.error());
    state->outputs = std::move(*outputs);
  }
  state->pipeline.reset(GST_ELEMENT(gst_object_ref_sink(gst_pipeline_new("watch"))));
  state->source = gst_element_factory_make("rtspsrc", "source");
  gst_bin_add(GST_BIN(state->pipeline.get()), state->source);
  const char* protocols = options.transport == RtpTransport::udp   ? "udp"
                          : options.transport == RtpTransport::tcp ? "tcp"
                                                                   : "udp+tcp";
  gst_util_set_object_arg(G_OBJECT(state->source), "protocols", protocols);
  g_object_set(state->source, "latency", static_cast<guint>(options.latency_ms),
               "do-retransmission", TRUE, "timeout",
               static_cast<guint64>(options.udp_timeout.count()) * 1000u, nullptr);
  g_signal_connect(state->source, "pad-added", G_CALLBACK(&State::on_pad_added), state.get());
  g_signal_connect(state->source, "no-more-pads", G_CALLBACK(&State::on_no_more_pads), state.get());
  g_signal_connect(state->source, "new-manager", G_CALLBACK(&State::on_new_manager), state.get());
  g_signal_connect(state->source, "before-send", G_CALLBACK(&State::on_before_send), state.get());
  g_signal_connect(state->source, "select-stream", G_CALLBACK(&State::on_select_stream),
                   state.get());

  if (container != Container::none) {
    auto recorder = WatchRecorder::create(state->pipeline.get(), options.record_path, kPadMessage);
    if (!recorder.ok()) return fail(recorder.error());
    state->recorder = std::move(*recorder);
  }
  state->branches = std::make_unique<WatchBranches>(
      state->bin(), options.display, state->outputs, state->recorder.get(),
      WatchBranches::Probes{&State::received_probe, &State::decoded_probe, state.get()});
  return std::unique_ptr<WatchPipeline>(new WatchPipeline(std::move(state)));
}

void WatchPipeline::start(const std::string& play_url, WatchCallbacks callbacks) {
  State& s = *state_;
  if (s.started) return;
  s.started = true;
  s.url = play_url;
  s.callbacks = std::move(callbacks);
  s.context = g_main_context_ref_thread_default();
  g_object_set(s.source, "location", play_url.c_str(), nullptr);
  s.bus_watch = add_bus_watch(s.pipeline.get(), s.context, &State::on_bus, &s);
  s.make_timers();
  s.stats_timer->enable(kStatsPeriod);
  spdlog::info("watch starting url={} latency_ms={} display={} record={} step=714", s.url,
               s.options.latency_ms, s.options.display, s.options.record_path);
  gst_element_set_state(s.pipeline.get(), GST_STATE_PLAYING);
}

void WatchPipeline::State::begin_stop() {
  State& s = *this;
  if (!s.started || s.done || s.stopping) return;
  s.stopping = true;
  spdlog::info("watch stopping url={}", s.url);
  // A recording still waiting for its streams gets what is known, so EOS reaches the file.
  if (s.record_decision) s.record_decision->force();
  s.stop_timer->enable(kStopTimeout);
  // EOS into every chain, after rtspsrc (see WatchBranches::send_eos).
  s.branches->send_eos();
}

void WatchPipeline::stop() {
  state_->begin_stop();
}

WatchStats WatchPipeline::stats() const {
  const State& s = *state_;
  WatchStats stats;
  if (const auto ns = s.first_frame_ns.load(); ns != 0) {
    stats.first_frame =
        std::chrono::steady_clock::time_point(std::chrono::steady_clock::duration(ns));
  }
  stats.frames_decoded = s.frames_decoded.load();
  stats.max_frame_gap = s.freezes.max_gap();
  stats.fps = s.fps;
  stats.kbps = s.kbps;
  stats.packets_received = s.packets_received;
  stats.packets_lost = s.packets_lost;
  stats.packets_late = s.packets_late;
  switch (static_cast<Transport>(s.transport.load())) {
    case Transport::udp:
      stats.transport = "udp";
      break;
    case Transport::tcp:
      stats.transport = "tcp";
      break;
    case Transport::unknown:
      break;
  }
  {
    std::lock_guard lock(s.mutex);
    stats.latency_samples_ms = s.latency_samples;
  }
  stats.freezes = s.freezes.freezes();
  if (!stats.latency_samples_ms.empty()) stats.latency_ms_last = stats.latency_samples_ms.back();
  stats.has_audio = s.branches->has_audio();
  return stats;
}

}  // namespace callcast::terminal
