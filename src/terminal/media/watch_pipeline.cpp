#include "terminal/media/watch_pipeline.hpp"

#include <gst/rtsp/gstrtspmessage.h>
#include <gst/video/video.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string_view>

#include "terminal/media/frame_clock.hpp"
#include "terminal/media/gst_elements.hpp"

namespace callcast::terminal {

namespace {

constexpr guint kStopTimeoutMs = 3'000;
constexpr guint kStatsPeriodMs = 1'000;
// After the first stream's pad, how long the recording waits for the others before it starts
// with what it has (a stream announced in the SDP may never send).
constexpr guint kRecordDecisionMs = 1'500;
constexpr std::size_t kMaxLatencySamples = 100'000;
constexpr std::size_t kMaxFreezes = 1'000;
constexpr const char* kFirstFrameMessage = "callcast-watch-first-frame";
constexpr const char* kPadMessage = "callcast-watch-pad";
constexpr const char* kNoMorePadsMessage = "callcast-watch-no-more-pads";

enum class Transport { unknown, udp, tcp };

enum class Container { none, mp4, mkv };

Container container_of(const std::string& path) {
  if (path.empty()) return Container::none;
  const std::string extension = std::filesystem::path(path).extension().string();
  if (extension == ".mp4") return Container::mp4;
  if (extension == ".mkv") return Container::mkv;
  return Container::none;
}

GstElement* make(const char* factory) {
  return gst_element_factory_make(factory, nullptr);
}

bool available(const char* factory) {
  return !missing_element({factory}).has_value();
}

// The depayloader and parser for one RTP stream's caps; nullptr names when not supported.
struct Depacketizer {
  const char* depay = nullptr;
  const char* parse = nullptr;
  const char* decoder = nullptr;  // for display
};

Depacketizer depacketizer_for(const std::string& media, const std::string& encoding) {
  if (media == "video" && encoding == "H264") return {"rtph264depay", "h264parse", "avdec_h264"};
  if (media == "audio" && encoding == "MPEG4-GENERIC") {
    return {"rtpmp4gdepay", "aacparse", "avdec_aac"};
  }
  if (media == "audio" && encoding == "MP4A-LATM") return {"rtpmp4adepay", "aacparse", "avdec_aac"};
  if (media == "audio" && encoding == "OPUS") return {"rtpopusdepay", "opusparse", "opusdec"};
  return {};
}

}  // namespace

struct WatchPipeline::State {
  // One received stream: its fixed chain, and the entry the rtspsrc pad links to (again after a
  // reconnect over TCP, which replaces rtspsrc's pads).
  struct Branch {
    std::string media;                   // "video" or "audio"
    GstElement* entry = nullptr;         // first queue; owned by the pipeline
    GstElement* record_queue = nullptr;  // null when not recorded
    gulong record_block = 0;
  };

  WatchOptions options;
  Container container = Container::none;
  GstOwned<GstElement> pipeline;
  GstElement* source = nullptr;  // rtspsrc, owned by the pipeline
  GstElement* mux = nullptr;     // owned by the pipeline; null without recording
  // With display, the sinks opened at create() (READY), taken by the chains: opening them in a
  // streaming thread would stall the stream for as long as device probing takes.
  GstOwned<GstElement> video_sink_;
  GstOwned<GstElement> audio_sink_;
  std::string url;

  WatchCallbacks callbacks;
  GMainContext* context = nullptr;
  GSource* bus_watch = nullptr;
  GSource* stop_timer = nullptr;
  GSource* stats_timer = nullptr;
  GSource* decision_timer = nullptr;

  bool started = false;
  bool stopping = false;
  std::string
      loss_reason;  // why the stream broke, when it ended by a loss rather than EOS or stop()
  bool done = false;

