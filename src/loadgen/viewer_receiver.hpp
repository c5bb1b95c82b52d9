#pragma once
// One receive thread of the viewer fleet: an epoll set of viewers' RTP sockets, drained with
// recvmmsg (64 datagrams a call), each datagram handed to its viewer's ViewerTally. Pinned to
// one CPU when given one. Sockets may be added while it runs (epoll_ctl is thread-safe); a
// viewer's tally is only ever touched by the thread its sockets were added to.
//
// WebRTC viewers (issue 14) are WebRtcViewerClients: their one socket's datagrams go to the
// client (STUN, DTLS, SRTP decrypted here, on this thread), the decrypted video to the tally;
// the thread also runs the clients' timers (checks, DTLS retransmission, consent, reports).
#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "loadgen/viewer_tally.hpp"

namespace callcast::loadgen {

// How a socket's datagrams find their track: fixed per socket (RTSP viewers have one socket per
// track) or by RTP payload type (the limit target's one socket per viewer).
enum class TrackOf : std::uint8_t { video = 0, audio = 1, payload_type = 2, webrtc = 3 };

class WebRtcViewerClient;

class ViewerReceiver {
 public:
  // `tallies` outlives the receiver and is never resized while it runs. Viewers from
  // `edge_viewers_from` on play from an edge node (origin+edge runs): their window traffic is
  // counted apart, in edge_traffic().
  ViewerReceiver(int cpu, std::vector<ViewerTally>& tallies, const MeasureWindow& window,
                 const PublishLedger& ledger, std::uint8_t video_payload_type,
                 std::uint32_t edge_viewers_from = UINT32_MAX);
  ~ViewerReceiver();
  ViewerReceiver(const ViewerReceiver&) = delete;
  ViewerReceiver& operator=(const ViewerReceiver&) = delete;

  bool add(int fd, std::uint32_t viewer, TrackOf track);
  // Hands a client that took its answer to this thread, which starts it (its first check) and
  // from then on is the only one to use it, until stop(). The client outlives the receiver.
  void add_webrtc(WebRtcViewerClient* client, std::uint32_t viewer);
  void start();
  void stop();
  int cpu() const { return cpu_; }
  pid_t thread_id() const { return tid_.load(); }
  // Valid after stop(): the other viewers' window traffic, and the edge viewers'.
  const WindowTraffic& traffic() const { return traffic_; }
  const WindowTraffic& edge_traffic() const { return edge_traffic_; }
  std::uint64_t recv_errors() const { return recv_errors_; }

 private:
  void run();
  void adopt_webrtc_clients();
  void run_webrtc_timers();

  int cpu_;
  int epoll_fd_;
  std::vector<ViewerTally>& tallies_;
  const MeasureWindow& window_;
  const PublishLedger& ledger_;
  std::uint8_t video_payload_type_;
  std::uint32_t edge_viewers_from_;
  std::atomic<bool> stopping_{false};
  std::atomic<pid_t> tid_{0};
  WindowTraffic traffic_;
  WindowTraffic edge_traffic_;
  std::uint64_t recv_errors_ = 0;
  std::mutex pending_mutex_;
  std::vector<std::pair<WebRtcViewerClient*, std::uint32_t>> pending_webrtc_;  // pending_mutex_
  std::atomic<bool> have_pending_{false};
  std::vector<WebRtcViewerClient*> webrtc_;  // by viewer, this thread's only
  std::vector<WebRtcViewerClient*> webrtc_list_;
  std::int64_t next_timer_sweep_ns_ = 0;
  std::thread thread_;
};

}  // namespace callcast::loadgen
