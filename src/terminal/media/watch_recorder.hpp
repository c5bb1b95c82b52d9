#pragma once
// The viewer's recording (step 714): the received H.264 and AAC/Opus into an .mp4 or .mkv
// without re-encoding. A muxer writes its header from the caps of every stream and takes no
// new stream once it has started, so each stream is held in an unbounded queue until every
// stream the SDP announced has its caps (or the decision timer or stop() says to go on with
// what is there); then all are released at once.
//
// Threading: add_stream() runs on a streaming thread (rtspsrc's pad-added), the rest on the
// main loop thread.
#include <gst/gst.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/result.hpp"

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
  };

  WatchRecorder(GstElement* pipeline, GstElement* mux, std::string path, const char* caps_message);
  static GstPadProbeReturn caps_probe(GstPad*, GstPadProbeInfo* info, gpointer data);

  GstElement* pipeline_;  // owns the recorder's elements
  GstElement* mux_;
  std::string path_;
  const char* caps_message_;
  mutable std::mutex mutex_;
  std::vector<Stream> streams_;  // guarded by mutex_
  bool decided_ = false;         // guarded by mutex_
};

}  // namespace callcast::terminal
