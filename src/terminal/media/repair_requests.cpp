#include "terminal/media/repair_requests.hpp"

#include <gst/rtp/gstrtpbuffer.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

#include "rtp/rtp_packet_view.hpp"
#include "terminal/media/gst_elements.hpp"
#include "terminal/media/loss_detector.hpp"

namespace callcast::terminal {

namespace {

constexpr const char* kRequestName = "GstRTPRetransmissionRequest";
// Marks the requests made here (for a reader of the pipeline's events: the tests).
constexpr const char* kEarlyField = "callcast-early";

// The fields rtpjitterbuffer's own request carries that rtpsession reads: it subtracts `delay`
// and `avg-rtt` from `deadline` to know how long the NACK may wait for an RTCP slot (rtpssrcdemux
// adds the SSRC on the way up).
GstEvent* request_event(std::uint16_t sequence, unsigned latency_ms) {
  return gst_event_new_custom(
      GST_EVENT_CUSTOM_UPSTREAM,
      gst_structure_new(kRequestName, "seqnum", G_TYPE_UINT, static_cast<guint>(sequence), "retry",
                        G_TYPE_UINT, 0u, "delay", G_TYPE_UINT, 0u, "deadline", G_TYPE_UINT,
                        static_cast<guint>(latency_ms), "avg-rtt", G_TYPE_UINT, 0u, kEarlyField,
                        G_TYPE_BOOLEAN, TRUE, nullptr));
}

bool carries_video(GstPad* pad) {
  GstCaps* caps = gst_pad_get_current_caps(pad);
  if (caps == nullptr) return false;
  const char* media = gst_structure_get_string(gst_caps_get_structure(caps, 0), "media");
  const bool video = media != nullptr && std::string_view(media) == "video";
  gst_caps_unref(caps);
  return video;
}

}  // namespace

struct RepairRequests::Watch : std::enable_shared_from_this<Watch> {
  enum class Media { unknown, video, other };

  GstOwned<GstElement> jitterbuffer;
  GstOwned<GstPad> sink;            // the jitter buffer's
  GMainContext* context = nullptr;  // referenced; the tail timer runs there
  unsigned latency_ms = 0;
  gulong data_probe = 0;
  std::atomic<Media> media{Media::unknown};  // set on the streaming thread

  mutable std::mutex mutex;
  LossDetector detector;          // guarded by mutex
  GSource* tail_timer = nullptr;  // guarded by mutex
  bool stopped = false;           // guarded by mutex
  int retry_timeout_ms = -1;      // the jitter buffer's; streaming thread only

  ~Watch() {
    if (context != nullptr) g_main_context_unref(context);
  }

  void request(std::uint16_t sequence) {
    spdlog::trace("watch: early retransmission request seq={}", sequence);
    gst_pad_push_event(sink.get(), request_event(sequence, latency_ms));
  }

  // Streaming thread: one RTP packet entering the jitter buffer.
  void take(GstBuffer* buffer) {
    GstMapInfo map;
    if (!gst_buffer_map(buffer, &map, GST_MAP_READ)) return;
    const auto packet = rtp::RtpPacketView::parse(rtp::Bytes(map.data, map.size));
    std::optional<std::uint16_t> sequence;
    std::uint32_t rtp_time = 0;
    bool marker = false;
    if (packet) {
      sequence = packet->sequence_number();
      rtp_time = packet->timestamp();
      marker = packet->marker();
    }
    gst_buffer_unmap(buffer, &map);
    if (!sequence) return;
    const bool repair = GST_BUFFER_FLAG_IS_SET(buffer, GST_RTP_BUFFER_FLAG_RETRANSMISSION);
    std::vector<std::uint16_t> lost;
    LossDetector::Clock::duration retry_timeout{};
    LossDetector::Clock::duration round_trip{};
    {
      std::lock_guard lock(mutex);
      if (stopped) return;
      const auto now = LossDetector::Clock::now();
      lost = detector.on_packet(*sequence, rtp_time, marker, repair, now);
      arm_tail_timer(now);
      retry_timeout = detector.retry_timeout();
      round_trip = detector.round_trip();
    }
    for (const std::uint16_t missing : lost)
      request(missing);
    retry_after(retry_timeout, round_trip);
  }

  // The jitter buffer retries a request after a timeout it learns from its own requests: once
  // the detector asks first, that is from a later time than the repair's, and too short (it
  // re-asked 40 ms after, before the repair could arrive: a quarter more retransmissions for
  // nothing). Its retries come after the detector's retry timeout instead, and go on until a
  // round trip before its latency (not a retry timeout before it: an attempt fewer).
  void retry_after(LossDetector::Clock::duration timeout,
                   LossDetector::Clock::duration round_trip) {
    using std::chrono::milliseconds;
    const auto ms = static_cast<int>(std::chrono::ceil<milliseconds>(timeout).count());
    if (ms == retry_timeout_ms) return;
    retry_timeout_ms = ms;
    const auto trip = static_cast<int>(std::chrono::ceil<milliseconds>(round_trip).count());
    const int period = std::max(0, static_cast<int>(latency_ms) - trip);
    g_object_set(jitterbuffer.get(), "rtx-retry-timeout", ms, "rtx-retry-period", period, nullptr);
  }

