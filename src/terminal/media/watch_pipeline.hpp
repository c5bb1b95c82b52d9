#pragma once
// The viewer terminal's media (patent step 714): RTSP PLAY of the play URL over UDP (TCP when
// UDP brings nothing), jitter buffer with retransmission requests, H.264 decoding for display or
// just for the counters, and recording of the received H.264 and AAC/Opus without re-encoding.
//
// Threading: used from one thread running a GLib main loop on its thread-default main context.
// Every callback runs on that thread; streaming threads only update counters and post bus
// messages.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "terminal/media/freeze_detector.hpp"

namespace callcast::terminal {

// How rtspsrc carries RTP: UDP, then TCP when UDP brings nothing within udp_timeout (default);
// or one of them only.
enum class RtpTransport { udp_then_tcp, udp, tcp };

struct WatchOptions {
  bool display = false;     // decode and show (autovideosink; audio to autoaudiosink when one
                            // works, else dropped)
  std::string record_path;  // .mp4 or .mkv (chosen by extension): no re-encoding
  int latency_ms = 200;     // rtpjitterbuffer latency
  std::chrono::milliseconds udp_timeout{3000};  // no UDP data this long -> retry over TCP
  RtpTransport transport = RtpTransport::udp_then_tcp;
  bool read_clock = true;  // read the frame clock from decoded frames
};

struct WatchStats {
  std::optional<std::chrono::steady_clock::time_point> first_frame;  // first decoded video frame
  std::uint64_t frames_decoded = 0;
  std::chrono::milliseconds max_frame_gap{0};  // longest wall-clock gap between decoded frames
  double fps = 0;                              // over the last ~1 s
  double kbps = 0;                             // received RTP, over the last ~1 s
  std::uint64_t packets_received = 0;          // from the jitter buffers
  std::uint64_t packets_lost = 0;
  std::uint64_t packets_late = 0;         // arrived after their play-out time: thrown away
  std::vector<Freeze> freezes;            // the first kMaxFreezes
  std::string transport;                  // "udp" or "tcp" once known
  std::optional<double> latency_ms_last;  // glass-to-glass, from the frame clock
  std::vector<double> latency_samples_ms;
  bool has_audio = false;
};

struct WatchCallbacks {
  std::function<void()> on_first_frame;
  std::function<void(const std::string&)> on_error;
  std::function<void()> on_finished;  // EOS after stop(), or the server ended the stream
};

class WatchPipeline {
 public:
  // Checks the elements (and the recording's extension) and builds the fixed part.
  static Result<std::unique_ptr<WatchPipeline>, std::string> create(const WatchOptions& options);
  ~WatchPipeline();
  WatchPipeline(const WatchPipeline&) = delete;
  WatchPipeline& operator=(const WatchPipeline&) = delete;

  // Plays `play_url`. Exactly one of on_error / on_finished follows eventually.
  void start(const std::string& play_url, WatchCallbacks callbacks);
  // Sends EOS so that the recording is finalised, waits for it (3 s at most), then stops;
  // on_finished follows. Returns at once.
  void stop();
  WatchStats stats() const;

  struct State;

 private:
  explicit WatchPipeline(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace callcast::terminal
