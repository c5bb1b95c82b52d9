#include "loadgen/webrtc_viewer_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <openssl/rand.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "rtp/byte_io.hpp"
#include "rtp/rtcp.hpp"
#include "sdp/session_description.hpp"

namespace callcast::loadgen {
namespace {

// RFC 8445 §5.1.2.1 with type preference 126 (host), local preference 65535, component 1.
constexpr std::uint32_t kHostPriority = (126u << 24) | (65535u << 8) | 255u;

template <typename T>
T client_random() {
  T value{};
  RAND_bytes(reinterpret_cast<unsigned char*>(&value), sizeof value);
  return value;
}

std::string client_strerror(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

// `a=` attribute of the m= line, else of the session.
std::optional<std::string_view> client_attribute(const sdp::SessionDescription& sdp,
                                                 const sdp::MediaDescription& media,
                                                 std::string_view name) {
  if (auto value = media.attribute(name)) return value;
  return sdp.attribute(name);
}

std::vector<std::string_view> client_words(std::string_view text) {
  std::vector<std::string_view> words;
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t start = text.find_first_not_of(' ', at);
    if (start == std::string_view::npos) break;
    const std::size_t end = std::min(text.find(' ', start), text.size());
    words.push_back(text.substr(start, end - start));
    at = end;
  }
  return words;
}

template <typename T>
std::optional<T> client_number(std::string_view text) {
  T value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

bool client_iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

}  // namespace

std::string_view to_string(WebRtcClientState state) {
  switch (state) {
    case WebRtcClientState::offered:
      return "offered";
    case WebRtcClientState::answered:
      return "answered";
    case WebRtcClientState::checking:
      return "checking";
    case WebRtcClientState::handshaking:
      return "handshaking";
    case WebRtcClientState::connected:
      return "connected";
    case WebRtcClientState::failed:
      return "failed";
    case WebRtcClientState::closed:
      return "closed";
  }
  return "?";
}

Result<std::unique_ptr<WebRtcViewerClient>, std::string> WebRtcViewerClient::create(
    WebRtcClientOptions options) {
  std::shared_ptr<const dtls::DtlsCertificate> certificate = options.certificate;
  if (!certificate) {
    auto generated = dtls::DtlsCertificate::generate("callcast-bench");
    if (!generated) return fail("certificate: " + generated.error());
    certificate = std::move(generated).value();
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  if (inet_pton(AF_INET, options.bind_address.c_str(), &address.sin_addr) != 1) {
    return fail("bind address is not IPv4: " + options.bind_address);
  }
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return fail(client_strerror("socket"));
  const int buffer = options.receive_buffer;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buffer, sizeof buffer) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
  }
  if (options.gro) {
    const int on = 1;
    setsockopt(fd, SOL_UDP, UDP_GRO, &on, sizeof on);
  }
  socklen_t size = sizeof address;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    std::string error = client_strerror("bind");
    ::close(fd);
    return fail(std::move(error));
  }
  return std::unique_ptr<WebRtcViewerClient>(new WebRtcViewerClient(
      std::move(options), fd, ntohs(address.sin_port), std::move(certificate)));
}

WebRtcViewerClient::WebRtcViewerClient(WebRtcClientOptions options, int fd, std::uint16_t port,
                                       std::shared_ptr<const dtls::DtlsCertificate> certificate)
    : options_(std::move(options)),
      fd_(fd),
      local_port_(port),
      certificate_(std::move(certificate)),
      local_(ice::IceCredentials::generate()),
      tie_breaker_(client_random<std::uint64_t>()),
      report_ssrc_(client_random<std::uint32_t>() | 1u) {
  offer_ = build_offer();
}

WebRtcViewerClient::~WebRtcViewerClient() {
  if (fd_ >= 0) ::close(fd_);
}

