#pragma once
// Small pieces both pipelines share: GStreamer start-up, the check that every element a pipeline
// needs is installed (with the Debian package to install when it is not), owning pointers for
// GStreamer objects, and one line of text from an error message.
#include <gst/gst.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace callcast::terminal {

// gst_init once per process; false (with `error` set) when GStreamer cannot start.
bool ensure_gstreamer(std::string& error);

// The Debian package that ships `element` ("gstreamer1.0-plugins-ugly" for x264enc).
std::string_view debian_package_of(std::string_view element);

// nullopt when every element can be made; otherwise one line naming the first missing element
// and its package: "missing GStreamer element x264enc (Debian package gstreamer1.0-plugins-ugly)".
std::optional<std::string> missing_element(const std::vector<std::string>& elements);

// Loads the plugin of each element that is installed (the others are skipped): GStreamer loads
// a plugin at the first element made of it, which for gst-libav (the decoders) costs 100-350 ms,
// too long to spend on a streaming thread while the first picture waits.
void load_elements(const std::vector<std::string>& elements);

struct GstObjectUnref {
  void operator()(gpointer object) const {
    if (object != nullptr) gst_object_unref(object);
  }
};
template <class T>
using GstOwned = std::unique_ptr<T, GstObjectUnref>;

// "Could not open resource for reading and writing. (Failed to connect. (Generic error))": the
// error text plus the last line of its debug detail, on one line.
std::string error_text(GstMessage* error_message);

// Current wall clock (CLOCK_REALTIME) in ms: what the frame clock carries.
std::int64_t wall_clock_ms();

// Posts an application message named `name` on the element's bus: how streaming threads hand an
// event to the main loop thread, which handles it in its bus watch.
void post_application_message(GstElement* element, const char* name);

// Sends EOS into `pipeline` from a GStreamer pool thread, never from the caller's: a live source
// (udpsrc inside rtspsrc) takes EOS only once its streaming thread leaves its wait for data, so a
// stream that has stopped would block the main loop. The caller's stop timeout bounds the wait;
// setting the pipeline to NULL releases it.
void send_eos_async(GstElement* pipeline);

// A bus watch on `pipeline`'s bus calling `function(bus, message, data)`, attached to `context`.
GSource* add_bus_watch(GstElement* pipeline, GMainContext* context, GstBusFunc function,
                       gpointer data);
// Destroys and releases a source from add_bus_watch; null stays null.
void drop_source(GSource*& source);

// A new element of `factory` (floating, for a bin to take).
GstElement* make_element(const char* factory);
// A fakesink that drops what it gets as it comes (sync=false): for streams nobody plays.
GstElement* make_discarding_sink();
// Adds the elements to `bin`, links them in order and brings them to its state; false when a
// link fails.
bool add_chain(GstBin* bin, const std::vector<GstElement*>& chain);

}  // namespace callcast::terminal
