#include "terminal/media/watch_recorder.hpp"

#include <spdlog/spdlog.h>

#include <cstdint>
#include <filesystem>
#include <optional>

#include "terminal/media/gst_elements.hpp"

namespace callcast::terminal {

WatchRecorder::Container WatchRecorder::container_of(const std::string& path) {
  if (path.empty()) return Container::none;
  const std::string extension = std::filesystem::path(path).extension().string();
  if (extension == ".mp4") return Container::mp4;
  if (extension == ".mkv") return Container::mkv;
  return Container::none;
}

Result<std::unique_ptr<WatchRecorder>, std::string> WatchRecorder::create(
    GstElement* pipeline, const std::string& path, const char* caps_message) {
  const Container container = container_of(path);
  GstElement* mux =
      gst_element_factory_make(container == Container::mp4 ? "mp4mux" : "matroskamux", "mux");
  if (container == Container::mp4) {
    // Fragmented: what was written stays readable even if the process dies before EOS.
    g_object_set(mux, "fragment-duration", 1000u, nullptr);
  }
  GstElement* file = gst_element_factory_make("filesink", "file");
  g_object_set(file, "location", path.c_str(), nullptr);
  gst_bin_add_many(GST_BIN(pipeline), mux, file, nullptr);
  if (!gst_element_link(mux, file)) return fail("cannot link the recording muxer");
  return std::unique_ptr<WatchRecorder>(new WatchRecorder(pipeline, mux, path, caps_message));
}

WatchRecorder::WatchRecorder(GstElement* pipeline, GstElement* mux, std::string path,
                             const char* caps_message)
    : pipeline_(pipeline), mux_(mux), path_(std::move(path)), caps_message_(caps_message) {}

void WatchRecorder::add_stream(const std::string& media, GstElement* tee) {
  std::lock_guard lock(mutex_);
  if (decided_) return;
  Stream stream{media, make_element("queue"), 0, 0, false, nullptr};
  // Unbounded while held: the muxer drains it once the recording starts.
  g_object_set(stream.queue, "max-size-buffers", 0u, "max-size-bytes", 0u, "max-size-time",
               guint64{0}, nullptr);
  add_chain(GST_BIN(pipeline_), {stream.queue});
  gst_element_link(tee, stream.queue);
  GstOwned<GstPad> out(gst_element_get_static_pad(stream.queue, "src"));
  // A buffer without a PTS: matroskamux drops it ("Invalid buffer timestamp") and mp4mux stops
  // the stream on it ("Buffer has no PTS"); it gets one here (RecordingClock).
  stream.clock = std::make_unique<RecordingClock>();
  gst_pad_add_probe(out.get(), GST_PAD_PROBE_TYPE_BUFFER, &WatchRecorder::stamp_probe,
                    stream.clock.get(), nullptr);
  stream.block = gst_pad_add_probe(
      out.get(), GST_PAD_PROBE_TYPE_BLOCK_DOWNSTREAM,
      [](GstPad*, GstPadProbeInfo*, gpointer) { return GST_PAD_PROBE_OK; }, nullptr, nullptr);
  GstOwned<GstPad> in(gst_element_get_static_pad(stream.queue, "sink"));
  // A serialized query (the tee's ALLOCATION query, after the caps) waits in a queue until its
  // thread forwards it, which the block above forbids: the tee, and so the decoding beside it,
  // waited for the recording to start (the first picture up to 1.5 s late). Failed while held,
  // as the muxer would fail it anyway; the tee goes on without this branch's allocation.
  stream.queries = gst_pad_add_probe(in.get(), GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM,
                                     &WatchRecorder::query_probe, nullptr, nullptr);
  // A stream goes to the muxer only once its caps are known: each caps event re-checks.
  gst_pad_add_probe(in.get(), GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, &WatchRecorder::caps_probe, this,
                    nullptr);
  streams_.push_back(std::move(stream));
}

GstPadProbeReturn WatchRecorder::stamp_probe(GstPad*, GstPadProbeInfo* info, gpointer data) {
  GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
  if (buffer == nullptr) return GST_PAD_PROBE_OK;
  auto* clock = static_cast<RecordingClock*>(data);
  const GstClockTime in = GST_BUFFER_PTS(buffer);
  const GstClockTime length = GST_BUFFER_DURATION(buffer);
  const auto pts = clock->stamp(
      GST_CLOCK_TIME_IS_VALID(in) ? std::optional<std::uint64_t>(in) : std::nullopt,
      GST_CLOCK_TIME_IS_VALID(length) ? std::optional<std::uint64_t>(length) : std::nullopt);
  if (!pts) {
    spdlog::debug("watch recording: a buffer without a timestamp before any with one, left out");
    return GST_PAD_PROBE_DROP;
  }
  if (*pts == in) return GST_PAD_PROBE_OK;
  if (clock->stamped() + clock->moved() == 1) {
    spdlog::info(
        "watch recording: buffers came without a timestamp (the jitter buffer resynchronising "
        "under load); each is stamped after the one before it, none is left out");
  }
  buffer = gst_buffer_make_writable(buffer);
  GST_BUFFER_PTS(buffer) = *pts;
  if (GST_BUFFER_DTS_IS_VALID(buffer) && GST_BUFFER_DTS(buffer) > *pts)
    GST_BUFFER_DTS(buffer) = *pts;
  GST_PAD_PROBE_INFO_DATA(info) = buffer;
  return GST_PAD_PROBE_OK;
}

GstPadProbeReturn WatchRecorder::query_probe(GstPad*, GstPadProbeInfo* info, gpointer) {
  return GST_QUERY_IS_SERIALIZED(GST_PAD_PROBE_INFO_QUERY(info)) ? GST_PAD_PROBE_DROP
                                                                 : GST_PAD_PROBE_OK;
}

GstPadProbeReturn WatchRecorder::caps_probe(GstPad* pad, GstPadProbeInfo* info, gpointer data) {
  if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) != GST_EVENT_CAPS) return GST_PAD_PROBE_OK;
  auto* self = static_cast<WatchRecorder*>(data);
  {
    // Noted here: the pad stores the caps only after its probes, so a check of the pad's current
    // caps made on the main loop as this message arrives could still miss them, and nothing
    // would check again until the limit.
    std::lock_guard lock(self->mutex_);
    GstObject* queue = GST_OBJECT_PARENT(pad);
    for (Stream& stream : self->streams_) {
      if (GST_OBJECT(stream.queue) == queue) stream.caps = true;
    }
  }
  post_application_message(self->pipeline_, self->caps_message_);
  return GST_PAD_PROBE_OK;
}

