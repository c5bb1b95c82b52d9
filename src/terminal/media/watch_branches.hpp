#pragma once
// The viewer pipeline's chains behind rtspsrc, one per medium (step 714): depayloader, parser,
// then a tee to decoding (video always, for the counters and the frame clock; audio only to
// play it) and to the recording. A chain is built at the first pad of its medium and taken
// again by the pads rtspsrc makes when it retries over TCP.
//
// Threading: link() runs on streaming threads (rtspsrc's pad-added); send_eos() on the main
// loop thread.
#include <gst/gst.h>

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

namespace callcast::terminal {

class DisplayOutputs;
class WatchRecorder;

class WatchBranches {
 public:
  struct Probes {
    GstPadProbeCallback received = nullptr;  // each RTP buffer entering a chain
    GstPadProbeCallback decoded = nullptr;   // each decoded video frame
    gpointer data = nullptr;
  };

  // `outputs` (with display) and `recorder` (may be null) outlive this object; so does
  // `pipeline`, which holds every element built here.
  WatchBranches(GstBin* pipeline, bool display, DisplayOutputs& outputs, WatchRecorder* recorder,
                Probes probes);

  // Whether a stream of `media` ("video", "audio") and `encoding` (the rtpmap's) gets a chain:
  // its depayloader and parser are known and installed.
  static bool takes(const std::string& media, const std::string& encoding);

  // Links a new rtspsrc pad to the chain of its medium, built first if needed. A stream that
  // cannot be depayloaded, or a second one of a medium, is dropped into a sink of its own.
  void link(GstPad* pad);
  // Sends EOS into every chain after its depayloader, from a GStreamer pool thread (see the
  // .cpp).
  void send_eos();
  bool has_audio() const { return has_audio_.load(); }

 private:
  struct Branch {
    std::string media;            // "video" or "audio"
    GstElement* entry = nullptr;  // first element; owned by the pipeline
    GstElement* eos = nullptr;    // where send_eos() ends the chain: the element after the
                                  // depayloader (the entry when there is none)
  };

  // Under mutex_: the entry the pad links to, or nullptr when the chain cannot be built.
  GstElement* build(const std::string& media, const std::string& encoding);

  GstBin* pipeline_;
  bool display_;
  DisplayOutputs& outputs_;
  WatchRecorder* recorder_;
  Probes probes_;
  std::mutex mutex_;
  std::vector<Branch> branches_;  // guarded by mutex_
  std::atomic<bool> has_audio_{false};
};

}  // namespace callcast::terminal
