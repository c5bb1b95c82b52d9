#include "loadgen/viewer_fleet.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <future>

#include "loadgen/media_publisher.hpp"
#include "loadgen/webrtc_viewer_client.hpp"

namespace callcast::loadgen {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kRtpReceiveBuffer = 1 << 20;
constexpr int kRtcpReceiveBuffer = 4096;

// A UDP socket bound to 127.0.0.1:0 with a receive buffer of `buffer` bytes (SO_RCVBUFFORCE
// when allowed, i.e. as root, past net.core.rmem_max); -1 on failure.
int bound_udp_socket(int buffer, std::uint16_t& port, bool gro = false) {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  const int on = 1;
  if (gro) setsockopt(fd, SOL_UDP, UDP_GRO, &on, sizeof on);
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buffer, sizeof buffer) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    ::close(fd);
    return -1;
  }
  port = ntohs(address.sin_port);
  return fd;
}

// The fleet's RTCP sink: a port above the ephemeral range (net.ipv4.ip_local_port_range, whose
// top is at most 60999 by default), so every viewer's client_port=<rtp>-<sink> reads low-high
// as some servers expect; an ephemeral one when all are taken.
int rtcp_sink_socket(std::uint16_t& port) {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int candidate = 65535; candidate >= 61000; --candidate) {
    address.sin_port = htons(static_cast<std::uint16_t>(candidate));
    if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
      port = static_cast<std::uint16_t>(candidate);
      return fd;
    }
  }
  ::close(fd);
  return bound_udp_socket(kRtcpReceiveBuffer, port);
}

void send_datagram(int fd, std::uint16_t port, std::string_view text) {
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  (void)sendto(fd, text.data(), text.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
}

}  // namespace

ViewerFleet::ViewerFleet(FleetOptions options, const MeasureWindow& window,
                         const PublishLedger& ledger)
    : options_(std::move(options)),
      tallies_(options_.viewers),
      sockets_(options_.viewers),
      players_(options_.viewers),
      setup_ms_(options_.viewers, -1),
      join_ns_(options_.viewers, 0),
      webrtc_clients_(options_.viewers) {
  for (auto& tally : tallies_)
    tally.reserve_window(options_.window_capacity);
  std::vector<int> cpus = options_.receive_cpus;
  if (cpus.empty()) cpus.push_back(-1);
  for (const int cpu : cpus) {
    receivers_.push_back(std::make_unique<ViewerReceiver>(
        cpu, tallies_, window, ledger, options_.video_payload_type,
        static_cast<std::uint32_t>(std::min<std::size_t>(options_.edge_viewers_from, UINT32_MAX))));
    receivers_.back()->start();
  }
  rtcp_sink_ = rtcp_sink_socket(rtcp_sink_port_);
  work_.emplace(io_.get_executor());
  io_thread_ = std::thread([this] { io_.run(); });
}

ViewerFleet::~ViewerFleet() {
  close();
}

bool ViewerFleet::launch_rtsp(std::size_t i, const std::string& url, std::string& error) {
  ViewerSockets& s = sockets_[i];
  PlayerPorts ports;
  if (rtcp_sink_ < 0) {
    error = "RTCP sink socket: " + std::string(std::strerror(errno));
    return false;
  }
  ports.video_rtcp = ports.audio_rtcp = rtcp_sink_port_;
  s.video_rtp = bound_udp_socket(kRtpReceiveBuffer, ports.video_rtp, options_.viewer_gro);
  if (s.video_rtp < 0) {
    error = "video RTP socket: " + std::string(std::strerror(errno));
    return false;
  }
  s.audio_rtp = bound_udp_socket(kRtpReceiveBuffer, ports.audio_rtp, options_.viewer_gro);
  if (s.audio_rtp < 0) {
    error = "audio RTP socket: " + std::string(std::strerror(errno));
    return false;
  }
  ViewerReceiver& receiver = *receivers_[i % receivers_.size()];
  const auto viewer = static_cast<std::uint32_t>(i);
  if (!receiver.add(s.video_rtp, viewer, TrackOf::video) ||
      !receiver.add(s.audio_rtp, viewer, TrackOf::audio)) {
    error = "epoll: " + std::string(std::strerror(errno));
    return false;
  }
  players_[i] = RtspPlayer::create(io_, url, ports, options_.setup_timeout);
  return true;
}

