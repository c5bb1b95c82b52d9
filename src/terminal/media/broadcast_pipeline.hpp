#pragma once
// The master terminal's media (patent steps 705, 708): capture or test pattern -> H.264 (x264,
// zero-latency) and AAC or Opus -> RTSP ANNOUNCE/RECORD over TCP to the publish URL the network
// side gave in its 183. Optionally two picture sources and a switch between them ([0155]).
//
// Threading: used from one thread running a GLib main loop on its thread-default main context
// (the `callcast` program runs g_main_loop_run on the default context). Every callback runs on
// that thread; streaming threads only bump atomic counters and post bus messages.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/result.hpp"
#include "core/time_source.hpp"
#include "terminal/media/broadcast_options.hpp"

namespace callcast::terminal {

struct BroadcastStats {
  std::uint64_t frames_sent = 0;  // encoded video frames handed to the RTSP sink
  std::uint64_t bytes_sent = 0;   // encoded video + audio bytes handed to the RTSP sink
  double kbps = 0;                // over the last ~1 s
  int active_source = 1;          // 1 or 2
  std::uint64_t switches = 0;
  std::uint64_t reconnects = 0;              // lost RTSP connections that came back
  std::chrono::milliseconds last_outage{0};  // loss to streaming again, of the latest reconnect
  // The server's RTCP feedback (issue 12): PLI/FIR received and IDRs forced for them, REMB/TMMBR
  // received, the encoder's bitrate now and how often it changed.
  std::uint64_t keyframe_requests = 0;
  std::uint64_t keyframes_forced = 0;
  std::uint64_t bitrate_requests = 0;
  std::uint64_t bitrate_changes = 0;
  int bitrate_kbps = 0;
};

struct BroadcastCallbacks {
  std::function<void()> on_streaming;                // RECORD accepted and the first frame went out
  std::function<void(const std::string&)> on_error;  // one clear line
  // The server refused a reconnection (its answer, one clear line): the pipeline has given up.
  // Unset: on_error gets it.
  std::function<void(const std::string&)> on_refused;
  std::function<void()> on_finished;  // EOS after stop(), or the stream ended
  // The RTSP connection broke while streaming and attempt N (1, 2...) to get it back starts.
  std::function<void(int attempt)> on_reconnecting;
  // Streaming again after `outage` (loss to the first frame the server took) and `attempts`.
  std::function<void(std::chrono::milliseconds outage, int attempts)> on_reconnected;
};

class BroadcastPipeline {
 public:
  // Builds and validates the pipeline: a missing plugin, a source file that does not exist or a
  // missing v4l2 device give one line of error text. `time` measures the reconnect budget and
  // outages.
  static Result<std::unique_ptr<BroadcastPipeline>, std::string> create(
      const BroadcastOptions& options,
      const core::TimeSource& time = core::RealTimeSource::instance());
  ~BroadcastPipeline();
  BroadcastPipeline(const BroadcastPipeline&) = delete;
  BroadcastPipeline& operator=(const BroadcastPipeline&) = delete;

  // Starts publishing to `publish_url` (rtspclientsink, protocols=tcp). Exactly one of
  // on_error / on_finished follows eventually; on_streaming comes before on_finished when the
  // server took the stream. A server that does not accept RECORD within 10 s gives on_error.
  //
  // Reconnection: when the RTSP connection breaks after on_streaming (an error from the sink:
  // reset, refused, closed), the pipeline is stopped and started again on the same URL (the same
  // token: the server takes the master back into its group within its grace period) after
  // 0.2, 0.4, 0.8, 1.6, 1.6... s, each attempt reported by on_reconnecting, until it streams
  // again (on_reconnected) or options.reconnect_for has passed since the loss, or the server
  // refuses the URL (404: the group is gone; 401: the token is refused): then on_error, with a
  // line saying which. A 403 (the server still holds the old connection as the group's
  // publisher) is tried again within the budget.
  // Restarting the pipeline restarts the encoder, so the first frame after a reconnect is an IDR
  // with SPS/PPS in band (and a key unit is forced when RECORD starts): viewers decode at once.
  void start(const std::string& publish_url, BroadcastCallbacks callbacks);
  // Feedback from the server (RTCP on the RECORD connection, read through a relay on 127.0.0.1
  // given to rtspclientsink as its proxy: see RtcpFeedbackRelay): a keyframe request (PLI, FIR)
  // forces an IDR, at most one per 500 ms; a bitrate request (REMB, TMMBR) sets the encoder's
  // bitrate, within [options.min_bitrate_kbps, options.bitrate_kbps]. Both are logged (step 709)
  // and counted in stats().
  //
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
