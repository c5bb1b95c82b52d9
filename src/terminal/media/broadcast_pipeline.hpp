#pragma once
// The master terminal's media (patent steps 705, 708): capture or test pattern -> H.264 (x264,
// zero-latency) and AAC or Opus -> RTSP ANNOUNCE/RECORD over TCP to the publish URL the network
// side gave in its 183. Optionally two picture sources and a switch between them ([0155]).
//
// Threading: used from one thread running a GLib main loop on its thread-default main context
// (the `callcast` program runs g_main_loop_run on the default context). Every callback runs on
// that thread; streaming threads only bump atomic counters and post bus messages.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/result.hpp"
#include "terminal/media/broadcast_options.hpp"

namespace callcast::terminal {

struct BroadcastStats {
  std::uint64_t frames_sent = 0;  // encoded video frames handed to the RTSP sink
  std::uint64_t bytes_sent = 0;   // encoded video + audio bytes handed to the RTSP sink
  double kbps = 0;                // over the last ~1 s
  int active_source = 1;          // 1 or 2
  std::uint64_t switches = 0;
};

struct BroadcastCallbacks {
  std::function<void()> on_streaming;                // RECORD accepted and the first frame went out
  std::function<void(const std::string&)> on_error;  // one clear line
  std::function<void()> on_finished;                 // EOS after stop(), or the stream ended
};

class BroadcastPipeline {
 public:
  // Builds and validates the pipeline: a missing plugin, a source file that does not exist or a
  // missing v4l2 device give one line of error text.
  static Result<std::unique_ptr<BroadcastPipeline>, std::string> create(
      const BroadcastOptions& options);
  ~BroadcastPipeline();
  BroadcastPipeline(const BroadcastPipeline&) = delete;
  BroadcastPipeline& operator=(const BroadcastPipeline&) = delete;

  // Starts publishing to `publish_url` (rtspclientsink, protocols=tcp). Exactly one of
  // on_error / on_finished follows eventually; on_streaming comes before on_finished when the
  // server took the stream. A server that does not accept RECORD within 10 s gives on_error.
  void start(const std::string& publish_url, BroadcastCallbacks callbacks);
  // Switches to the other source without ending the RTSP session; the encoder starts a new IDR
  // with SPS/PPS at the switch. False when there is no second source or not started.
  bool switch_source();
  // Ends the stream with EOS (the sink sends TEARDOWN); on_finished once flushed, or after 3 s
  // anyway. Returns at once. Destroying the object without stop() drops the stream abruptly.
  void stop();
  BroadcastStats stats() const;

  struct State;

 private:
  explicit BroadcastPipeline(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace callcast::terminal