// The state of one RTSP ramp, shared by the io thread's handlers (which may outlive the call).
struct ViewerFleet::Ramp {
  explicit Ramp(boost::asio::io_context& io) : timer(io) {}
  std::function<std::string(std::size_t)> url_of;
  std::size_t total = 0;
  std::size_t next = 0;
  std::size_t in_flight = 0;
  std::size_t finished = 0;
  bool stopped = false;
  Clock::time_point start = Clock::now();
  std::string first_error;
  std::string bench_error;
  std::promise<void> all_done;
  boost::asio::steady_timer timer;
};

void ViewerFleet::tick(const std::shared_ptr<Ramp>& ramp) {
  if (ramp->stopped) return;
  const std::size_t total = ramp->total;
  const double elapsed = std::chrono::duration<double>(Clock::now() - ramp->start).count();
  const auto allowed = std::min<std::size_t>(
      total, static_cast<std::size_t>(std::floor(elapsed * options_.ramp_rate)) + 1);
  while (ramp->next < allowed && ramp->in_flight < options_.max_in_flight) {
    const std::size_t i = ramp->next++;
    ++ramp->in_flight;
    std::string local_error;
    if (!launch_rtsp(i, ramp->url_of(i), local_error)) {
      --ramp->in_flight;
      ++ramp->finished;
      const std::string text = "viewer " + std::to_string(i) + ": " + local_error;
      if (ramp->first_error.empty()) ramp->first_error = text;
      if (ramp->bench_error.empty()) ramp->bench_error = text;
      if (ramp->finished == total) ramp->all_done.set_value();
      continue;
    }
    const auto started = Clock::now();
    players_[i]->start([this, ramp, i, started, total](const std::string& error) {
      --ramp->in_flight;
      ++ramp->finished;
      if (error.empty()) {
        setup_ms_[i] = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
      } else {
        const std::string text = "viewer " + std::to_string(i) + ": " + error;
        if (ramp->first_error.empty()) ramp->first_error = text;
        if (ramp->bench_error.empty() && players_[i]->failed_locally()) ramp->bench_error = text;
      }
      if (ramp->finished == total) ramp->all_done.set_value();
    });
  }
  if (ramp->next < total) {
    ramp->timer.expires_after(std::chrono::milliseconds(5));
    ramp->timer.async_wait([this, ramp](const boost::system::error_code& error) {
      if (!error) tick(ramp);
    });
  }
}

RampOutcome ViewerFleet::ramp_rtsp(const std::function<std::string(std::size_t)>& url_of,
                                   Clock::time_point deadline, std::optional<std::size_t> count) {
  auto ramp = std::make_shared<Ramp>(io_);
  ramp->url_of = url_of;
  ramp->total = std::min(count.value_or(options_.viewers), options_.viewers);
  auto done = ramp->all_done.get_future();
  if (ramp->total == 0) {
    ramp->all_done.set_value();
  } else {
    boost::asio::post(io_, [this, ramp] { tick(ramp); });
  }
  RampOutcome outcome;
  if (done.wait_until(deadline) != std::future_status::ready) outcome.timed_out = true;
  // Stop launching and collect on the io thread, where the ramp's state lives.
  std::promise<void> collected;
  boost::asio::post(io_, [this, ramp, &outcome, &collected] {
    ramp->stopped = true;
    ramp->timer.cancel();
    outcome.first_error = ramp->first_error;
    outcome.bench_error = ramp->bench_error;
    for (std::size_t i = 0; i < ramp->total; ++i) {
      if (setup_ms_[i] >= 0) {
        ++outcome.playing;
        outcome.setup_ms.push_back(setup_ms_[i]);
      }
    }
    collected.set_value();
  });
  collected.get_future().wait();
  outcome.failed = ramp->total - outcome.playing;
  if (outcome.timed_out && outcome.first_error.empty()) {
    outcome.first_error = "the ramp did not finish in time";
  }
  return outcome;
}