  // Under mutex.
  void cancel_tail_timer() {
    if (tail_timer == nullptr) return;
    g_source_destroy(tail_timer);
    g_source_unref(tail_timer);
    tail_timer = nullptr;
  }

  // Under mutex. On the watch's own loop, not a clock thread of GStreamer's: its pending entries
  // released this object while the process exited (GLib aborted in pthread_setspecific).
  void arm_tail_timer(LossDetector::Clock::time_point now) {
    cancel_tail_timer();
    const auto deadline = detector.tail_deadline();
    if (!deadline) return;
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(*deadline - now);
    tail_timer = g_timeout_source_new(static_cast<guint>(std::max<std::int64_t>(0, wait.count())));
    g_source_set_callback(tail_timer, &Watch::on_tail_timer,
                          new std::shared_ptr<Watch>(shared_from_this()), &Watch::release);
    g_source_attach(tail_timer, context);
  }

  static gboolean on_tail_timer(gpointer data) {
    Watch& self = **static_cast<std::shared_ptr<Watch>*>(data);
    std::optional<std::uint16_t> successor;
    {
      std::lock_guard lock(self.mutex);
      if (self.stopped || g_main_current_source() != self.tail_timer) return G_SOURCE_REMOVE;
      const auto deadline = self.detector.tail_deadline();
      if (!deadline) return G_SOURCE_REMOVE;
      // The loop may wake a little before the deadline it was given.
      successor = self.detector.on_silence(std::max(LossDetector::Clock::now(), *deadline));
    }
    if (successor) self.request(*successor);
    return G_SOURCE_REMOVE;
  }

  static GstPadProbeReturn on_data(GstPad* pad, GstPadProbeInfo* info, gpointer data) {
    Watch& self = **static_cast<std::shared_ptr<Watch>*>(data);
    if (self.media.load() == Media::unknown) {
      self.media.store(carries_video(pad) ? Media::video : Media::other);
    }
    if (self.media.load() != Media::video) return GST_PAD_PROBE_OK;
    if ((info->type & GST_PAD_PROBE_TYPE_BUFFER) != 0) {
      self.take(GST_PAD_PROBE_INFO_BUFFER(info));
    } else if ((info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) != 0) {
      GstBufferList* list = GST_PAD_PROBE_INFO_BUFFER_LIST(info);
      for (guint i = 0; i < gst_buffer_list_length(list); ++i)
        self.take(gst_buffer_list_get(list, i));
    }
    return GST_PAD_PROBE_OK;
  }

  static void release(gpointer data) { delete static_cast<std::shared_ptr<Watch>*>(data); }
};

void RepairRequests::configure(GstElement* rtpbin, guint session) {
  GObject* internal = nullptr;
  g_signal_emit_by_name(rtpbin, "get-internal-session", session, &internal);
  if (internal == nullptr) {
    spdlog::warn("watch: no RTP session {} to configure", session);
    return;
  }
  g_object_set(internal, "rtcp-fraction", kRtcpBitsPerSecond, nullptr);
  g_object_unref(internal);
}

std::unique_ptr<RepairRequests> RepairRequests::watch(GstElement* jitterbuffer, unsigned latency_ms,
                                                      GMainContext* context) {
  auto watch = std::make_shared<Watch>();
  watch->jitterbuffer.reset(GST_ELEMENT(gst_object_ref(jitterbuffer)));
  watch->sink.reset(gst_element_get_static_pad(jitterbuffer, "sink"));
  if (!watch->sink) return nullptr;
  watch->context = context != nullptr ? g_main_context_ref(context) : nullptr;
  watch->latency_ms = latency_ms;
  watch->data_probe = gst_pad_add_probe(
      watch->sink.get(),
      static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
      &Watch::on_data, new std::shared_ptr<Watch>(watch), &Watch::release);
  return std::unique_ptr<RepairRequests>(new RepairRequests(std::move(watch)));
}

RepairRequests::RepairRequests(std::shared_ptr<Watch> watch) : watch_(std::move(watch)) {}

RepairRequests::~RepairRequests() {
  {
    std::lock_guard lock(watch_->mutex);
    watch_->stopped = true;
    watch_->cancel_tail_timer();
  }
  gst_pad_remove_probe(watch_->sink.get(), watch_->data_probe);
}

RepairRequests::Counts RepairRequests::counts() const {
  std::lock_guard lock(watch_->mutex);
  return {watch_->detector.gap_requests(), watch_->detector.tail_requests()};
}

}  // namespace callcast::terminal
