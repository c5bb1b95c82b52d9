// Fuzzes the bench's WebRTC viewer (src/loadgen/webrtc_viewer_client.hpp) where it reads what a
// server sends it: the SDP answer, and the datagrams on its socket (STUN, DTLS, SRTP/SRTCP by
// first byte, RFC 7983). First input byte even: the rest is an answer. Odd: a fixed valid answer
// is taken, the client started, and the rest is datagrams, each as a 2-byte big-endian length
// and that many bytes, then its timers run. Invariants: nothing crashes or reads out of bounds;
// a refused answer leaves the client failed; nothing unauthenticated gets it past ICE (the
// datagrams never carry the server's MESSAGE-INTEGRITY key, so it stays `checking`); no garbage
// counts as media.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dtls/dtls_certificate.hpp"
#include "loadgen/webrtc_viewer_client.hpp"

using callcast::loadgen::WebRtcClientOptions;
using callcast::loadgen::WebRtcClientState;
using callcast::loadgen::WebRtcViewerClient;

namespace {

std::shared_ptr<const callcast::dtls::DtlsCertificate> shared_certificate() {
  static const std::shared_ptr<const callcast::dtls::DtlsCertificate> certificate = [] {
    auto generated = callcast::dtls::DtlsCertificate::generate("fuzz");
    return generated ? std::move(generated).value() : nullptr;
  }();
  return certificate;
}

constexpr std::string_view kAnswer =
    "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=ice-lite\r\na=group:BUNDLE 0\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 127.0.0.1\r\na=mid:0\r\n"
    "a=ice-ufrag:srv1UFRG\r\na=ice-pwd:server-password-24-chars\r\n"
    "a=fingerprint:sha-256 "
    "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:"
    "EE:FF\r\n"
    "a=setup:passive\r\na=rtcp-mux\r\na=sendonly\r\na=rtpmap:96 H264/90000\r\n"
    "a=ssrc:1234 cname:x\r\na=candidate:1 1 udp 2130706431 127.0.0.1 9 typ host\r\n";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0 || !shared_certificate()) return 0;
  WebRtcClientOptions options;
  options.certificate = shared_certificate();
  auto created = WebRtcViewerClient::create(options);
  if (!created) return 0;  // no socket left: not the parser's business
  WebRtcViewerClient& client = **created;
  const std::span<const std::uint8_t> rest(data + 1, size - 1);
  if ((data[0] & 1) == 0) {
    const std::string_view answer(reinterpret_cast<const char*>(rest.data()), rest.size());
    const auto accepted = client.accept_answer(answer);
    if (!accepted && client.state() != WebRtcClientState::failed) __builtin_trap();
    if (accepted && client.state() != WebRtcClientState::answered) __builtin_trap();
    return 0;
  }
  if (!client.accept_answer(kAnswer)) __builtin_trap();
  auto now = WebRtcViewerClient::Clock::now();
  client.start(now);
  std::size_t media = 0;
  const WebRtcViewerClient::MediaSink sink = [&media](bool, std::span<const std::uint8_t>) {
    ++media;
  };
  std::vector<std::uint8_t> datagram;
  std::size_t at = 0;
  while (at + 2 <= rest.size()) {
    const std::size_t length = std::size_t{rest[at]} << 8 | rest[at + 1];
    at += 2;
    const std::size_t take = std::min(length, rest.size() - at);
    datagram.assign(rest.begin() + static_cast<std::ptrdiff_t>(at),
                    rest.begin() + static_cast<std::ptrdiff_t>(at + take));
    at += take;
    client.on_datagram(datagram, now, sink);
    now += std::chrono::milliseconds(150);
    if (client.next_timer() <= now) client.on_timer(now);
  }
  // Without the server's ICE password nothing gets past the checks, so nothing is decrypted.
  if (client.state() != WebRtcClientState::checking && client.state() != WebRtcClientState::failed)
    __builtin_trap();
  if (media != 0 || client.counters().srtp_packets != 0) __builtin_trap();
  return 0;
}
