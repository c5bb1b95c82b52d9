// The bench's WebRTC viewer (issue 14) against a server made of the same libraries callcastd
// uses (ice::IceLiteSession, dtls::DtlsTransport as the DTLS server, dtls::SrtpSession) on a real
// UDP socket: its offer, ICE, the DTLS client handshake, SRTP decryption and loss counting, its
// SRTCP receiver reports; a wrong fingerprint, garbage and foreign SRTP; malformed answers.
#include "loadgen/webrtc_viewer_client.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <thread>

#include "dtls/dtls_certificate.hpp"
#include "dtls/dtls_transport.hpp"
#include "dtls/srtp_session.hpp"
#include "ice/ice_credentials.hpp"
#include "ice/ice_lite_session.hpp"
#include "ice/stun_message.hpp"
#include "rtp/byte_io.hpp"
#include "rtp/rtcp.hpp"
#include "sdp/session_description.hpp"

namespace callcast::loadgen::webrtc_viewer_client_test {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr std::uint32_t kVideoSsrc = 0x11111111;
constexpr std::uint32_t kAudioSsrc = 0x22222222;

// One browser's server side, as callcastd's WebRtcViewers is, on its own socket.
class FakeServer {
 public:
  FakeServer() : fd_(socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    EXPECT_EQ(getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size), 0);
    port_ = ntohs(address.sin_port);
    certificate_ = dtls::DtlsCertificate::generate("fake-server").value();
  }
  ~FakeServer() { close(fd_); }

  // The answer to `client`'s offer, as callcastd writes it (the parts the client reads).
  std::string answer(const WebRtcViewerClient& client, bool audio = true) {
    ice_.emplace(credentials_, client.credentials().ufrag, client.credentials().password);
    dtls_ = std::make_unique<dtls::DtlsTransport>(
        certificate_, dtls::DtlsRole::server, client.certificate().fingerprint(),
        [this](std::span<const std::uint8_t> datagram) { send(datagram); });
    dtls_->start();
    std::string sdp = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=ice-lite\r\n";
    sdp += audio ? "a=group:BUNDLE 0 1\r\n" : "a=group:BUNDLE 0\r\n";
    const auto media = [&](const std::string& kind, int pt, const std::string& mid,
                           std::uint32_t ssrc, const std::string& rtpmap) {
      sdp += "m=" + kind + " 9 UDP/TLS/RTP/SAVPF " + std::to_string(pt) + "\r\n";
      sdp += "c=IN IP4 127.0.0.1\r\na=mid:" + mid + "\r\n";
      sdp +=
          "a=ice-ufrag:" + credentials_.ufrag + "\r\na=ice-pwd:" + credentials_.password + "\r\n";
      sdp += "a=fingerprint:sha-256 " + certificate_->fingerprint() + "\r\n";
      sdp += "a=setup:passive\r\na=rtcp-mux\r\na=sendonly\r\n";
      sdp += "a=rtpmap:" + std::to_string(pt) + " " + rtpmap + "\r\n";
      sdp += "a=ssrc:" + std::to_string(ssrc) + " cname:fake\r\n";
      sdp += "a=candidate:1 1 udp 2130706431 127.0.0.1 " + std::to_string(port_) +
             " typ host\r\na=end-of-candidates\r\n";
    };
    media("video", 96, "0", kVideoSsrc, "H264/90000");
    if (audio) media("audio", 111, "1", kAudioSsrc, "opus/48000/2");
    return sdp;
  }

