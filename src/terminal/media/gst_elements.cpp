#include "terminal/media/gst_elements.hpp"

#include <array>
#include <chrono>
#include <mutex>
#include <utility>

namespace callcast::terminal {

bool ensure_gstreamer(std::string& error) {
  static std::once_flag once;
  static bool ok = false;
  static std::string init_error;
  std::call_once(once, [] {
    GError* gerror = nullptr;
    ok = gst_init_check(nullptr, nullptr, &gerror) == TRUE;
    if (!ok) {
      init_error = std::string("GStreamer failed to start: ") +
                   (gerror != nullptr ? gerror->message : "unknown error");
    }
    if (gerror != nullptr) g_error_free(gerror);
  });
  if (!ok) error = init_error;
  return ok;
}

std::string_view debian_package_of(std::string_view element) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 33> kPackages{{
      {"x264enc", "gstreamer1.0-plugins-ugly"},
      {"h264parse", "gstreamer1.0-plugins-bad"},
      {"voaacenc", "gstreamer1.0-plugins-bad"},
      {"opusparse", "gstreamer1.0-plugins-bad"},
      {"rtspclientsink", "gstreamer1.0-rtsp"},
      {"avenc_aac", "gstreamer1.0-libav"},
      {"avdec_h264", "gstreamer1.0-libav"},
      {"avdec_aac", "gstreamer1.0-libav"},
      {"clockoverlay", "gstreamer1.0-x"},
      {"ximagesink", "gstreamer1.0-x"},
      {"alsasrc", "gstreamer1.0-alsa"},
      {"rtspsrc", "gstreamer1.0-plugins-good"},
      {"rtph264depay", "gstreamer1.0-plugins-good"},
      {"rtpmp4gdepay", "gstreamer1.0-plugins-good"},
      {"rtpmp4adepay", "gstreamer1.0-plugins-good"},
      {"rtpmp4gpay", "gstreamer1.0-plugins-good"},
      {"rtpopusdepay", "gstreamer1.0-plugins-good"},
      {"aacparse", "gstreamer1.0-plugins-good"},
      {"mp4mux", "gstreamer1.0-plugins-good"},
      {"matroskamux", "gstreamer1.0-plugins-good"},
      {"v4l2src", "gstreamer1.0-plugins-good"},
      {"autovideosink", "gstreamer1.0-plugins-good"},
      {"autoaudiosink", "gstreamer1.0-plugins-good"},
      {"opusenc", "gstreamer1.0-plugins-base"},
      {"opusdec", "gstreamer1.0-plugins-base"},
      {"videotestsrc", "gstreamer1.0-plugins-base"},
      {"audiotestsrc", "gstreamer1.0-plugins-base"},
      {"videoconvert", "gstreamer1.0-plugins-base"},
      {"videoscale", "gstreamer1.0-plugins-base"},
      {"videorate", "gstreamer1.0-plugins-base"},
      {"audioconvert", "gstreamer1.0-plugins-base"},
      {"audioresample", "gstreamer1.0-plugins-base"},
      {"decodebin", "gstreamer1.0-plugins-base"},
  }};
  for (const auto& [name, package] : kPackages) {
    if (name == element) return package;
  }
  // queue, tee, input-selector, filesrc, filesink, fakesink, clocksync: the core elements.
  return "libgstreamer1.0-0";
}

std::optional<std::string> missing_element(const std::vector<std::string>& elements) {
  for (const auto& name : elements) {
    GstElementFactory* factory = gst_element_factory_find(name.c_str());
    if (factory != nullptr) {
      gst_object_unref(factory);
      continue;
    }
    return "missing GStreamer element " + name + " (Debian package " +
           std::string(debian_package_of(name)) + ")";
  }
  return std::nullopt;
}

void load_elements(const std::vector<std::string>& elements) {
  for (const auto& name : elements) {
    GstElementFactory* factory = gst_element_factory_find(name.c_str());
    if (factory == nullptr) continue;
    GstPluginFeature* loaded = gst_plugin_feature_load(GST_PLUGIN_FEATURE(factory));
    if (loaded != nullptr) gst_object_unref(loaded);
    gst_object_unref(factory);
  }
}

std::string error_text(GstMessage* error_message) {
  GError* gerror = nullptr;
  gchar* debug = nullptr;
  if (GST_MESSAGE_TYPE(error_message) == GST_MESSAGE_WARNING) {
    gst_message_parse_warning(error_message, &gerror, &debug);
  } else {
    gst_message_parse_error(error_message, &gerror, &debug);
  }
  std::string text = gerror != nullptr ? gerror->message : "unknown error";
  if (debug != nullptr) {
    // The debug text starts with "file.c(line): function (): /element/path:\n"; the last line
    // is the part that explains.
    std::string_view detail(debug);
    if (const auto newline = detail.rfind('\n'); newline != std::string_view::npos) {
      detail.remove_prefix(newline + 1);
    }
    if (!detail.empty()) text += " (" + std::string(detail) + ")";
  }
  if (gerror != nullptr) g_error_free(gerror);
  g_free(debug);
  return text;
}

std::int64_t wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void post_application_message(GstElement* element, const char* name) {
  gst_element_post_message(
      element, gst_message_new_application(GST_OBJECT(element), gst_structure_new_empty(name)));
}

void send_eos_async(GstElement* pipeline) {
  gst_element_call_async(
      pipeline,
      [](GstElement* element, gpointer) { gst_element_send_event(element, gst_event_new_eos()); },
      nullptr, nullptr);
}

GSource* add_bus_watch(GstElement* pipeline, GMainContext* context, GstBusFunc function,
                       gpointer data) {
  GstBus* bus = gst_element_get_bus(pipeline);
  GSource* watch = gst_bus_create_watch(bus);
  gst_object_unref(bus);
  g_source_set_callback(watch, G_SOURCE_FUNC(function), data, nullptr);
  g_source_attach(watch, context);
  return watch;
}

void drop_source(GSource*& source) {
  if (source == nullptr) return;
  g_source_destroy(source);
  g_source_unref(source);
  source = nullptr;
}

GstElement* make_element(const char* factory) {
  return gst_element_factory_make(factory, nullptr);
}

GstElement* make_discarding_sink() {
  GstElement* sink = make_element("fakesink");
  g_object_set(sink, "sync", FALSE, nullptr);
  return sink;
}

bool add_chain(GstBin* bin, const std::vector<GstElement*>& chain) {
  for (GstElement* element : chain)
    gst_bin_add(bin, element);
  for (std::size_t i = 0; i + 1 < chain.size(); ++i) {
    if (!gst_element_link(chain[i], chain[i + 1])) return false;
  }
  for (GstElement* element : chain)
    gst_element_sync_state_with_parent(element);
  return true;
}

}  // namespace callcast::terminal