RecordDecision::Holding WatchRecorder::holding(bool no_more_pads) const {
  std::lock_guard lock(mutex_);
  RecordDecision::Holding holding;
  holding.streams = streams_.size();
  for (const Stream& stream : streams_) {
    if (stream.caps) ++holding.with_caps;
  }
  holding.all_exposed = no_more_pads;
  return holding;
}

bool WatchRecorder::ready(bool no_more_pads) const {
  const auto now = holding(no_more_pads);
  return !decided() && now.all_exposed && now.with_caps == now.streams;
}

bool WatchRecorder::decided() const {
  std::lock_guard lock(mutex_);
  return decided_;
}

void WatchRecorder::decide() {
  std::lock_guard lock(mutex_);
  if (decided_) return;
  decided_ = true;
  int recorded = 0;
  for (Stream& stream : streams_) {
    GstOwned<GstPad> out(gst_element_get_static_pad(stream.queue, "src"));
    GstPad* target = nullptr;
    if (stream.caps) {
      target =
          gst_element_request_pad_simple(mux_, stream.media == "video" ? "video_%u" : "audio_%u");
    }
    if (target != nullptr && gst_pad_link(out.get(), target) == GST_PAD_LINK_OK) {
      ++recorded;
    } else {
      spdlog::warn("watch does not record the {} stream (no caps in time)", stream.media);
      if (target != nullptr) gst_object_unref(target);
      GstElement* sink = make_discarding_sink();
      add_chain(GST_BIN(pipeline_), {sink});
      target = gst_element_get_static_pad(sink, "sink");
      gst_pad_link(out.get(), target);
    }
    gst_object_unref(target);
    // Back to a bounded queue once the muxer drains it.
    g_object_set(stream.queue, "max-size-time", guint64{3} * GST_SECOND, nullptr);
  }
  // Every muxer pad exists before any stream flows: released one by one, the first stream
  // made the muxer write its header alone ("caps arrived late" for the next one).
  for (Stream& stream : streams_) {
    if (stream.block == 0) continue;
    GstOwned<GstPad> in(gst_element_get_static_pad(stream.queue, "sink"));
    gst_pad_remove_probe(in.get(), stream.queries);
    GstOwned<GstPad> out(gst_element_get_static_pad(stream.queue, "src"));
    gst_pad_remove_probe(out.get(), stream.block);
    stream.block = 0;
  }
  spdlog::info("watch recording path={} streams={}", path_, recorded);
}

}  // namespace callcast::terminal