  // Shared with streaming threads.
  mutable std::mutex mutex;
  std::vector<Branch> branches;                     // guarded by mutex
  bool record_decided = false;                      // guarded by mutex
  std::vector<GstOwned<GstElement>> jitterbuffers;  // guarded by mutex
  std::vector<double> latency_samples;              // guarded by mutex
  std::vector<Freeze> freezes;                      // guarded by mutex
  std::atomic<std::int64_t> last_frame_unix_ns{0};
  std::atomic<std::uint64_t> frames_decoded{0};
  std::atomic<std::uint64_t> bytes_received{0};
  std::atomic<bool> first_frame_posted{false};
  std::atomic<std::int64_t> first_frame_ns{0};  // steady_clock since epoch
  // The longest wall-clock gap between two decoded video frames: how long the picture froze
  // (a broadcaster's reconnect, a stall). Written by the decoder's streaming thread only.
  std::atomic<std::int64_t> max_frame_gap_ns{0};
  std::atomic<int> transport{static_cast<int>(Transport::unknown)};
  std::atomic<bool> has_audio{false};
  std::atomic<bool> no_more_pads{false};

  // Main thread only.
  std::uint64_t frames_at_last_sample = 0;
  std::uint64_t bytes_at_last_sample = 0;
  double fps = 0;
  double kbps = 0;
  std::uint64_t packets_received = 0;
  std::uint64_t packets_lost = 0;
  std::uint64_t packets_late = 0;
  bool first_frame_reported = false;

  ~State() { shut_down(); }

  GSource* add_timer(guint ms, GSourceFunc function) {
    return terminal::add_timer(context, ms, function, this);
  }

  void tear_down() {
    drop_source(stop_timer);
    drop_source(stats_timer);
    drop_source(decision_timer);
    if (pipeline) gst_element_set_state(pipeline.get(), GST_STATE_NULL);
  }

  void shut_down() {
    tear_down();
    for (auto* prepared : {&video_sink_, &audio_sink_}) {
      if (*prepared) gst_element_set_state(prepared->get(), GST_STATE_NULL);
    }
    drop_source(bus_watch);
    if (context != nullptr) {
      g_main_context_unref(context);
      context = nullptr;
    }
  }

  // ---- streaming threads ----

  // Every stream the SDP offers is taken; the chains are built as their pads appear.
  static gboolean on_select_stream(GstElement*, guint id, GstCaps* caps, gpointer) {
    gchar* text = gst_caps_to_string(caps);
    spdlog::debug("watch stream offered id={} caps={}", id, text);
    g_free(text);
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

  static void on_new_jitterbuffer(GstElement*, GstElement* jitterbuffer, guint, guint,
                                  gpointer data) {
    auto* self = static_cast<State*>(data);
    std::lock_guard lock(self->mutex);
    // Kept alive past a reconnect, so its counts stay in the totals.
    self->jitterbuffers.emplace_back(GST_ELEMENT(gst_object_ref(jitterbuffer)));
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
    self->note_frame_time();
    if (!self->first_frame_posted.exchange(true)) {
      self->first_frame_ns.store(std::chrono::steady_clock::now().time_since_epoch().count());
      post_application_message(self->pipeline.get(), kFirstFrameMessage);
    }
    if (self->options.read_clock) self->read_clock(pad, GST_PAD_PROBE_INFO_BUFFER(info));
    return GST_PAD_PROBE_OK;
  }

  // Streaming thread: one decoded frame now; a pause since the previous one is a freeze.
  void note_frame_time() {
    const std::int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
    const std::int64_t last = last_frame_unix_ns.exchange(now);
    if (last != 0 && now - last > max_frame_gap_ns.load(std::memory_order_relaxed)) {
      max_frame_gap_ns.store(now - last, std::memory_order_relaxed);
    }
    const std::int64_t threshold_ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(kFreezeThreshold).count();
    if (last == 0 || now - last < threshold_ns) return;
    std::lock_guard lock(mutex);
    if (freezes.size() < kMaxFreezes) {
      freezes.push_back({last / 1'000'000, (now - last) / 1'000'000});
    }
  }

  void read_clock(GstPad* pad, GstBuffer* buffer) {
    GstCaps* caps = gst_pad_get_current_caps(pad);
    if (caps == nullptr) return;
    GstVideoInfo info;
    const bool ok = gst_video_info_from_caps(&info, caps);
    gst_caps_unref(caps);
    if (!ok) return;
    GstVideoFrame frame;
    if (!gst_video_frame_map(&frame, &info, buffer, GST_MAP_READ)) return;
    const auto stamp =
        read_frame_clock(static_cast<const std::uint8_t*>(GST_VIDEO_FRAME_PLANE_DATA(&frame, 0)),
                         GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 0), GST_VIDEO_FRAME_WIDTH(&frame),
                         GST_VIDEO_FRAME_HEIGHT(&frame));
    gst_video_frame_unmap(&frame);
    if (!stamp) return;
    const double latency = static_cast<double>(wall_clock_ms() - *stamp);
    std::lock_guard lock(mutex);
    if (latency_samples.size() < kMaxLatencySamples) latency_samples.push_back(latency);
  }