std::string WebRtcViewerClient::build_offer() const {
  // What Chromium's recvonly transceivers offer, cut to what the server reads.
  std::string sdp;
  const auto line = [&sdp](std::string_view text) {
    sdp += text;
    sdp += "\r\n";
  };
  const std::string video_pt = std::to_string(options_.video_payload_type);
  const std::string audio_pt = std::to_string(options_.audio_payload_type);
  line("v=0");
  line("o=- " + std::to_string(client_random<std::uint32_t>() & 0x7fffffffu) + " 2 IN IP4 " +
       options_.bind_address);
  line("s=-");
  line("t=0 0");
  line(options_.audio ? "a=group:BUNDLE 0 1" : "a=group:BUNDLE 0");
  line("a=msid-semantic: WMS");
  const auto transport = [&](std::string_view mid) {
    line("c=IN IP4 0.0.0.0");
    line("a=rtcp:9 IN IP4 0.0.0.0");
    line("a=ice-ufrag:" + local_.ufrag);
    line("a=ice-pwd:" + local_.password);
    line("a=fingerprint:sha-256 " + certificate_->fingerprint());
    line("a=setup:actpass");
    line("a=mid:" + std::string(mid));
    line("a=recvonly");
    line("a=rtcp-mux");
    line("a=rtcp-rsize");
  };
  line("m=video 9 UDP/TLS/RTP/SAVPF " + video_pt);
  transport("0");
  line("a=rtpmap:" + video_pt + " H264/90000");
  line("a=rtcp-fb:" + video_pt + " nack");
  line("a=rtcp-fb:" + video_pt + " nack pli");
  line("a=fmtp:" + video_pt +
       " level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f");
  if (options_.audio) {
    line("m=audio 9 UDP/TLS/RTP/SAVPF " + audio_pt);
    transport("1");
    line("a=rtpmap:" + audio_pt + " opus/48000/2");
    line("a=fmtp:" + audio_pt + " minptime=10;useinbandfec=1");
  }
  return sdp;
}

Result<bool, std::string> WebRtcViewerClient::accept_answer(std::string_view answer) {
  const auto refuse = [this](std::string reason) -> Result<bool, std::string> {
    fail_with("answer: " + reason);
    return fail(error_);
  };
  if (state() != WebRtcClientState::offered) return refuse("already answered");
  auto parsed = sdp::SessionDescription::parse(answer);
  if (!parsed) return refuse("not SDP: " + parsed.error());
  std::optional<sockaddr_in> candidate;
  bool any = false;
  for (const sdp::MediaDescription& media : parsed->media) {
    if (media.port == 0 || media.formats.empty()) continue;  // rejected line
    const auto pt = client_number<unsigned>(media.formats.front());
    if (!pt || *pt > 127) return refuse("bad payload type on m=" + media.media);
    if (media.media == "video") {
      answered_video_pt_ = static_cast<std::uint8_t>(*pt);
    } else if (media.media == "audio") {
      answered_audio_pt_ = static_cast<std::uint8_t>(*pt);
    } else {
      continue;
    }
    any = true;
    const auto ufrag = client_attribute(*parsed, media, "ice-ufrag");
    const auto password = client_attribute(*parsed, media, "ice-pwd");
    const auto fingerprint = client_attribute(*parsed, media, "fingerprint");
    if (!ufrag || !password || ufrag->empty() || password->empty()) {
      return refuse("no a=ice-ufrag/a=ice-pwd on m=" + media.media);
    }
    if (!fingerprint) return refuse("no a=fingerprint on m=" + media.media);
    const auto words = client_words(*fingerprint);
    if (words.size() != 2 || !client_iequals(words[0], "sha-256")) {
      return refuse("a=fingerprint is not sha-256: " + std::string(*fingerprint));
    }
    if (remote_ufrag_.empty()) {
      remote_ufrag_ = *ufrag;
      remote_password_ = *password;
      if (remote_fingerprint_.empty()) remote_fingerprint_ = words[1];
    }
    for (const std::string_view ssrc_line : media.attributes("ssrc")) {
      const auto words_of_ssrc = client_words(ssrc_line);
      if (words_of_ssrc.empty()) continue;
      const auto ssrc = client_number<std::uint32_t>(words_of_ssrc[0]);
      if (!ssrc) return refuse("bad a=ssrc: " + std::string(ssrc_line));
      if (std::find(announced_ssrcs_.begin(), announced_ssrcs_.end(), *ssrc) ==
          announced_ssrcs_.end()) {
        announced_ssrcs_.push_back(*ssrc);
      }
    }
    for (const std::string_view text : media.attributes("candidate")) {
      if (candidate) break;
      // foundation component transport priority address port "typ" type ...
      const auto words_of_candidate = client_words(text);
      if (words_of_candidate.size() < 8 || !client_iequals(words_of_candidate[2], "udp")) continue;
      sockaddr_in address{};
      address.sin_family = AF_INET;
      const std::string host(words_of_candidate[4]);
      const auto port = client_number<std::uint16_t>(words_of_candidate[5]);
      if (!port || *port == 0 || inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) {
        continue;
      }
      address.sin_port = htons(*port);
      candidate = address;
    }
  }
  if (!any) return refuse("no accepted audio or video line");
  if (answered_video_pt_ == 0 && !answered_audio_pt_) return refuse("no accepted line");
  if (!candidate) return refuse("no IPv4 UDP a=candidate");
  if (connect(fd_, reinterpret_cast<const sockaddr*>(&*candidate), sizeof *candidate) != 0) {
    return refuse(client_strerror("connect"));
  }
  state_.store(WebRtcClientState::answered, std::memory_order_release);
  return true;
}

