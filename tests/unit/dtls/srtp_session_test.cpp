#include "dtls/srtp_session.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "unit/dtls/dtls_link.hpp"

namespace callcast::dtls::srtp_session_test {
namespace {

// A packet in a buffer with room for the SRTP trailer, as the fan-out's scratch buffers have.
struct Packet {
  std::array<std::uint8_t, 1500> buffer{};
  std::size_t length = 0;
  std::span<std::uint8_t> span() { return buffer; }
  std::vector<std::uint8_t> bytes() const {
    return {buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(length)};
  }
};

// RFC 3550 §5.1 fixed header (V=2, PT=96), then `payload` bytes of a pattern.
Packet rtp_packet(std::uint32_t ssrc, std::uint16_t sequence, std::size_t payload = 1188) {
  Packet p;
  p.buffer[0] = 0x80;
  p.buffer[1] = 96;
  p.buffer[2] = static_cast<std::uint8_t>(sequence >> 8);
  p.buffer[3] = static_cast<std::uint8_t>(sequence);
  const std::uint32_t timestamp = sequence * 3000u;
  for (std::size_t i = 0; i < 4; ++i) {
    p.buffer[4 + i] = static_cast<std::uint8_t>(timestamp >> (24 - 8 * i));
    p.buffer[8 + i] = static_cast<std::uint8_t>(ssrc >> (24 - 8 * i));
  }
  for (std::size_t i = 0; i < payload; ++i) {
    p.buffer[12 + i] = static_cast<std::uint8_t>(i * 7 + sequence);
  }
  p.length = 12 + payload;
  return p;
}

// RFC 3550 §6.4.1 sender report without report blocks (28 bytes).
Packet sender_report(std::uint32_t ssrc, std::uint32_t rtp_timestamp) {
  Packet p;
  const std::array<std::uint8_t, 8> head = {0x80, 200, 0x00, 0x06};
  std::copy(head.begin(), head.begin() + 4, p.buffer.begin());
  for (std::size_t i = 0; i < 4; ++i) {
    p.buffer[4 + i] = static_cast<std::uint8_t>(ssrc >> (24 - 8 * i));
    p.buffer[16 + i] = static_cast<std::uint8_t>(rtp_timestamp >> (24 - 8 * i));
  }
  p.buffer[8] = 0xe9;  // some NTP time
  p.length = 28;
  return p;
}

// A real handshake for the keys; the client offers only `profile`.
struct SessionPair {
  std::unique_ptr<SrtpSession> client;  // protects (the browser, here)
  std::unique_ptr<SrtpSession> server;  // unprotects
};

SessionPair sessions_from_handshake(SrtpProfile profile) {
  test_link::DtlsLink::Setup setup;
  setup.client_options.srtp_profiles = {profile};
  test_link::DtlsLink link(setup);
  link.handshake();
  EXPECT_TRUE(link.both_connected());
  if (!link.both_connected()) return {};
  EXPECT_EQ(link.client->keys()->profile, profile);
  auto client = SrtpSession::create(*link.client->keys());
  auto server = SrtpSession::create(*link.server->keys());
  EXPECT_TRUE(client.ok() && server.ok());
  if (!client.ok() || !server.ok()) return {};
  return {std::move(client).value(), std::move(server).value()};
}

std::size_t rtp_tag_length(SrtpProfile profile) {
  return profile == SrtpProfile::aead_aes_128_gcm ? 16 : 10;
}

class SrtpSessionTest : public ::testing::TestWithParam<SrtpProfile> {
 protected:
  void SetUp() override {
    sessions_ = sessions_from_handshake(GetParam());
    ASSERT_NE(sessions_.client, nullptr);
    ASSERT_NE(sessions_.server, nullptr);
  }
  SrtpSession& sender() { return *sessions_.client; }
  SrtpSession& receiver() { return *sessions_.server; }

  // Protects a copy of `plain` with the sender.
  Packet protect(Packet plain) {
    const auto length = sender().protect_rtp(plain.span(), plain.length);
    EXPECT_TRUE(length.ok()) << length.error();
    plain.length = length.ok() ? *length : 0;
    return plain;
  }