  // Adds elements to the pipeline, links them in order and brings them to its state.
  bool add_chain(const std::vector<GstElement*>& chain) {
    for (GstElement* element : chain)
      gst_bin_add(GST_BIN(pipeline.get()), element);
    for (std::size_t i = 0; i + 1 < chain.size(); ++i) {
      if (!gst_element_link(chain[i], chain[i + 1])) return false;
    }
    for (GstElement* element : chain)
      gst_element_sync_state_with_parent(element);
    return true;
  }

  // Builds the chain of a newly announced stream (under `mutex`); the entry it links to, or
  // nullptr when the stream is dropped.
  GstElement* build_branch(const std::string& media, const std::string& encoding) {
    const Depacketizer d = depacketizer_for(media, encoding);
    if (d.depay == nullptr || !available(d.depay) || !available(d.parse)) {
      spdlog::warn("watch drops a stream it cannot depacketize media={} encoding={}", media,
                   encoding);
      GstElement* sink = make("fakesink");
      add_chain({sink});
      branches.push_back({media, sink, nullptr, 0});
      return sink;
    }
    Branch branch{media, make("queue"), nullptr, 0};
    GstElement* depay = make(d.depay);
    GstElement* parse = make(d.parse);
    GstElement* tee = make("tee");
    std::vector<GstElement*> chain{branch.entry, depay, parse};
    if (media == "video") {
      // Recordings need AVC with codec_data; the decoder takes it too.
      GstElement* filter = make("capsfilter");
      GstCaps* caps = gst_caps_from_string("video/x-h264,stream-format=avc,alignment=au");
      g_object_set(filter, "caps", caps, nullptr);
      gst_caps_unref(caps);
      chain.push_back(filter);
    }
    chain.push_back(tee);
    if (!add_chain(chain)) return nullptr;
    GstOwned<GstPad> entry_pad(gst_element_get_static_pad(branch.entry, "sink"));
    gst_pad_add_probe(entry_pad.get(), GST_PAD_PROBE_TYPE_BUFFER, &State::received_probe, this,
                      nullptr);

    // Decoding (always for video, so the counters and the clock are known; audio only to play).
    std::vector<GstElement*> decode{make("queue")};
    bool took_audio_sink = false;
    if (media == "video") {
      GstElement* decoder = make(d.decoder);
      decode.push_back(decoder);
      if (options.display) {
        decode.push_back(make("videoconvert"));
        decode.push_back(video_sink_.get());
      } else {
        GstElement* sink = make("fakesink");
        g_object_set(sink, "sync", FALSE, nullptr);
        decode.push_back(sink);
      }
      GstOwned<GstPad> decoded(gst_element_get_static_pad(decoder, "src"));
      gst_pad_add_probe(decoded.get(), GST_PAD_PROBE_TYPE_BUFFER, &State::decoded_probe, this,
                        nullptr);
    } else {
      has_audio.store(true);
      GstElement* audio_sink = available(d.decoder) ? audio_sink_.get() : nullptr;
      if (audio_sink != nullptr) {
        decode.insert(decode.end(),
                      {make(d.decoder), make("audioconvert"), make("audioresample"), audio_sink});
        took_audio_sink = true;
      } else {
        GstElement* sink = make("fakesink");
        g_object_set(sink, "sync", FALSE, nullptr);
        decode.push_back(sink);
      }
    }
    const bool linked = add_chain(decode) && gst_element_link(tee, decode.front());
    // The bin holds the prepared sinks now.
    if (media == "video") video_sink_.reset();
    if (took_audio_sink) audio_sink_.reset();
    if (!linked) return nullptr;

    if (mux != nullptr && !record_decided) {
      // Held until every stream is known: a muxer cannot take a new stream once it has started.
      branch.record_queue = make("queue");
      g_object_set(branch.record_queue, "max-size-buffers", 0u, "max-size-bytes", 0u,
                   "max-size-time", guint64{0}, nullptr);
      add_chain({branch.record_queue});
      gst_element_link(tee, branch.record_queue);
      GstOwned<GstPad> out(gst_element_get_static_pad(branch.record_queue, "src"));
      branch.record_block = gst_pad_add_probe(
          out.get(), GST_PAD_PROBE_TYPE_BLOCK_DOWNSTREAM,
          [](GstPad*, GstPadProbeInfo*, gpointer) { return GST_PAD_PROBE_OK; }, nullptr, nullptr);
      // A stream goes to the muxer only once its caps are known (a muxer writes its header
      // from the caps of every stream): each caps event re-checks.
      GstOwned<GstPad> in(gst_element_get_static_pad(branch.record_queue, "sink"));
      gst_pad_add_probe(in.get(), GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, &State::record_caps_probe,
                        this, nullptr);
    }
    branches.push_back(branch);
    return branch.entry;
  }