void WebRtcViewerClient::start(Clock::time_point now) {
  if (state() != WebRtcClientState::answered) return;
  started_ = now;
  state_.store(WebRtcClientState::checking, std::memory_order_release);
  send_check(true, now);
  next_check_ = now + options_.check_interval;
  plan_timer();
}

void WebRtcViewerClient::send_check(bool nominate, Clock::time_point) {
  ice::BindingRequestOptions request;
  request.username = remote_ufrag_ + ":" + local_.ufrag;
  request.password = remote_password_;
  request.priority = kHostPriority;
  request.ice_controlling = tie_breaker_;
  request.use_candidate = nominate;
  request.transaction = ice::random_transaction_id();
  pending_check_ = request.transaction;
  const auto datagram = ice::binding_request(request);
  ++counters_.checks_sent;
  send_raw(datagram);
}

void WebRtcViewerClient::on_datagram(std::span<std::uint8_t> datagram, Clock::time_point now,
                                     const MediaSink& sink) {
  ++counters_.datagrams;
  const WebRtcClientState current = state();
  if (datagram.empty() || current == WebRtcClientState::failed ||
      current == WebRtcClientState::closed) {
    ++counters_.stray;
    return;
  }
  const std::uint8_t first = datagram[0];
  if (first < 4) return on_stun(datagram, now);
  if (first >= 20 && first < 64) return on_dtls(datagram, now);
  if (first >= 128 && first < 192) return on_srtp(datagram, sink);
  ++counters_.stray;
}

std::size_t WebRtcViewerClient::receive(Clock::time_point now, const MediaSink& sink) {
  std::array<std::uint8_t, 2048> buffer{};
  std::size_t count = 0;
  for (;;) {
    const ssize_t got = recv(fd_, buffer.data(), buffer.size(), MSG_DONTWAIT);
    if (got < 0) break;
    ++count;
    on_datagram(std::span<std::uint8_t>(buffer.data(), static_cast<std::size_t>(got)), now, sink);
  }
  return count;
}

void WebRtcViewerClient::on_stun(std::span<const std::uint8_t> datagram, Clock::time_point now) {
  auto message = ice::parse_stun(datagram);
  if (!message) {
    ++counters_.stray;
    return;
  }
  // A lite server sends no requests: only the answer to our latest check counts.
  if (!pending_check_ || message->transaction != *pending_check_ ||
      !(message->is_binding_success() || message->is_binding_error()) ||
      !check_message_integrity(datagram, *message, remote_password_)) {
    ++counters_.stun_rejected;
    return;
  }
  if (message->is_binding_error()) {
    ++counters_.stun_rejected;  // retried at the next check; the connect timeout bounds it
    if (message->error) {
      error_ =
          "Binding error " + std::to_string(message->error->code) + " " + message->error->reason;
    }
    return;
  }
  ++counters_.stun_answers;
  pending_check_.reset();
  if (state() != WebRtcClientState::checking) return;  // a consent check's answer
  ice_time_ = std::chrono::duration_cast<std::chrono::microseconds>(now - started_);
  error_.clear();
  state_.store(WebRtcClientState::handshaking, std::memory_order_release);
  next_check_ = now + options_.consent_interval;
  dtls_ = std::make_unique<dtls::DtlsTransport>(
      certificate_, dtls::DtlsRole::client, remote_fingerprint_,
      [this](std::span<const std::uint8_t> flight) { send_raw(flight); });
  if (dtls_->state() == dtls::DtlsState::failed) return fail_with("DTLS: " + dtls_->error());
  dtls_->start();
  if (dtls_->state() == dtls::DtlsState::failed) return fail_with("DTLS: " + dtls_->error());
  update_dtls_timer(now);
  plan_timer();
}