  // Reads and answers what arrived: STUN checks, DTLS, SRTCP.
  void poll(Clock::time_point now) {
    std::array<std::uint8_t, 2048> buffer{};
    for (;;) {
      sockaddr_in from{};
      socklen_t size = sizeof from;
      const ssize_t got =
          recvfrom(fd_, buffer.data(), buffer.size(), 0, reinterpret_cast<sockaddr*>(&from), &size);
      if (got <= 0) break;
      client_ = from;
      const std::span<std::uint8_t> datagram(buffer.data(), static_cast<std::size_t>(got));
      if (datagram[0] < 4) {
        auto message = ice::parse_stun(datagram);
        if (!message || !ice_) continue;
        const boost::asio::ip::udp::endpoint endpoint(
            boost::asio::ip::make_address_v4(ntohl(from.sin_addr.s_addr)), ntohs(from.sin_port));
        const ice::IceReply reply = ice_->on_binding_request(datagram, *message, endpoint, now);
        if (reply.valid) ++checks_;
        if (reply.nominated) ++nominations_;
        if (!reply.response.empty()) send(reply.response);
      } else if (datagram[0] >= 20 && datagram[0] < 64 && dtls_) {
        dtls_->receive(datagram);
        if (dtls_->state() == dtls::DtlsState::connected && !srtp_) {
          srtp_ = dtls::SrtpSession::create(*dtls_->keys()).value();
        }
      } else if (datagram[0] >= 128 && srtp_) {
        auto opened = srtp_->unprotect_rtcp(datagram, datagram.size());
        if (!opened) continue;
        auto compound = rtp::RtcpCompoundView::parse(datagram.first(*opened));
        if (!compound) continue;
        for (const auto& packet : *compound) {
          if (auto report = rtp::parse_receiver_report(packet)) reports_.push_back(*report);
        }
      }
    }
    if (dtls_) {
      if (auto due = dtls_->next_timeout(); due && due->count() <= 0) dtls_->on_timeout();
    }
  }

  // One SRTP packet of `ssrc` to the client.
  void send_media(std::uint32_t ssrc, std::uint8_t payload_type, std::uint16_t sequence,
                  std::size_t payload = 1000) {
    std::array<std::uint8_t, 1500> packet{};
    packet[0] = 0x80;
    packet[1] = payload_type;
    rtp::write_u16(packet.data() + 2, sequence);
    rtp::write_u32(packet.data() + 4, sequence * 3000u);
    rtp::write_u32(packet.data() + 8, ssrc);
    for (std::size_t i = 0; i < payload; ++i)
      packet[12 + i] = static_cast<std::uint8_t>(i + sequence);
    const auto sealed = srtp_->protect_rtp(packet, 12 + payload).value();
    send(std::span<const std::uint8_t>(packet.data(), sealed));
  }

  void send(std::span<const std::uint8_t> datagram) {
    if (client_.sin_port == 0) return;
    sendto(fd_, datagram.data(), datagram.size(), 0, reinterpret_cast<const sockaddr*>(&client_),
           sizeof client_);
  }

  bool keyed() const { return srtp_ != nullptr; }
  dtls::DtlsTransport* dtls() { return dtls_.get(); }
  int checks() const { return checks_; }
  int nominations() const { return nominations_; }
  const std::vector<rtp::ReceiverReport>& reports() const { return reports_; }

 private:
  int fd_;
  std::uint16_t port_ = 0;
  std::shared_ptr<const dtls::DtlsCertificate> certificate_;
  ice::IceCredentials credentials_ = ice::IceCredentials::generate();
  std::optional<ice::IceLiteSession> ice_;
  std::unique_ptr<dtls::DtlsTransport> dtls_;
  std::unique_ptr<dtls::SrtpSession> srtp_;
  sockaddr_in client_{};
  int checks_ = 0;
  int nominations_ = 0;
  std::vector<rtp::ReceiverReport> reports_;
};

struct Received {
  int video = 0;
  int audio = 0;
};

// Runs client and server until `done` or 5 s.
template <typename Done>
bool pump(WebRtcViewerClient& client, FakeServer& server, Received& received, Done done) {
  const WebRtcViewerClient::MediaSink sink = [&received](bool video,
                                                         std::span<const std::uint8_t> rtp) {
    EXPECT_GE(rtp.size(), 12U);
    (video ? received.video : received.audio) += 1;
  };
  const auto deadline = Clock::now() + 5s;
  while (Clock::now() < deadline) {
    const auto now = Clock::now();
    server.poll(now);
    client.receive(now, sink);
    if (client.next_timer() <= now) client.on_timer(now);
    if (done()) return true;
    std::this_thread::sleep_for(1ms);
  }
  return false;
}

std::unique_ptr<WebRtcViewerClient> make_client(WebRtcClientOptions options = {}) {
  options.check_interval = 20ms;
  options.report_interval = 50ms;
  return WebRtcViewerClient::create(std::move(options)).value();
}