  static GstPadProbeReturn record_caps_probe(GstPad*, GstPadProbeInfo* info, gpointer data) {
    if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) == GST_EVENT_CAPS) {
      post_application_message(static_cast<State*>(data)->pipeline.get(), kPadMessage);
    }
    return GST_PAD_PROBE_OK;
  }

  static void on_pad_added(GstElement*, GstPad* pad, gpointer data) {
    auto* self = static_cast<State*>(data);
    GstCaps* caps = gst_pad_get_current_caps(pad);
    if (caps == nullptr) caps = gst_pad_query_caps(pad, nullptr);
    const GstStructure* structure = gst_caps_get_structure(caps, 0);
    const char* media = gst_structure_get_string(structure, "media");
    const char* encoding = gst_structure_get_string(structure, "encoding-name");
    const std::string media_text = media != nullptr ? media : "";
    const std::string encoding_text = encoding != nullptr ? encoding : "";
    gst_caps_unref(caps);

    GstElement* entry = nullptr;
    {
      std::lock_guard lock(self->mutex);
      for (const Branch& branch : self->branches) {
        if (branch.media == media_text) entry = branch.entry;
      }
      if (entry == nullptr) entry = self->build_branch(media_text, encoding_text);
    }
    if (entry == nullptr) {
      spdlog::warn("watch cannot build the chain media={} encoding={}", media_text, encoding_text);
      return;
    }
    GstOwned<GstPad> sink_pad(gst_element_get_static_pad(entry, "sink"));
    if (gst_pad_is_linked(sink_pad.get())) {
      // A second stream of the same medium: ignored.
      GstElement* sink = make("fakesink");
      gst_bin_add(GST_BIN(self->pipeline.get()), sink);
      gst_element_sync_state_with_parent(sink);
      sink_pad.reset(gst_element_get_static_pad(sink, "sink"));
    }
    if (gst_pad_link(pad, sink_pad.get()) != GST_PAD_LINK_OK) {
      spdlog::warn("watch cannot link the stream media={} encoding={}", media_text, encoding_text);
    }
    spdlog::debug("watch stream linked media={} encoding={}", media_text, encoding_text);
    post_application_message(self->pipeline.get(), kPadMessage);
  }

  static void on_no_more_pads(GstElement*, gpointer data) {
    auto* self = static_cast<State*>(data);
    self->no_more_pads.store(true);
    post_application_message(self->pipeline.get(), kNoMorePadsMessage);
  }

  // ---- main thread ----

  static bool has_caps(GstElement* element) {
    GstOwned<GstPad> in(gst_element_get_static_pad(element, "sink"));
    return gst_pad_has_current_caps(in.get());
  }

  // The recording starts when every stream of the SDP has its pad and caps; the decision timer
  // (or stop()) starts it with whatever is ready by then.
  void maybe_decide_recording() {
    {
      std::lock_guard lock(mutex);
      if (record_decided || mux == nullptr || !no_more_pads.load()) return;
      for (const Branch& branch : branches) {
        if (branch.record_queue != nullptr && !has_caps(branch.record_queue)) return;
      }
    }
    decide_recording();
  }

  // Gives each stream with caps its muxer pad and lets the recording start; a stream without
  // caps yet is left out of the file (its queue drains into a fakesink).
  void decide_recording() {
    drop_source(decision_timer);
    std::lock_guard lock(mutex);
    if (record_decided || mux == nullptr) return;
    record_decided = true;
    int streams = 0;
    for (Branch& branch : branches) {
      if (branch.record_queue == nullptr) continue;
      GstOwned<GstPad> out(gst_element_get_static_pad(branch.record_queue, "src"));
      GstPad* target = nullptr;
      if (has_caps(branch.record_queue)) {
        target =
            gst_element_request_pad_simple(mux, branch.media == "video" ? "video_%u" : "audio_%u");
      }
      if (target != nullptr && gst_pad_link(out.get(), target) == GST_PAD_LINK_OK) {
        ++streams;
      } else {
        spdlog::warn("watch does not record the {} stream (no caps in time)", branch.media);
        if (target != nullptr) gst_object_unref(target);
        GstElement* sink = make("fakesink");
        g_object_set(sink, "sync", FALSE, nullptr);
        add_chain({sink});
        target = gst_element_get_static_pad(sink, "sink");
        gst_pad_link(out.get(), target);
      }
      gst_object_unref(target);
      // Back to a bounded queue once the muxer drains it.
      g_object_set(branch.record_queue, "max-size-time", guint64{3} * GST_SECOND, nullptr);
    }
    // Every muxer pad exists before any stream flows: released one by one, the first stream
    // made the muxer write its header alone ("caps arrived late" for the next one).
    for (Branch& branch : branches) {
      if (branch.record_queue == nullptr || branch.record_block == 0) continue;
      GstOwned<GstPad> out(gst_element_get_static_pad(branch.record_queue, "src"));
      gst_pad_remove_probe(out.get(), branch.record_block);
      branch.record_block = 0;
    }
    spdlog::info("watch recording path={} streams={}", options.record_path, streams);
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
    const std::string text = error_text(message);
    if (GST_MESSAGE_SRC(message) != GST_OBJECT(source)) {
      return "watch pipeline (" + std::string(GST_OBJECT_NAME(GST_MESSAGE_SRC(message))) +
             "): " + text;
    }
    if (text.find("Failed to connect") != std::string::npos) {
      return "media connection refused: " + url + ": " + text;
    }
    if (!first_frame_reported) return "media server refused the play URL " + url + ": " + text;
    return "media server: " + text;
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
          self->maybe_decide_recording();
          if (self->decision_timer == nullptr && self->mux != nullptr && !self->done) {
            std::unique_lock lock(self->mutex);
            if (!self->record_decided) {
              lock.unlock();
              self->decision_timer =
                  self->add_timer(kRecordDecisionMs, &State::on_decision_timeout);
            }
          }
        }
        break;
      }
      default:
        break;
    }
    return G_SOURCE_CONTINUE;
  }

  static gboolean on_decision_timeout(gpointer data) {
    auto* self = static_cast<State*>(data);
    g_source_unref(self->decision_timer);
    self->decision_timer = nullptr;
    self->decide_recording();
    return G_SOURCE_REMOVE;
  }

  static gboolean on_stop_timeout(gpointer data) {
    auto* self = static_cast<State*>(data);
    g_source_unref(self->stop_timer);
    self->stop_timer = nullptr;
    spdlog::warn("watch stop: no EOS within 3 s, stopping anyway url={}", self->url);
    self->finish();
    return G_SOURCE_REMOVE;
  }

  static gboolean on_stats_tick(gpointer data) {
    auto* self = static_cast<State*>(data);
    const std::uint64_t frames = self->frames_decoded.load();
    const std::uint64_t bytes = self->bytes_received.load();
    const double seconds = kStatsPeriodMs / 1000.0;
    self->fps = static_cast<double>(frames - self->frames_at_last_sample) / seconds;
    self->kbps = static_cast<double>(bytes - self->bytes_at_last_sample) * 8.0 / 1000.0 / seconds;
    self->frames_at_last_sample = frames;
    self->bytes_at_last_sample = bytes;
    self->sample_jitterbuffers();
    return G_SOURCE_CONTINUE;
  }

  void sample_jitterbuffers() {
    std::uint64_t received = 0;
    std::uint64_t lost = 0;
    std::uint64_t late = 0;
    std::lock_guard lock(mutex);
    for (const auto& jitterbuffer : jitterbuffers) {
      GstStructure* stats = nullptr;
      g_object_get(jitterbuffer.get(), "stats", &stats, nullptr);
      if (stats == nullptr) continue;
      guint64 value = 0;
      if (gst_structure_get_uint64(stats, "num-pushed", &value)) received += value;
      if (gst_structure_get_uint64(stats, "num-lost", &value)) lost += value;
      if (gst_structure_get_uint64(stats, "num-late", &value)) late += value;
      gst_structure_free(stats);
    }
    packets_received = received;
    packets_lost = lost;
    packets_late = late;
  }
};

