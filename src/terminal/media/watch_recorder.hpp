#pragma once
// The viewer's recording (step 714): the received H.264 and AAC/Opus into an .mp4 or .mkv
// without re-encoding. A muxer writes its header from the caps of every stream and takes no
// new stream once it has started, so each stream is held in an unbounded queue until every
// stream the SDP announced has its caps (or RecordDecision's limit or stop() says to go on with
// what is there); then all are released at once. A held stream never holds up its tee: the
// decoding branch beside it plays from the first packet.
//
// Threading: add_stream() runs on a streaming thread (rtspsrc's pad-added), the rest on the
// main loop thread.
#include <gst/gst.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "terminal/media/record_decision.hpp"
#include "terminal/media/recording_clock.hpp"

namespace callcast::terminal {

class WatchRecorder {
 public:
  enum class Container { none, mp4, mkv };
  // By extension: ".mp4", ".mkv"; none for anything else or an empty path.
  static Container container_of(const std::string& path);

  // The muxer and file sink for `path` (its container is not none), added to `pipeline`.
  // `caps_message` is posted on the pipeline's bus each time a held stream gets its caps.
  static Result<std::unique_ptr<WatchRecorder>, std::string> create(GstElement* pipeline,
                                                                    const std::string& path,
                                                                    const char* caps_message);

  // Streaming thread: records the stream `media` ("video", "audio") leaving `tee`, once decided.
  // A stream announced after the decision is not recorded.
  void add_stream(const std::string& media, GstElement* tee);

  // What is held now, rtspsrc having exposed every stream or not (`no_more_pads`).
  RecordDecision::Holding holding(bool no_more_pads) const;
  // Whether every held stream has its caps, rtspsrc having announced all (`no_more_pads`).
  bool ready(bool no_more_pads) const;
  bool decided() const;
  // Gives each held stream with caps its muxer pad and starts the recording; a stream without
  // caps yet is left out of the file (its queue drains into a discarding sink). Once.
  void decide();

 private:
  struct Stream {
    std::string media;
    GstElement* queue = nullptr;  // owned by the pipeline
    gulong block = 0;             // the probe holding it; 0 once released
    gulong queries = 0;           // the probe failing serialized queries while held
    bool caps = false;            // a caps event went in (the pad stores it only after the probe)
    // Its buffers' PTS (RecordingClock), on the queue's streaming thread; boxed so that its
    // address stays put while streams_ grows.
    std::unique_ptr<RecordingClock> clock;
  };

  WatchRecorder(GstElement* pipeline, GstElement* mux, std::string path, const char* caps_message);
  static GstPadProbeReturn caps_probe(GstPad* pad, GstPadProbeInfo* info, gpointer data);
  static GstPadProbeReturn query_probe(GstPad*, GstPadProbeInfo* info, gpointer);
  static GstPadProbeReturn stamp_probe(GstPad*, GstPadProbeInfo* info, gpointer data);

  GstElement* pipeline_;  // owns the recorder's elements
  GstElement* mux_;
  std::string path_;
  const char* caps_message_;
  mutable std::mutex mutex_;
  std::vector<Stream> streams_;  // guarded by mutex_
  bool decided_ = false;         // guarded by mutex_
};

}  // namespace callcast::terminal