 private:
  SessionPair sessions_;
};

TEST_P(SrtpSessionTest, RtpRoundTripsAndGrowsByTheTag) {
  const Packet plain = rtp_packet(0x11223344, 1000);
  Packet packet = protect(plain);
  EXPECT_EQ(packet.length, plain.length + rtp_tag_length(GetParam()));
  EXPECT_EQ(std::vector(packet.buffer.begin(), packet.buffer.begin() + 12),
            std::vector(plain.buffer.begin(), plain.buffer.begin() + 12));  // header in clear
  EXPECT_NE(packet.bytes(), plain.bytes());
  const auto length = receiver().unprotect_rtp(packet.span(), packet.length);
  ASSERT_TRUE(length.ok()) << length.error();
  packet.length = *length;
  EXPECT_EQ(packet.bytes(), plain.bytes());
  EXPECT_EQ(receiver().profile(), GetParam());
}

TEST_P(SrtpSessionTest, RtcpRoundTripsAndGrowsByIndexAndTag) {
  const Packet plain = sender_report(0x11223344, 90000);
  Packet packet = plain;
  const auto protected_length = sender().protect_rtcp(packet.span(), packet.length);
  ASSERT_TRUE(protected_length.ok()) << protected_length.error();
  EXPECT_EQ(*protected_length, plain.length + 4 + rtp_tag_length(GetParam()));
  packet.length = *protected_length;
  const auto length = receiver().unprotect_rtcp(packet.span(), packet.length);
  ASSERT_TRUE(length.ok()) << length.error();
  packet.length = *length;
  EXPECT_EQ(packet.bytes(), plain.bytes());
}

TEST_P(SrtpSessionTest, FlippedBitFailsAuthentication) {
  Packet packet = protect(rtp_packet(0x11223344, 7));
  packet.buffer[40] ^= 0x01;
  const auto length = receiver().unprotect_rtp(packet.span(), packet.length);
  ASSERT_FALSE(length.ok());
  EXPECT_NE(length.error().find("authentication failed"), std::string::npos) << length.error();

  Packet report = sender_report(0x11223344, 1);
  report.length = *sender().protect_rtcp(report.span(), report.length);
  report.buffer[10] ^= 0x80;
  const auto rtcp = receiver().unprotect_rtcp(report.span(), report.length);
  ASSERT_FALSE(rtcp.ok());
  EXPECT_NE(rtcp.error().find("authentication failed"), std::string::npos) << rtcp.error();
}

TEST_P(SrtpSessionTest, ReplayedPacketIsRefused) {
  const Packet packet = protect(rtp_packet(0x11223344, 500));
  Packet first = packet;
  ASSERT_TRUE(receiver().unprotect_rtp(first.span(), first.length).ok());
  Packet again = packet;
  const auto length = receiver().unprotect_rtp(again.span(), again.length);
  ASSERT_FALSE(length.ok());
  EXPECT_NE(length.error().find("replayed packet"), std::string::npos) << length.error();

  Packet report = sender_report(0x11223344, 1);
  report.length = *sender().protect_rtcp(report.span(), report.length);
  Packet report_copy = report;
  ASSERT_TRUE(receiver().unprotect_rtcp(report.span(), report.length).ok());
  const auto rtcp = receiver().unprotect_rtcp(report_copy.span(), report_copy.length);
  ASSERT_FALSE(rtcp.ok());
  EXPECT_NE(rtcp.error().find("replayed packet"), std::string::npos) << rtcp.error();
}

TEST_P(SrtpSessionTest, RepairWithTheSameSequenceNumberIsProtectedAgain) {
  // The original, later packets, then the repair of the original (a NACK answered, step 709).
  const Packet original = protect(rtp_packet(0x11223344, 100));
  for (std::uint16_t s = 101; s < 110; ++s)
    protect(rtp_packet(0x11223344, s));
  const Packet repair = protect(rtp_packet(0x11223344, 100));
  ASSERT_GT(repair.length, 0u);
  // Same key, index and payload: the same bytes on the wire.
  EXPECT_EQ(repair.bytes(), original.bytes());
  // A receiver that lost the original accepts the repair.
  Packet received = repair;
  const auto length = receiver().unprotect_rtp(received.span(), received.length);
  ASSERT_TRUE(length.ok()) << length.error();
  received.length = *length;
  EXPECT_EQ(received.bytes(), rtp_packet(0x11223344, 100).bytes());
}

TEST_P(SrtpSessionTest, AcrossTheSequenceWrapLiveAndRepairsDecryptAndAPreWrapResendIsRefused) {
  constexpr std::uint32_t kSsrc = 0x0badcafe;
  // Live packets 65533..65535, 0..5 with 2 lost on the way; the receiver takes each.
  std::vector<std::uint16_t> live = {65533, 65534, 65535, 0, 1, 2, 3, 4, 5};
  for (const std::uint16_t sequence : live) {
    Packet sent = protect(rtp_packet(kSsrc, sequence));
    if (sequence == 2) continue;  // lost
    const auto length = receiver().unprotect_rtp(sent.span(), sent.length);
    ASSERT_TRUE(length.ok()) << sequence << ": " << length.error();
  }
  // The repair of 2 (same cycle as the front) is protected with the right index.
  Packet repair = protect(rtp_packet(kSsrc, 2));
  const auto repaired = receiver().unprotect_rtp(repair.span(), repair.length);
  ASSERT_TRUE(repaired.ok()) << repaired.error();
  repair.length = *repaired;
  EXPECT_EQ(repair.bytes(), rtp_packet(kSsrc, 2).bytes());
  // A resend of 65534 (before the wrap) is refused, not protected with the wrong index...
  Packet stale = rtp_packet(kSsrc, 65534);
  const auto refused = sender().protect_rtp(stale.span(), stale.length);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().find("before the sequence number wrapped"), std::string::npos)
      << refused.error();
  // ...and the stream goes on: the next live packets still decrypt.
  for (std::uint16_t sequence = 6; sequence < 10; ++sequence) {
    Packet sent = protect(rtp_packet(kSsrc, sequence));
    const auto length = receiver().unprotect_rtp(sent.span(), sent.length);
    ASSERT_TRUE(length.ok()) << sequence << ": " << length.error();
  }
}

TEST_P(SrtpSessionTest, ManyWrapsKeepTheIndexInStep) {
  constexpr std::uint32_t kSsrc = 0x01020304;
  // 3 cycles of the 16-bit sequence number; the receiver sees every 7th packet (its rollover
  // estimate, RFC 3711 §3.3.1, only needs gaps below 2^15).
  std::uint16_t sequence = 60000;
  for (int i = 0; i < 3 * 65536; ++i, ++sequence) {
    Packet plain = rtp_packet(kSsrc, sequence, 16);
    const auto length = sender().protect_rtp(plain.span(), plain.length);
    ASSERT_TRUE(length.ok()) << length.error();
    if (i % 7 != 0) continue;
    const auto received = receiver().unprotect_rtp(plain.span(), *length);
    ASSERT_TRUE(received.ok()) << "packet " << i << ": " << received.error();
  }
}

TEST_P(SrtpSessionTest, AHeaderExtensionIsAuthenticatedNotEncrypted) {
  // One-byte header extension (RFC 8285), as a publisher's abs-send-time is relayed.
  Packet plain = rtp_packet(0x11223344, 7, 100);
  plain.buffer[0] = 0x90;  // X bit
  const std::array<std::uint8_t, 8> extension = {0xbe, 0xde, 0x00, 0x01, 0x32, 0xaa, 0xbb, 0xcc};
  std::copy(extension.begin(), extension.end(), plain.buffer.begin() + 12);
  const std::vector<std::uint8_t> expected = plain.bytes();
  Packet sent = protect(plain);
  EXPECT_TRUE(std::equal(extension.begin(), extension.end(), sent.buffer.begin() + 12));
  const auto length = receiver().unprotect_rtp(sent.span(), sent.length);
  ASSERT_TRUE(length.ok()) << length.error();
  sent.length = *length;
  EXPECT_EQ(sent.bytes(), expected);
}

TEST_P(SrtpSessionTest, MoreSsrcsThanASessionHoldsAreRefusedClearly) {
  for (std::uint32_t ssrc = 1; ssrc <= 8; ++ssrc) {
    Packet sent = protect(rtp_packet(ssrc, 1));
    ASSERT_TRUE(receiver().unprotect_rtp(sent.span(), sent.length).ok()) << ssrc;
  }
  Packet ninth = rtp_packet(9, 1);
  const auto refused = sender().protect_rtp(ninth.span(), ninth.length);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().find("more SSRCs"), std::string::npos) << refused.error();
  // The first eight go on.
  Packet again = protect(rtp_packet(3, 2));
  EXPECT_TRUE(receiver().unprotect_rtp(again.span(), again.length).ok());
}