namespace {

// autoaudiosink when it opens a real device (it falls back to a fake sink when none works, as in
// a container); already READY, so that the device probing (seconds with an absent sound
// server) happens here and not in a streaming thread, where it would make the video late.
GstElement* working_audio_sink() {
  if (!available("autoaudiosink")) return nullptr;
  auto* sink = GST_ELEMENT(gst_object_ref_sink(gst_element_factory_make("autoaudiosink", nullptr)));
  bool real = false;
  if (gst_element_set_state(sink, GST_STATE_READY) == GST_STATE_CHANGE_SUCCESS) {
    GstIterator* children = gst_bin_iterate_elements(GST_BIN(sink));
    GValue item = G_VALUE_INIT;
    while (gst_iterator_next(children, &item) == GST_ITERATOR_OK) {
      GstElementFactory* factory = gst_element_get_factory(GST_ELEMENT(g_value_get_object(&item)));
      const char* name = factory != nullptr ? GST_OBJECT_NAME(factory) : "";
      real = real || std::string_view(name) != "fakesink";
      g_value_reset(&item);
    }
    g_value_unset(&item);
    gst_iterator_free(children);
  }
  if (real) return sink;
  spdlog::info("watch: no working audio output, the sound is not played");
  gst_element_set_state(sink, GST_STATE_NULL);
  gst_object_unref(sink);
  return nullptr;
}

}  // namespace

