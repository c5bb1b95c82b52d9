#pragma once
// The broadcast pipeline's rtspclientsink (ANNOUNCE/RECORD over TCP): the payloader it uses for
// AAC, and its replacement by a fresh one when the pipeline reconnects. Main loop thread only.
#include <gst/gst.h>

#include <optional>
#include <string>

namespace callcast::terminal {

class RtspPublishSink {
 public:
  // `pipeline` holds the sink as "sink", fed by "vparse" and "aparse" (BroadcastDescription);
  // `aac`: the audio is AAC.
  RtspPublishSink(GstBin* pipeline, bool aac);

  GstElement* element() const { return sink_; }
  bool posted(GstMessage* message) const { return GST_MESSAGE_SRC(message) == GST_OBJECT(sink_); }
  void set_location(const std::string& url);
  // "HOST:PORT" the sink connects to instead of the URL's server (RtcpFeedbackRelay); kept for
  // the sinks replace() makes. nullopt: straight to the server.
  void set_proxy(const std::optional<std::string>& proxy);
  // A fresh rtspclientsink in place of the one whose connection broke: a used one, started again,
  // announces no stream (its streams went with its request pads). The rest of the pipeline is
  // kept (at NULL here): parsers, encoders, sources and their probes. False when it cannot be
  // built or linked.
  bool replace(const std::string& url);

 private:
  void choose_aac_payloader();

  GstBin* pipeline_;
  GstElement* sink_;  // owned by the pipeline
  bool aac_;
  std::optional<std::string> proxy_;
};

}  // namespace callcast::terminal
