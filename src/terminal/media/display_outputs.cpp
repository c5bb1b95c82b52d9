#include "terminal/media/display_outputs.hpp"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <string_view>

namespace callcast::terminal {

namespace {

// Already READY, so that the device probing happens here and not in a streaming thread.
GstElement* working_audio_sink() {
  if (missing_element({"autoaudiosink"})) return nullptr;
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

Result<DisplayOutputs, std::string> DisplayOutputs::open() {
  // Without a display server autovideosink falls through to sinks that crash when probed
  // (dfbvideosink): refuse before trying.
  if (std::getenv("DISPLAY") == nullptr && std::getenv("WAYLAND_DISPLAY") == nullptr) {
    return fail("cannot show the video: no display (DISPLAY is not set)");
  }
  DisplayOutputs outputs;
  outputs.video_.reset(
      GST_ELEMENT(gst_object_ref_sink(gst_element_factory_make("autovideosink", nullptr))));
  // Outside a pipeline the sink has no bus; lend it one so that its reason can be told.
  GstOwned<GstBus> probe_bus(gst_bus_new());
  gst_element_set_bus(outputs.video(), probe_bus.get());
  const bool opened =
      gst_element_set_state(outputs.video(), GST_STATE_READY) != GST_STATE_CHANGE_FAILURE;
  if (!opened) {
    const char* display = std::getenv("DISPLAY");
    std::string reason;
    if (GstMessage* message = gst_bus_pop_filtered(probe_bus.get(), GST_MESSAGE_ERROR)) {
      reason = ": " + error_text(message);
      gst_message_unref(message);
    }
    return fail(std::string("cannot open a video output (DISPLAY=") +
                (display != nullptr ? display : "unset") + ")" + reason);
  }
  gst_element_set_bus(outputs.video(), nullptr);
  outputs.audio_.reset(working_audio_sink());
  return outputs;
}

void DisplayOutputs::close() {
  for (const auto* prepared : {&video_, &audio_}) {
    if (*prepared) gst_element_set_state(prepared->get(), GST_STATE_NULL);
  }
}

}  // namespace callcast::terminal