WatchPipeline::WatchPipeline(std::unique_ptr<State> state) : state_(std::move(state)) {}

WatchPipeline::~WatchPipeline() = default;

Result<std::unique_ptr<WatchPipeline>, std::string> WatchPipeline::create(
    const WatchOptions& options) {
  std::string error;
  if (!ensure_gstreamer(error)) return fail(error);
  const Container container = container_of(options.record_path);
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

  auto state = std::make_unique<State>();
  state->options = options;
  state->container = container;
  if (options.display) {
    // Without a display server autovideosink falls through to sinks that crash when probed
    // (dfbvideosink): refuse before trying.
    if (std::getenv("DISPLAY") == nullptr && std::getenv("WAYLAND_DISPLAY") == nullptr) {
      return fail("cannot show the video: no display (DISPLAY is not set)");
    }
    state->video_sink_.reset(
        GST_ELEMENT(gst_object_ref_sink(gst_element_factory_make("autovideosink", nullptr))));
    // Outside a pipeline the sink has no bus; lend it one so that its reason can be told.
    GstOwned<GstBus> probe_bus(gst_bus_new());
    gst_element_set_bus(state->video_sink_.get(), probe_bus.get());
    const bool opened = gst_element_set_state(state->video_sink_.get(), GST_STATE_READY) !=
                        GST_STATE_CHANGE_FAILURE;
    if (!opened) {
      gst_element_set_state(state->video_sink_.get(), GST_STATE_NULL);
      const char* display = std::getenv("DISPLAY");
      std::string reason;
      if (GstMessage* message = gst_bus_pop_filtered(probe_bus.get(), GST_MESSAGE_ERROR)) {
        reason = ": " + error_text(message);
        gst_message_unref(message);
      }
      return fail(std::string("cannot open a video output (DISPLAY=") +
                  (display != nullptr ? display : "unset") + ")" + reason);
    }
    gst_element_set_bus(state->video_sink_.get(), nullptr);
    state->audio_sink_.reset(working_audio_sink());
  }
  state->pipeline.reset(GST_ELEMENT(gst_object_ref_sink(gst_pipeline_new("watch"))));
  state->source = gst_element_factory_make("rtspsrc", "source");
  gst_bin_add(GST_BIN(state->pipeline.get()), state->source);
  gst_util_set_object_arg(G_OBJECT(state->source), "protocols", "udp+tcp");
  g_object_set(state->source, "latency", static_cast<guint>(options.latency_ms),
               "do-retransmission", TRUE, "timeout",
               static_cast<guint64>(options.udp_timeout.count()) * 1000u, nullptr);
  g_signal_connect(state->source, "pad-added", G_CALLBACK(&State::on_pad_added), state.get());
  g_signal_connect(state->source, "no-more-pads", G_CALLBACK(&State::on_no_more_pads), state.get());
  g_signal_connect(state->source, "new-manager", G_CALLBACK(&State::on_new_manager), state.get());
  g_signal_connect(state->source, "before-send", G_CALLBACK(&State::on_before_send), state.get());
  g_signal_connect(state->source, "select-stream", G_CALLBACK(&State::on_select_stream), nullptr);

  if (container != Container::none) {
    state->mux =
        gst_element_factory_make(container == Container::mp4 ? "mp4mux" : "matroskamux", "mux");
    if (container == Container::mp4) {
      // Fragmented: what was written stays readable even if the process dies before EOS.
      g_object_set(state->mux, "fragment-duration", 1000u, nullptr);
    }
    GstElement* file = gst_element_factory_make("filesink", "file");
    g_object_set(file, "location", options.record_path.c_str(), nullptr);
    gst_bin_add_many(GST_BIN(state->pipeline.get()), state->mux, file, nullptr);
    if (!gst_element_link(state->mux, file)) return fail("cannot link the recording muxer");
  }
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
  s.stats_timer = s.add_timer(kStatsPeriodMs, &State::on_stats_tick);
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
  s.decide_recording();
  s.stop_timer = s.add_timer(kStopTimeoutMs, &State::on_stop_timeout);
  // EOS enters each branch after rtspsrc, not through it: sent to the pipeline it would go to
  // rtspsrc's udpsrc, which takes it only once a packet wakes its streaming thread (never, when
  // the broadcast has ended), holding the pipeline's state lock all along, so that the final
  // set_state(NULL) deadlocked. The entries are queues; a pool thread sends it, never the loop.
  std::vector<GstElement*> entries;
  {
    std::lock_guard lock(s.mutex);
    for (const State::Branch& branch : s.branches)
      entries.push_back(branch.entry);
  }
  for (GstElement* entry : entries) {
    gst_element_call_async(
        entry,
        [](GstElement* element, gpointer) {
          GstOwned<GstPad> sink(gst_element_get_static_pad(element, "sink"));
          gst_pad_send_event(sink.get(), gst_event_new_eos());
        },
        nullptr, nullptr);
  }
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
  stats.max_frame_gap = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::nanoseconds(s.max_frame_gap_ns.load()));
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
    stats.freezes = s.freezes;
  }
  if (!stats.latency_samples_ms.empty()) stats.latency_ms_last = stats.latency_samples_ms.back();
  stats.has_audio = s.has_audio.load();
  return stats;
}

}  // namespace callcast::terminal