TEST_P(SrtpSessionTest, BufferWithoutRoomForTheTrailerIsRefused) {
  Packet plain = rtp_packet(0x11223344, 1);
  const auto length = sender().protect_rtp(
      std::span(plain.buffer.data(), plain.length + SrtpSession::kMaxTrailer - 1), plain.length);
  ASSERT_FALSE(length.ok());
  EXPECT_NE(length.error().find("cannot hold"), std::string::npos) << length.error();
  EXPECT_FALSE(sender().protect_rtp(plain.span(), plain.buffer.size() + 1).ok());
  EXPECT_FALSE(receiver().unprotect_rtp(plain.span(), plain.buffer.size() + 1).ok());
}

TEST_P(SrtpSessionTest, TooShortPacketsAreRefused) {
  for (std::size_t size = 0; size < 12; ++size) {
    Packet packet = rtp_packet(0x11223344, 1);
    EXPECT_FALSE(receiver().unprotect_rtp(packet.span(), size).ok()) << size;
    EXPECT_FALSE(receiver().unprotect_rtcp(packet.span(), size).ok()) << size;
  }
}

// The fan-out worker protects video while the media loop protects audio repairs and RTCP for
// the same viewer, and unprotects what the viewer sends, all at once.
TEST_P(SrtpSessionTest, ProtectFromTwoThreadsWhileUnprotectingOnAThird) {
  constexpr int kPackets = 1500;
  std::vector<Packet> video(kPackets);
  std::vector<Packet> audio(kPackets);
  std::vector<Packet> reports(kPackets / 10);
  // What the viewer sent us, protected beforehand with the receiver's peer (our sender's
  // counterpart would be the browser: here the "server" session unprotects the "client" one's).
  std::vector<Packet> incoming(kPackets);
  for (int i = 0; i < kPackets; ++i) {
    incoming[static_cast<std::size_t>(i)] =
        protect(rtp_packet(0x0b0b0b0b, static_cast<std::uint16_t>(i)));
  }
  std::atomic<int> failures{0};
  std::thread fanout_worker([&] {
    for (int i = 0; i < kPackets; ++i) {
      Packet& p = video[static_cast<std::size_t>(i)];
      p = rtp_packet(0x0a0a0a0a, static_cast<std::uint16_t>(i));
      const auto length = sender().protect_rtp(p.span(), p.length);
      if (!length.ok()) ++failures;
      p.length = length.ok() ? *length : 0;
    }
  });
  std::thread media_loop([&] {
    for (int i = 0; i < kPackets; ++i) {
      Packet& p = audio[static_cast<std::size_t>(i)];
      p = rtp_packet(0x0c0c0c0c, static_cast<std::uint16_t>(i), 160);
      const auto length = sender().protect_rtp(p.span(), p.length);
      if (!length.ok()) ++failures;
      p.length = length.ok() ? *length : 0;
      if (i % 10 == 0) {
        Packet& r = reports[static_cast<std::size_t>(i / 10)];
        r = sender_report(0x0c0c0c0c, static_cast<std::uint32_t>(i));
        const auto rtcp = sender().protect_rtcp(r.span(), r.length);
        if (!rtcp.ok()) ++failures;
        r.length = rtcp.ok() ? *rtcp : 0;
      }
    }
  });
  std::thread inbound([&] {
    for (Packet& p : incoming) {
      if (!receiver().unprotect_rtp(p.span(), p.length).ok()) ++failures;
    }
  });
  fanout_worker.join();
  media_loop.join();
  inbound.join();
  EXPECT_EQ(failures.load(), 0);

  // Everything protected concurrently is intact for the peer.
  for (auto* packets : {&video, &audio}) {
    for (std::size_t i = 0; i < packets->size(); ++i) {
      Packet& p = (*packets)[i];
      const auto length = receiver().unprotect_rtp(p.span(), p.length);
      ASSERT_TRUE(length.ok()) << i << ": " << length.error();
    }
  }
  for (Packet& r : reports) {
    const auto length = receiver().unprotect_rtcp(r.span(), r.length);
    ASSERT_TRUE(length.ok()) << length.error();
  }
}