void WebRtcViewerClient::on_dtls(std::span<const std::uint8_t> datagram, Clock::time_point now) {
  if (!dtls_) {
    ++counters_.stray;
    return;
  }
  ++counters_.dtls_datagrams;
  dtls_->receive(datagram);
  switch (dtls_->state()) {
    case dtls::DtlsState::failed:
      return fail_with("DTLS: " + dtls_->error());
    case dtls::DtlsState::closed:
      state_.store(WebRtcClientState::closed, std::memory_order_release);
      next_timer_ = Clock::time_point::max();
      return;
    case dtls::DtlsState::connected:
      if (!srtp_) {
        auto session = dtls::SrtpSession::create(*dtls_->keys());
        if (!session) return fail_with("SRTP: " + session.error());
        srtp_ = std::move(session).value();
        connect_time_ = std::chrono::duration_cast<std::chrono::microseconds>(now - started_);
        next_report_ = now + options_.report_interval;
        state_.store(WebRtcClientState::connected, std::memory_order_release);
      }
      break;
    case dtls::DtlsState::handshaking:
      break;
  }
  update_dtls_timer(now);
  plan_timer();
}

void WebRtcViewerClient::on_srtp(std::span<std::uint8_t> datagram, const MediaSink& sink) {
  if (!srtp_) {
    ++counters_.stray;  // media before our keys: nothing to decrypt it with
    return;
  }
  // RFC 5761 §4: RTCP packet types 192-223 sit where RTP has marker + payload type.
  if (datagram.size() >= 2 && datagram[1] >= 192 && datagram[1] <= 223) {
    if (srtp_->unprotect_rtcp(datagram, datagram.size())) {
      ++counters_.srtcp_packets;
    } else {
      ++counters_.decrypt_failures;
    }
    return;
  }
  auto opened = srtp_->unprotect_rtp(datagram, datagram.size());
  if (!opened || *opened < 12) {
    ++counters_.decrypt_failures;
    return;
  }
  const std::span<const std::uint8_t> rtp(datagram.data(), *opened);
  ++counters_.srtp_packets;
  counters_.srtp_bytes += rtp.size();
  const std::uint32_t ssrc = rtp::read_u32(rtp.data() + 8);
  const std::uint16_t sequence = rtp::read_u16(rtp.data() + 2);
  const std::uint8_t payload_type = rtp[1] & 0x7f;
  auto stream = std::find_if(streams_.begin(), streams_.end(),
                             [ssrc](const WebRtcStreamReception& s) { return s.ssrc == ssrc; });
  if (stream == streams_.end()) {
    WebRtcStreamReception fresh;
    fresh.ssrc = ssrc;
    fresh.payload_type = payload_type;
    fresh.video = payload_type == answered_video_pt_;
    // Extended numbers start one cycle up, so that a packet reordered before the first one
    // does not wrap below zero.
    fresh.first_sequence = fresh.highest_sequence = (std::uint64_t{1} << 16) | sequence;
    streams_.push_back(fresh);
    stream = streams_.end() - 1;
  } else {
    const auto delta = static_cast<std::int16_t>(static_cast<std::uint16_t>(
        sequence - static_cast<std::uint16_t>(stream->highest_sequence)));
    if (delta > 0) stream->highest_sequence += static_cast<std::uint64_t>(delta);
    const std::uint64_t extended =
        stream->highest_sequence - static_cast<std::uint64_t>(delta > 0 ? 0 : -delta);
    if (extended < stream->first_sequence) stream->first_sequence = extended;
  }
  ++stream->packets;
  stream->bytes += rtp.size();
  if (sink) sink(stream->video, rtp);
}

