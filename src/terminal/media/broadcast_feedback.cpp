#include "terminal/media/broadcast_feedback.hpp"

#include <gst/rtsp/gstrtspurl.h>
#include <gst/video/video.h>
#include <spdlog/spdlog.h>

namespace callcast::terminal {

namespace {

constexpr const char* kFeedbackMessage = "callcast-broadcast-feedback";

}  // namespace

BroadcastFeedback::BroadcastFeedback(GstElement* pipeline, GstElement* encoder,
                                     const PublisherFeedbackLimits& limits)
    : pipeline_(pipeline), encoder_(encoder), limits_(limits) {
  std::string error;
  relay_ = RtcpFeedbackRelay::create(
      [this](rtp::Bytes rtcp) {
        const auto requests = read_feedback_requests(rtcp);
        if (!requests) return;
        for (std::size_t i = 0; i < requests->count; ++i)
          post(requests->items[i]);
      },
      error);
  if (!relay_) {
    spdlog::warn("broadcast: no RTCP feedback from the server (keyframe and bitrate requests): {}",
                 error);
  }
}

BroadcastFeedback::~BroadcastFeedback() {
  relay_.reset();
}

void BroadcastFeedback::start(const core::TimeSource& time, core::TimerFactory& timers) {
  policy_ = std::make_unique<PublisherFeedback>(
      limits_, time, timers,
      PublisherFeedback::Actions{
          [this](KeyframeCause) {
            // all-headers: SPS/PPS in band with the IDR, so a viewer that lost them decodes.
            gst_element_send_event(encoder_, gst_video_event_new_upstream_force_key_unit(
                                                 GST_CLOCK_TIME_NONE, TRUE, 0));
          },
          [this](int kbps) {
            g_object_set(encoder_, "bitrate", static_cast<guint>(kbps), nullptr);
          }});
}

std::optional<std::string> BroadcastFeedback::proxy_for(const std::string& url) {
  if (!relay_) return std::nullopt;
  GstRTSPUrl* parsed = nullptr;
  if (gst_rtsp_url_parse(url.c_str(), &parsed) != GST_RTSP_OK || parsed == nullptr) {
    return std::nullopt;
  }
  guint16 port = 0;
  gst_rtsp_url_get_port(parsed, &port);
  relay_->set_server(parsed->host != nullptr ? parsed->host : "", port);
  gst_rtsp_url_free(parsed);
  return relay_->proxy();
}

std::optional<std::string> BroadcastFeedback::server_failure() const {
  return relay_ ? relay_->server_failure() : std::nullopt;
}

void BroadcastFeedback::post(const FeedbackRequest& request) {
  GstStructure* structure = gst_structure_new(
      kFeedbackMessage, "keyframe", G_TYPE_BOOLEAN, request.kind == FeedbackRequest::Kind::keyframe,
      "cause", G_TYPE_INT,
      request.kind == FeedbackRequest::Kind::keyframe ? static_cast<int>(request.keyframe_cause)
                                                      : static_cast<int>(request.bitrate_cause),
      "bps", G_TYPE_UINT64, static_cast<guint64>(request.bitrate_bps), "fir_sequence", G_TYPE_UINT,
      static_cast<guint>(request.fir_sequence), nullptr);
  gst_element_post_message(pipeline_,
                           gst_message_new_application(GST_OBJECT(pipeline_), structure));
}

bool BroadcastFeedback::handle(GstMessage* message) {
  const GstStructure* structure = gst_message_get_structure(message);
  if (structure == nullptr || !gst_structure_has_name(structure, kFeedbackMessage)) return false;
  if (!policy_) return true;
  gboolean keyframe = FALSE;
  int cause = 0;
  guint64 bps = 0;
  gst_structure_get_boolean(structure, "keyframe", &keyframe);
  gst_structure_get_int(structure, "cause", &cause);
  gst_structure_get_uint64(structure, "bps", &bps);
  guint fir_sequence = 0;
  gst_structure_get_uint(structure, "fir_sequence", &fir_sequence);
  if (keyframe && static_cast<KeyframeCause>(cause) == KeyframeCause::fir) {
    policy_->on_full_intra_request(static_cast<std::uint8_t>(fir_sequence));
  } else if (keyframe) {
    policy_->on_keyframe_request(static_cast<KeyframeCause>(cause));
  } else {
    policy_->on_bitrate_request(bps, static_cast<BitrateCause>(cause));
  }
  return true;
}

PublisherFeedbackCounters BroadcastFeedback::counters() const {
  PublisherFeedbackCounters counters = policy_ ? policy_->counters() : PublisherFeedbackCounters{};
  // What x264enc has, not what was asked of it.
  guint kbps = 0;
  g_object_get(encoder_, "bitrate", &kbps, nullptr);
  counters.bitrate_kbps = static_cast<int>(kbps);
  return counters;
}

}  // namespace callcast::terminal