INSTANTIATE_TEST_SUITE_P(BothProfiles, SrtpSessionTest,
                         ::testing::Values(SrtpProfile::aead_aes_128_gcm,
                                           SrtpProfile::aes128_cm_sha1_80),
                         [](const ::testing::TestParamInfo<SrtpProfile>& param_info) {
                           return param_info.param == SrtpProfile::aead_aes_128_gcm
                                      ? "AeadAes128Gcm"
                                      : "Aes128CmSha1_80";
                         });

TEST(SrtpSession, KeysOfTheWrongLengthAreRefused) {
  SrtpKeyMaterial keys;
  keys.profile = SrtpProfile::aead_aes_128_gcm;
  keys.local_master_key_salt.assign(30, 1);  // CM's length, not GCM's 28
  keys.remote_master_key_salt.assign(30, 2);
  const auto session = SrtpSession::create(keys);
  ASSERT_FALSE(session.ok());
  EXPECT_NE(session.error().find("28-byte"), std::string::npos) << session.error();
}

TEST(SrtpSession, DifferentKeysDoNotUnprotect) {
  SrtpKeyMaterial a;
  a.profile = SrtpProfile::aes128_cm_sha1_80;
  a.local_master_key_salt.assign(30, 1);
  a.remote_master_key_salt.assign(30, 2);
  SrtpKeyMaterial b = a;
  b.remote_master_key_salt.assign(30, 3);  // not a's local key
  auto sender = SrtpSession::create(a).value();
  auto receiver = SrtpSession::create(b).value();
  Packet p = rtp_packet(1, 1);
  p.length = *sender->protect_rtp(p.span(), p.length);
  const auto length = receiver->unprotect_rtp(p.span(), p.length);
  ASSERT_FALSE(length.ok());
  EXPECT_NE(length.error().find("authentication failed"), std::string::npos);
}

}  // namespace
}  // namespace callcast::dtls::srtp_session_test