void WebRtcViewerClient::send_report() {
  if (!srtp_) return;
  std::vector<rtp::ReportBlock> blocks;
  for (WebRtcStreamReception& stream : streams_) {
    if (blocks.size() == 31) break;  // RC is 5 bits
    rtp::ReportBlock block;
    block.ssrc = stream.ssrc;
    const std::uint64_t expected = stream.expected() - stream.reported_expected;
    const std::uint64_t received = stream.packets - stream.reported_packets;
    if (expected > received) {
      block.fraction_lost = static_cast<std::uint8_t>(
          std::min<std::uint64_t>(255, ((expected - received) << 8) / expected));
    }
    block.cumulative_lost =
        static_cast<std::int32_t>(std::min<std::uint64_t>(stream.lost(), 0x7fffff));
    block.highest_sequence = static_cast<std::uint32_t>(stream.highest_sequence - (1u << 16));
    stream.reported_expected = stream.expected();
    stream.reported_packets = stream.packets;
    blocks.push_back(block);
  }
  std::array<std::uint8_t, 1024> buffer{};
  const std::size_t room = buffer.size() - dtls::SrtpSession::kMaxTrailer;
  const std::size_t size = rtp::write_receiver_report(std::span<std::uint8_t>(buffer.data(), room),
                                                      report_ssrc_, blocks);
  if (size == 0) return;
  auto sealed = srtp_->protect_rtcp(buffer, size);
  if (!sealed) {
    ++counters_.send_errors;
    return;
  }
  ++counters_.reports_sent;
  send_raw(std::span<const std::uint8_t>(buffer.data(), *sealed));
}

void WebRtcViewerClient::on_timer(Clock::time_point now) {
  const WebRtcClientState current = state();
  if (current == WebRtcClientState::failed || current == WebRtcClientState::closed ||
      current == WebRtcClientState::offered || current == WebRtcClientState::answered) {
    next_timer_ = Clock::time_point::max();
    return;
  }
  if (current != WebRtcClientState::connected && now - started_ >= options_.connect_timeout) {
    return fail_with("not connected after " + std::to_string(options_.connect_timeout.count()) +
                     " ms (" + std::string(to_string(current)) + ")" +
                     (error_.empty() ? "" : ": " + error_));
  }
  if (now >= next_check_) {
    if (current == WebRtcClientState::checking) {
      send_check(true, now);
      next_check_ = now + options_.check_interval;
    } else {
      send_check(false, now);  // consent (RFC 7675 §5.1)
      next_check_ = now + options_.consent_interval;
    }
  }
  if (dtls_ && now >= dtls_due_) {
    dtls_->on_timeout();
    if (dtls_->state() == dtls::DtlsState::failed) return fail_with("DTLS: " + dtls_->error());
    update_dtls_timer(now);
  }
  if (current == WebRtcClientState::connected && now >= next_report_) {
    send_report();
    next_report_ = now + options_.report_interval;
  }
  plan_timer();
}

bool WebRtcViewerClient::send_raw(std::span<const std::uint8_t> datagram) {
  if (::send(fd_, datagram.data(), datagram.size(), MSG_DONTWAIT) < 0) {
    ++counters_.send_errors;
    return false;
  }
  return true;
}

void WebRtcViewerClient::close() {
  const WebRtcClientState current = state();
  if (current == WebRtcClientState::closed) return;
  if (dtls_ && dtls_->state() == dtls::DtlsState::connected) dtls_->close();
  state_.store(WebRtcClientState::closed, std::memory_order_release);
  next_timer_ = Clock::time_point::max();
}

std::optional<dtls::SrtpProfile> WebRtcViewerClient::srtp_profile() const {
  if (!srtp_) return std::nullopt;
  return srtp_->profile();
}

void WebRtcViewerClient::fail_with(std::string reason) {
  error_ = std::move(reason);
  state_.store(WebRtcClientState::failed, std::memory_order_release);
  next_timer_ = Clock::time_point::max();
}

void WebRtcViewerClient::update_dtls_timer(Clock::time_point now) {
  const auto due = dtls_ ? dtls_->next_timeout() : std::nullopt;
  dtls_due_ = due ? now + *due : Clock::time_point::max();
}

void WebRtcViewerClient::plan_timer() {
  const WebRtcClientState current = state();
  if (current == WebRtcClientState::failed || current == WebRtcClientState::closed) {
    next_timer_ = Clock::time_point::max();
    return;
  }
  next_timer_ = std::min({next_check_, dtls_due_, next_report_});
  if (current != WebRtcClientState::connected) {
    next_timer_ = std::min(next_timer_, started_ + options_.connect_timeout);
  }
}

}  // namespace callcast::loadgen