TEST(WebRtcViewerClient, OffersWhatABrowserOffers) {
  auto client = make_client();
  auto sdp = sdp::SessionDescription::parse(client->offer());
  ASSERT_TRUE(sdp) << sdp.error();
  ASSERT_EQ(sdp->media.size(), 2U);
  EXPECT_EQ(sdp->attribute("group"), "BUNDLE 0 1");
  const auto& video = sdp->media[0];
  EXPECT_EQ(video.media, "video");
  EXPECT_EQ(video.proto, "UDP/TLS/RTP/SAVPF");
  EXPECT_EQ(video.attribute("setup"), "actpass");
  EXPECT_EQ(video.attribute("ice-ufrag"), client->credentials().ufrag);
  EXPECT_EQ(video.attribute("fingerprint"), "sha-256 " + client->certificate().fingerprint());
  EXPECT_TRUE(video.attribute("recvonly"));
  EXPECT_TRUE(video.attribute("rtcp-mux"));
  EXPECT_EQ(sdp::fmtp_for(video, 96).value_or(""),
            "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f");
  EXPECT_EQ(sdp->media[1].media, "audio");
  EXPECT_EQ(sdp::rtpmap_for(sdp->media[1], 111)->encoding, "opus");

  WebRtcClientOptions video_only;
  video_only.audio = false;
  auto quiet = make_client(video_only);
  EXPECT_EQ(sdp::SessionDescription::parse(quiet->offer())->media.size(), 1U);
}

TEST(WebRtcViewerClient, ConnectsDecryptsCountsLossAndReports) {
  FakeServer server;
  auto client = make_client();
  ASSERT_TRUE(client->accept_answer(server.answer(*client)));
  EXPECT_EQ(client->state(), WebRtcClientState::answered);
  EXPECT_EQ(client->announced_ssrcs(), (std::vector<std::uint32_t>{kVideoSsrc, kAudioSsrc}));
  client->start(Clock::now());
  Received received;
  ASSERT_TRUE(
      pump(*client, server, received, [&] { return client->connected() && server.keyed(); }))
      << to_string(client->state()) << ": " << client->error();
  EXPECT_GE(server.nominations(), 1);
  EXPECT_TRUE(client->ice_time());
  EXPECT_TRUE(client->connect_time());
  EXPECT_TRUE(client->srtp_profile());

  // Video 100..119 without 105 and 106; audio 7..9.
  for (std::uint16_t sequence = 100; sequence < 120; ++sequence) {
    if (sequence != 105 && sequence != 106) server.send_media(kVideoSsrc, 96, sequence);
  }
  for (std::uint16_t sequence = 7; sequence < 10; ++sequence)
    server.send_media(kAudioSsrc, 111, sequence, 80);
  ASSERT_TRUE(pump(
      *client, server, received,
      [&] { return received.video == 18 && received.audio == 3 && !server.reports().empty(); }))
      << received.video << " video, " << received.audio << " audio, " << server.reports().size()
      << " reports";
  EXPECT_EQ(client->counters().srtp_packets, 21U);
  EXPECT_EQ(client->counters().decrypt_failures, 0U);
  ASSERT_EQ(client->streams().size(), 2U);
  const WebRtcStreamReception& video = client->streams()[0];
  EXPECT_TRUE(video.video);
  EXPECT_EQ(video.ssrc, kVideoSsrc);
  EXPECT_EQ(video.packets, 18U);
  EXPECT_EQ(video.expected(), 20U);
  EXPECT_EQ(video.lost(), 2U);
  EXPECT_FALSE(client->streams()[1].video);
  EXPECT_EQ(client->streams()[1].lost(), 0U);

  // The server decrypted the SRTCP receiver report: blocks for both SSRCs, the gap in it.
  ASSERT_TRUE(pump(*client, server, received, [&] {
    const auto& last = server.reports().back();
    return last.block_count == 2 && last.blocks[0].cumulative_lost == 2;
  }));
  const auto& block = server.reports().back().blocks[0];
  EXPECT_EQ(block.ssrc, kVideoSsrc);
  EXPECT_EQ(block.highest_sequence, 119U);

  client->close();
  EXPECT_EQ(client->state(), WebRtcClientState::closed);
  ASSERT_TRUE(pump(*client, server, received,
                   [&] { return server.dtls()->state() == dtls::DtlsState::closed; }));
}

TEST(WebRtcViewerClient, AWrongFingerprintFailsTheHandshake) {
  FakeServer server;
  auto client = make_client();
  ASSERT_TRUE(client->accept_answer(server.answer(*client)));
  const auto stranger = dtls::DtlsCertificate::generate("stranger").value();
  client->expect_fingerprint(stranger->fingerprint());
  client->start(Clock::now());
  Received received;
  ASSERT_TRUE(pump(*client, server, received, [&] {
    return client->state() == WebRtcClientState::failed;
  })) << to_string(client->state());
  EXPECT_NE(client->error().find("DTLS"), std::string::npos) << client->error();
  EXPECT_FALSE(client->connect_time());
}

