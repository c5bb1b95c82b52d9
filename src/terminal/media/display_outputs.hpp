#pragma once
// The viewer's video and audio outputs for --display, opened (READY) when the pipeline is
// created, before any stream: opening them in a streaming thread would stall the stream for as
// long as device probing takes (seconds with an absent sound server). The stream chains take
// them when they are built. Main loop thread only.
#include <gst/gst.h>

#include <string>

#include "core/result.hpp"
#include "terminal/media/gst_elements.hpp"

namespace callcast::terminal {

class DisplayOutputs {
 public:
  // autovideosink, and autoaudiosink when it opens a real device (it falls back to a fake sink
  // when none works, as in a container: then the sound is not played). An error line when
  // there is no display or the video output does not open.
  static Result<DisplayOutputs, std::string> open();

  DisplayOutputs() = default;
  DisplayOutputs(DisplayOutputs&&) = default;
  DisplayOutputs& operator=(DisplayOutputs&&) = default;
  // Closes what no chain took.
  ~DisplayOutputs() { close(); }
  void close();

  // Null when none (or once taken).
  GstElement* video() const { return video_.get(); }
  GstElement* audio() const { return audio_.get(); }
  // A chain's bin holds it now.
  void video_taken() { video_.reset(); }
  void audio_taken() { audio_.reset(); }

 private:
  GstOwned<GstElement> video_;
  GstOwned<GstElement> audio_;
};

}  // namespace callcast::terminal