RampOutcome ViewerFleet::ramp_join(std::uint16_t port, Clock::time_point deadline) {
  join_port_ = port;
  const auto start = Clock::now();
  RampOutcome outcome;
  for (std::size_t i = 0; i < options_.viewers; ++i) {
    // Pace: viewer i goes at i / rate seconds; sleeping in slices keeps the deadline honest.
    const auto due =
        start + std::chrono::duration_cast<Clock::duration>(
                    std::chrono::duration<double>(static_cast<double>(i) / options_.ramp_rate));
    if (due > deadline) {
      outcome.timed_out = true;
      break;
    }
    std::this_thread::sleep_until(due);
    std::uint16_t ignored = 0;
    ViewerSockets& s = sockets_[i];
    s.video_rtp = bound_udp_socket(kRtpReceiveBuffer, ignored, options_.viewer_gro);
    if (s.video_rtp < 0) {
      const std::string text = "viewer " + std::to_string(i) + ": socket: " + std::strerror(errno);
      if (outcome.first_error.empty()) outcome.first_error = text;
      if (outcome.bench_error.empty()) outcome.bench_error = text;
      continue;
    }
    receivers_[i % receivers_.size()]->add(s.video_rtp, static_cast<std::uint32_t>(i),
                                           TrackOf::payload_type);
    join_ns_[i] = monotonic_ns();
    send_datagram(s.video_rtp, port, "JOIN");
  }
  // A viewer plays from its first packet: wait for the last ones (bounded by the deadline).
  for (int round = 0; Clock::now() < deadline && round < 10000; ++round) {
    std::size_t waiting = 0;
    for (std::size_t i = 0; i < options_.viewers; ++i) {
      // Read without the receiver's lock: a stale 0 only makes this loop wait once more.
      if (join_ns_[i] != 0 && tallies_[i].first_packet_ns() == 0) ++waiting;
    }
    if (waiting == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (std::size_t i = 0; i < options_.viewers; ++i) {
    const std::int64_t first = tallies_[i].first_packet_ns();
    if (join_ns_[i] != 0 && first != 0) {
      ++outcome.playing;
      outcome.setup_ms.push_back(static_cast<double>(first - join_ns_[i]) / 1e6);
    } else if (outcome.first_error.empty()) {
      outcome.first_error = "viewer " + std::to_string(i) + ": no packet after JOIN";
    }
  }
  outcome.failed = options_.viewers - outcome.playing;
  return outcome;
}

RampOutcome ViewerFleet::ramp_phones(std::size_t first, const PhoneStarter& start,
                                     Clock::time_point deadline, std::optional<std::size_t> count) {
  const auto ramp_start = Clock::now();
  RampOutcome outcome;
  std::size_t launched = 0;
  const std::size_t end = std::min(options_.viewers, first + count.value_or(options_.viewers));
  for (std::size_t i = first; i < end; ++i) {
    // Paced as the other ramps: viewer i goes at (i - first) / rate seconds.
    const auto due =
        ramp_start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                         static_cast<double>(i - first) / options_.ramp_rate));
    if (due > deadline) {
      outcome.timed_out = true;
      break;
    }
    std::this_thread::sleep_until(due);
    ViewerSockets& s = sockets_[i];
    PhonePorts ports;
    s.video_rtp = bound_udp_socket(kRtpReceiveBuffer, ports.video_rtp, options_.viewer_gro);
    s.audio_rtp = bound_udp_socket(kRtpReceiveBuffer, ports.audio_rtp, options_.viewer_gro);
    s.video_rtcp = bound_udp_socket(kRtcpReceiveBuffer, ports.video_rtcp);
    s.audio_rtcp = bound_udp_socket(kRtcpReceiveBuffer, ports.audio_rtcp);
    ViewerReceiver& receiver = *receivers_[i % receivers_.size()];
    const auto viewer = static_cast<std::uint32_t>(i);
    if (s.video_rtp < 0 || s.audio_rtp < 0 || s.video_rtcp < 0 || s.audio_rtcp < 0 ||
        !receiver.add(s.video_rtp, viewer, TrackOf::video) ||
        !receiver.add(s.audio_rtp, viewer, TrackOf::audio)) {
      const std::string text = "viewer " + std::to_string(i) + ": socket: " + std::strerror(errno);
      if (outcome.first_error.empty()) outcome.first_error = text;
      if (outcome.bench_error.empty()) outcome.bench_error = text;
      continue;
    }
    join_ns_[i] = monotonic_ns();
    ++launched;
    if (const std::string error = start(i, ports); !error.empty()) {
      join_ns_[i] = 0;
      if (outcome.first_error.empty())
        outcome.first_error = "viewer " + std::to_string(i) + ": " + error;
    }
  }
  // A phone plays from its first packet: wait for the last ones (bounded by the deadline).
  for (int round = 0; launched > 0 && Clock::now() < deadline && round < 10000; ++round) {
    std::size_t waiting = 0;
    for (std::size_t i = first; i < end; ++i) {
      // Read without the receiver's lock: a stale 0 only makes this loop wait once more.
      if (join_ns_[i] != 0 && tallies_[i].first_packet_ns() == 0) ++waiting;
    }
    if (waiting == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (std::size_t i = first; i < end; ++i) {
    const std::int64_t first_packet = tallies_[i].first_packet_ns();
    if (join_ns_[i] != 0 && first_packet != 0) {
      ++outcome.playing;
      outcome.setup_ms.push_back(static_cast<double>(first_packet - join_ns_[i]) / 1e6);
    } else if (outcome.first_error.empty()) {
      outcome.first_error = "viewer " + std::to_string(i) + ": no packet after phone-viewers";
    }
  }
  outcome.failed = end - first - outcome.playing;
  return outcome;
}

RampOutcome ViewerFleet::ramp_webrtc(std::size_t first, std::size_t count,
                                     const WebRtcStarter& start, Clock::time_point deadline) {
  const auto ramp_start = Clock::now();
  RampOutcome outcome;
  const std::size_t end = std::min(options_.viewers, first + count);
  if (end <= first) return outcome;
  if (!webrtc_certificate_) {
    // One certificate for all the bench's clients: the server checks each handshake against the
    // offer's fingerprint, so they may share it, and a ramp of thousands makes no key pairs.
    auto certificate = dtls::DtlsCertificate::generate("callcast-bench");
    if (!certificate) {
      outcome.bench_error = "DTLS certificate: " + certificate.error();
      outcome.first_error = outcome.bench_error;
      outcome.failed = end - first;
      return outcome;
    }
    webrtc_certificate_ = std::move(certificate).value();
  }
  std::size_t launched = 0;
  for (std::size_t i = first; i < end; ++i) {
    const auto due =
        ramp_start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                         static_cast<double>(i - first) / options_.ramp_rate));
    if (due > deadline) {
      outcome.timed_out = true;
      break;
    }
    std::this_thread::sleep_until(due);
    WebRtcClientOptions client_options;
    client_options.certificate = webrtc_certificate_;
    client_options.audio = options_.webrtc_audio;
    client_options.video_payload_type = options_.video_payload_type;
    client_options.gro = options_.viewer_gro;
    client_options.receive_buffer = kRtpReceiveBuffer;
    auto client = WebRtcViewerClient::create(client_options);
    if (!client) {
      const std::string text = "viewer " + std::to_string(i) + ": " + client.error();
      if (outcome.first_error.empty()) outcome.first_error = text;
      if (outcome.bench_error.empty()) outcome.bench_error = text;
      continue;
    }
    const std::int64_t asked_ns = monotonic_ns();
    auto answer = start(i, (*client)->offer());
    if (!answer) {
      if (outcome.first_error.empty()) {
        outcome.first_error = "viewer " + std::to_string(i) + ": " + answer.error();
      }
      continue;
    }
    if (auto accepted = (*client)->accept_answer(*answer); !accepted) {
      if (outcome.first_error.empty()) {
        outcome.first_error = "viewer " + std::to_string(i) + ": " + accepted.error();
      }
      continue;
    }
    webrtc_clients_[i] = std::move(client).value();
    join_ns_[i] = asked_ns;
    ++launched;
    receivers_[i % receivers_.size()]->add_webrtc(webrtc_clients_[i].get(),
                                                  static_cast<std::uint32_t>(i));
  }
  // A WebRTC viewer plays from its first decrypted video packet (after ICE and DTLS).
  const auto gone = [this](std::size_t i) {
    const WebRtcClientState state = webrtc_clients_[i]->state();
    return state == WebRtcClientState::failed || state == WebRtcClientState::closed;
  };
  for (int round = 0; launched > 0 && Clock::now() < deadline && round < 10000; ++round) {
    std::size_t waiting = 0;
    for (std::size_t i = first; i < end; ++i) {
      if (join_ns_[i] != 0 && tallies_[i].first_packet_ns() == 0 && !gone(i)) ++waiting;
    }
    if (waiting == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (std::size_t i = first; i < end; ++i) {
    const std::int64_t first_packet = tallies_[i].first_packet_ns();
    if (join_ns_[i] != 0 && first_packet != 0) {
      ++outcome.playing;
      outcome.setup_ms.push_back(static_cast<double>(first_packet - join_ns_[i]) / 1e6);
    } else if (outcome.first_error.empty() && webrtc_clients_[i]) {
      const WebRtcClientState state = webrtc_clients_[i]->state();
      // error() is written before a failed state is published (release/acquire).
      outcome.first_error = "viewer " + std::to_string(i) + ": WebRTC " +
                            std::string(to_string(state)) +
                            (state == WebRtcClientState::failed ? ": " + webrtc_clients_[i]->error()
                                                                : std::string(", no video packet"));
    }
  }
  outcome.failed = end - first - outcome.playing;
  return outcome;
}

WebRtcFleetFigures ViewerFleet::webrtc_figures() const {
  WebRtcFleetFigures figures;
  for (const auto& client : webrtc_clients_) {
    if (!client) continue;
    ++figures.clients;
    if (client->connect_time()) ++figures.connected;
    if (client->state() == WebRtcClientState::failed) ++figures.failed;
    const WebRtcClientCounters& c = client->counters();
    figures.srtp_packets += c.srtp_packets;
    figures.srtp_bytes += c.srtp_bytes;
    figures.srtcp_packets += c.srtcp_packets;
    figures.decrypt_failures += c.decrypt_failures;
    figures.stray += c.stray;
    figures.reports_sent += c.reports_sent;
    figures.checks_sent += c.checks_sent;
    for (const WebRtcStreamReception& stream : client->streams()) {
      auto& kind = stream.video ? figures.video : figures.audio;
      kind.packets += stream.packets;
      kind.expected += stream.expected();
      kind.lost += stream.lost();
    }
    if (client->connect_time()) {
      figures.connect_ms.push_back(static_cast<double>(client->connect_time()->count()) / 1e3);
    }
    if (auto profile = client->srtp_profile())
      figures.profile = std::string(dtls::to_string(*profile));
  }
  return figures;
}

void ViewerFleet::stop_receiving() {
  for (auto& receiver : receivers_)
    receiver->stop();
}

void ViewerFleet::close() {
  if (closed_) return;
  closed_ = true;
  stop_receiving();
  std::promise<void> closed;
  boost::asio::post(io_, [this, &closed] {
    for (auto& player : players_) {
      if (player) player->close();
    }
    closed.set_value();
  });
  closed.get_future().wait_for(std::chrono::seconds(10));
  work_.reset();
  io_.stop();
  if (io_thread_.joinable()) io_thread_.join();
  players_.clear();
  // The receive threads are stopped: this thread may use the clients now. close_notify tells
  // the server at once, as a browser closing its tab does.
  for (auto& client : webrtc_clients_) {
    if (client) client->close();
  }
  webrtc_clients_.clear();
  for (auto& s : sockets_) {
    if (join_port_ != 0 && s.video_rtp >= 0) send_datagram(s.video_rtp, join_port_, "LEAVE");
    for (int* fd : {&s.video_rtp, &s.audio_rtp, &s.video_rtcp, &s.audio_rtcp}) {
      if (*fd >= 0) ::close(*fd);
      *fd = -1;
    }
  }
  if (rtcp_sink_ >= 0) ::close(rtcp_sink_);
  rtcp_sink_ = -1;
}

}  // namespace callcast::loadgen