TEST(WebRtcViewerClient, GarbageAndForeignSrtpAreCountedNotFatal) {
  FakeServer server;
  auto client = make_client();
  ASSERT_TRUE(client->accept_answer(server.answer(*client, false)));
  client->start(Clock::now());
  Received received;
  // Before the keys: SRTP-looking bytes are stray.
  std::array<std::uint8_t, 40> rtp_like{};
  rtp_like[0] = 0x80;
  rtp_like[1] = 96;
  const auto now = Clock::now();
  client->on_datagram(rtp_like, now, {});
  EXPECT_EQ(client->counters().stray, 1U);
  ASSERT_TRUE(pump(*client, server, received, [&] { return client->connected(); }))
      << client->error();

  // Every first byte, as if from the server: a fake STUN answer, junk DTLS, junk SRTP and SRTCP,
  // bytes RFC 7983 gives to nobody, and empty.
  std::array<std::uint8_t, 64> junk{};
  for (std::size_t i = 0; i < junk.size(); ++i)
    junk[i] = static_cast<std::uint8_t>(i * 37 + 5);
  for (const int first : {0x01, 0x17, 0x40, 0x80, 0x81, 0xff}) {
    auto copy = junk;
    copy[0] = static_cast<std::uint8_t>(first);
    if (first == 0x80) copy[1] = 96;
    if (first == 0x81) copy[1] = 201;  // an RR's packet type: SRTCP
    server.send(copy);
  }
  server.send(std::span<const std::uint8_t>());
  // A genuine STUN success response for a transaction it never sent.
  ice::StunBuilder stray_answer(ice::kBindingSuccess, ice::random_transaction_id());
  server.send(stray_answer.finish(std::nullopt, true));
  server.send_media(kVideoSsrc, 96, 1);
  ASSERT_TRUE(pump(*client, server, received, [&] { return received.video == 1; }));
  EXPECT_EQ(client->state(), WebRtcClientState::connected) << client->error();
  EXPECT_EQ(client->counters().decrypt_failures, 2U)  // the junk SRTP and SRTCP
      << "stray " << client->counters().stray << ", srtcp " << client->counters().srtcp_packets
      << ", dtls " << client->counters().dtls_datagrams << ", datagrams "
      << client->counters().datagrams;
  // Before the keys, the junk STUN (unparsable), 0x40, 0xff, the empty one.
  EXPECT_GE(client->counters().stray, 5U);
  EXPECT_GE(client->counters().stun_rejected, 1U);  // the answer to nothing it asked
}

TEST(WebRtcViewerClient, RefusesMalformedAnswers) {
  FakeServer server;
  const auto refused = [&](const std::string& answer) {
    auto client = make_client();
    auto result = client->accept_answer(answer);
    EXPECT_EQ(client->state(), WebRtcClientState::failed);
    return result ? std::string() : result.error();
  };
  auto reference = make_client();
  const std::string good = server.answer(*reference);
  EXPECT_NE(refused("not sdp").find("not SDP"), std::string::npos);
  const auto without = [&good](std::string_view prefix) {
    std::string text;
    std::size_t at = 0;
    while (at < good.size()) {
      const std::size_t end = good.find("\r\n", at);
      const std::string_view line(good.data() + at, end - at);
      if (!line.starts_with(prefix)) text.append(line).append("\r\n");
      at = end + 2;
    }
    return text;
  };
  EXPECT_NE(refused(without("a=candidate")).find("candidate"), std::string::npos);
  EXPECT_NE(refused(without("a=fingerprint")).find("fingerprint"), std::string::npos);
  EXPECT_NE(refused(without("a=ice-pwd")).find("ice-pwd"), std::string::npos);
  std::string md5 = good;
  md5.replace(md5.find("sha-256"), 7, "md5");
  EXPECT_NE(refused(md5).find("sha-256"), std::string::npos);
  // And a good one twice: the second is refused.
  auto client = make_client();
  ASSERT_TRUE(client->accept_answer(good));
  EXPECT_FALSE(client->accept_answer(good));
}

}  // namespace
}  // namespace callcast::loadgen::webrtc_viewer_client_test
