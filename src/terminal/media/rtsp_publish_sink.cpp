#include "terminal/media/rtsp_publish_sink.hpp"

#include <vector>

#include "terminal/media/gst_elements.hpp"

namespace callcast::terminal {

RtspPublishSink::RtspPublishSink(GstBin* pipeline, bool aac)
    : pipeline_(pipeline), sink_(nullptr), aac_(aac) {
  // The pipeline holds the sink; this pointer lives no longer than it.
  GstOwned<GstElement> sink(gst_bin_get_by_name(pipeline, "sink"));
  sink_ = sink.get();
  choose_aac_payloader();
}

void RtspPublishSink::set_location(const std::string& url) {
  g_object_set(sink_, "location", url.c_str(), nullptr);
}

void RtspPublishSink::set_proxy(const std::optional<std::string>& proxy) {
  proxy_ = proxy;
  g_object_set(sink_, "proxy", proxy_ ? proxy_->c_str() : nullptr, nullptr);
}

bool RtspPublishSink::replace(const std::string& url) {
  GstOwned<GstElement> fresh(gst_element_factory_make("rtspclientsink", nullptr));
  if (!fresh) return false;
  gst_util_set_object_arg(G_OBJECT(fresh.get()), "protocols", "tcp");
  g_object_set(fresh.get(), "latency", 0U, "location", url.c_str(), "proxy",
               proxy_ ? proxy_->c_str() : nullptr, nullptr);
  std::vector<GstOwned<GstElement>> upstream;
  for (const char* name : {"vparse", "aparse"}) {
    GstOwned<GstElement> element(gst_bin_get_by_name(pipeline_, name));
    if (element) upstream.push_back(std::move(element));
  }
  for (auto& element : upstream)
    gst_element_unlink(element.get(), sink_);
  gst_bin_remove(pipeline_, sink_);  // the bin held the only reference: the old sink is gone
  sink_ = fresh.get();
  gst_bin_add(pipeline_, GST_ELEMENT(gst_object_ref(fresh.get())));
  bool linked = true;
  for (auto& element : upstream)
    linked = gst_element_link(element.get(), sink_) && linked;
  if (linked) choose_aac_payloader();
  return linked;
}

// Left to itself rtspclientsink payloads AAC as MP4A-LATM (RFC 6416); this sets rtpmp4gpay on
// the sink's audio pad, which it then uses instead of choosing one (checked with GStreamer 1.22:
// GST_DEBUG=rtspclientsink:5 says "Configuring payloader <rtpmp4gpay0>"), so the terminal
// announces MPEG4-GENERIC (RFC 3640). The streaming server no longer needs that: it relays
// MP4A-LATM as announced too (standard_publisher_test). The terminal keeps MPEG4-GENERIC, the form
// ffmpeg publishes, because its e2e tests check recordings and third-party viewers (ffplay,
// ffmpeg, rtspsrc) against that form.
void RtspPublishSink::choose_aac_payloader() {
  if (!aac_) return;
  GstOwned<GstElement> aparse(gst_bin_get_by_name(pipeline_, "aparse"));
  GstOwned<GstPad> out(gst_element_get_static_pad(aparse.get(), "src"));
  GstOwned<GstPad> sink_pad(gst_pad_get_peer(out.get()));
  if (sink_pad) {
    g_object_set(sink_pad.get(), "payloader", gst_element_factory_make("rtpmp4gpay", nullptr),
                 nullptr);
  }
}

}  // namespace callcast::terminal
