#include "loadgen/viewer_receiver.hpp"

#include <netinet/udp.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "loadgen/media_publisher.hpp"
#include "loadgen/webrtc_viewer_client.hpp"

namespace callcast::loadgen {
namespace {

constexpr int kBatch = 64;
// Room for one UDP_GRO buffer (a whole GSO send: up to 64 KiB) per message.
constexpr std::size_t kDatagram = 65536;
constexpr std::size_t kControl = CMSG_SPACE(sizeof(int));
constexpr int kMaxRecvPerEvent = 8;  // then the next socket gets its turn
// WebRTC clients' timers (checks every 100 ms, reports every 1 s) are looked at this often.
constexpr std::int64_t kTimerSweepNs = 10'000'000;

// epoll's user data: fd (32 bits) | viewer (24 bits) | track (8 bits).
std::uint64_t epoll_key(int fd, std::uint32_t viewer, TrackOf track) {
  return (std::uint64_t{static_cast<std::uint32_t>(fd)} << 32) |
         (std::uint64_t{viewer & 0xffffffu} << 8) | static_cast<std::uint8_t>(track);
}

}  // namespace

ViewerReceiver::ViewerReceiver(int cpu, std::vector<ViewerTally>& tallies,
                               const MeasureWindow& window, const PublishLedger& ledger,
                               std::uint8_t video_payload_type, std::uint32_t edge_viewers_from)
    : cpu_(cpu),
      epoll_fd_(epoll_create1(EPOLL_CLOEXEC)),
      tallies_(tallies),
      window_(window),
      ledger_(ledger),
      video_payload_type_(video_payload_type),
      edge_viewers_from_(edge_viewers_from) {}

ViewerReceiver::~ViewerReceiver() {
  stop();
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

bool ViewerReceiver::add(int fd, std::uint32_t viewer, TrackOf track) {
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = epoll_key(fd, viewer, track);
  return epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) == 0;
}

void ViewerReceiver::add_webrtc(WebRtcViewerClient* client, std::uint32_t viewer) {
  const std::lock_guard lock(pending_mutex_);
  pending_webrtc_.emplace_back(client, viewer);
  have_pending_.store(true, std::memory_order_release);
}

void ViewerReceiver::adopt_webrtc_clients() {
  if (!have_pending_.load(std::memory_order_acquire)) return;
  std::vector<std::pair<WebRtcViewerClient*, std::uint32_t>> adopted;
  {
    const std::lock_guard lock(pending_mutex_);
    adopted.swap(pending_webrtc_);
    have_pending_.store(false, std::memory_order_release);
  }
  const auto now = WebRtcViewerClient::Clock::now();
  for (const auto& [client, viewer] : adopted) {
    if (webrtc_.size() <= viewer) webrtc_.resize(viewer + 1, nullptr);
    webrtc_[viewer] = client;
    webrtc_list_.push_back(client);
    if (!add(client->fd(), viewer, TrackOf::webrtc)) ++recv_errors_;
    client->start(now);
  }
}

void ViewerReceiver::run_webrtc_timers() {
  if (webrtc_list_.empty()) return;
  const std::int64_t now_ns = monotonic_ns();
  if (now_ns < next_timer_sweep_ns_) return;
  next_timer_sweep_ns_ = now_ns + kTimerSweepNs;
  const auto now = WebRtcViewerClient::Clock::now();
  for (WebRtcViewerClient* client : webrtc_list_) {
    if (client->next_timer() <= now) client->on_timer(now);
  }
}

void ViewerReceiver::start() {
  if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
}

void ViewerReceiver::stop() {
  stopping_.store(true);
  if (thread_.joinable()) thread_.join();
}

void ViewerReceiver::run() {
  tid_.store(static_cast<pid_t>(syscall(SYS_gettid)));
  if (cpu_ >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(static_cast<unsigned>(cpu_), &set);
    sched_setaffinity(0, sizeof set, &set);
  }
  std::vector<std::array<std::uint8_t, kDatagram>> buffers(kBatch);
  std::vector<std::array<std::uint8_t, kControl>> controls(kBatch);
  std::array<iovec, kBatch> vectors{};
  std::array<mmsghdr, kBatch> messages{};
  for (int i = 0; i < kBatch; ++i) {
    const auto at = static_cast<std::size_t>(i);
    vectors[at] = {buffers[at].data(), kDatagram};
    messages[at].msg_hdr.msg_iov = &vectors[at];
    messages[at].msg_hdr.msg_iovlen = 1;
  }
  const auto arm_controls = [&] {
    for (std::size_t at = 0; at < messages.size(); ++at) {
      messages[at].msg_hdr.msg_control = controls[at].data();
      messages[at].msg_hdr.msg_controllen = kControl;
    }
  };
  std::array<epoll_event, 256> events{};
  while (!stopping_.load(std::memory_order_relaxed)) {
    adopt_webrtc_clients();
    run_webrtc_timers();
    const int timeout_ms = webrtc_list_.empty() && !have_pending_.load() ? 20 : 5;
    const int ready =
        epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), timeout_ms);
    if (ready < 0) {
      if (errno == EINTR) continue;
      ++recv_errors_;
      break;
    }
    for (int e = 0; e < ready; ++e) {
      const std::uint64_t key = events[static_cast<std::size_t>(e)].data.u64;
      const auto fd = static_cast<int>(key >> 32);
      const auto viewer = static_cast<std::uint32_t>((key >> 8) & 0xffffffu);
      const auto track = static_cast<TrackOf>(key & 0xff);
      ViewerTally& tally = tallies_[viewer];
      WindowTraffic& traffic = viewer >= edge_viewers_from_ ? edge_traffic_ : traffic_;
      WebRtcViewerClient* client = track == TrackOf::webrtc ? webrtc_[viewer] : nullptr;
      std::int64_t sink_now = 0;
      // Decrypted video goes to the tally; the client counts the audio (Opus transcoded by the
      // server from the published AAC, so not in the ledger) itself.
      WebRtcViewerClient::MediaSink sink;
      if (client != nullptr) {
        sink = [&](bool video, std::span<const std::uint8_t> rtp) {
          if (video) tally.on_packet(MediaKind::video, rtp, sink_now, window_, ledger_, traffic);
        };
      }
      for (int round = 0; round < kMaxRecvPerEvent; ++round) {
        arm_controls();
        const int got = recvmmsg(fd, messages.data(), kBatch, MSG_DONTWAIT, nullptr);
        if (got <= 0) {
          if (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) ++recv_errors_;
          break;
        }
        const std::int64_t now = monotonic_ns();
        for (int m = 0; m < got; ++m) {
          const auto at = static_cast<std::size_t>(m);
          // With UDP_GRO the buffer may hold several datagrams of `segment` bytes (the last
          // one shorter): exactly what the sender's GSO send carried.
          std::size_t segment = messages[at].msg_len;
          msghdr& header = messages[at].msg_hdr;
          for (cmsghdr* c = CMSG_FIRSTHDR(&header); c != nullptr; c = CMSG_NXTHDR(&header, c)) {
            if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
              int size = 0;
              std::memcpy(&size, CMSG_DATA(c), sizeof size);
              if (size > 0) segment = static_cast<std::size_t>(size);
            }
          }
          for (std::size_t offset = 0; offset < messages[at].msg_len; offset += segment) {
            if (client != nullptr) {
              sink_now = now;
              client->on_datagram(
                  std::span<std::uint8_t>(
                      buffers[at].data() + offset,
                      std::min<std::size_t>(segment, messages[at].msg_len - offset)),
                  WebRtcViewerClient::Clock::time_point(std::chrono::nanoseconds(now)), sink);
              continue;
            }
            const std::span<const std::uint8_t> rtp(
                buffers[at].data() + offset,
                std::min<std::size_t>(segment, messages[at].msg_len - offset));
            MediaKind kind = track == TrackOf::audio ? MediaKind::audio : MediaKind::video;
            if (track == TrackOf::payload_type && rtp.size() > 1) {
              kind = (rtp[1] & 0x7f) == video_payload_type_ ? MediaKind::video : MediaKind::audio;
            }
            tally.on_packet(kind, rtp, now, window_, ledger_, traffic);
          }
        }
        if (got < kBatch) break;
      }
    }
  }
}

}  // namespace callcast::loadgen
