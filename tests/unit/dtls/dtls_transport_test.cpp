#include "dtls/dtls_transport.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "unit/dtls/dtls_link.hpp"

namespace callcast::dtls::dtls_transport_test {
namespace {

using test_link::DtlsLink;

constexpr std::uint8_t kHandshakeContentType = 22;  // RFC 6347 §4.1 record content type

TEST(DtlsTransport, ClientAndServerConnectAndAgreeOnTheSameKeys) {
  DtlsLink link;
  link.handshake();
  ASSERT_TRUE(link.both_connected()) << link.client->error() << " / " << link.server->error();
  const SrtpKeyMaterial* client = link.client->keys();
  const SrtpKeyMaterial* server = link.server->keys();
  ASSERT_NE(client, nullptr);
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(client->profile, server->profile);
  EXPECT_EQ(client->local_master_key_salt, server->remote_master_key_salt);
  EXPECT_EQ(client->remote_master_key_salt, server->local_master_key_salt);
  // The two directions have different keys.
  EXPECT_NE(client->local_master_key_salt, client->remote_master_key_salt);
  EXPECT_TRUE(link.client->error().empty());
  EXPECT_FALSE(link.client->next_timeout().has_value());
  EXPECT_FALSE(link.server->next_timeout().has_value());
}

TEST(DtlsTransport, GcmIsChosenWhenBothOfferIt) {
  DtlsLink::Setup setup;
  // The client prefers CM; the server's preference (GCM first) decides.
  setup.client_options.srtp_profiles = {SrtpProfile::aes128_cm_sha1_80,
                                        SrtpProfile::aead_aes_128_gcm};
  DtlsLink link(setup);
  link.handshake();
  ASSERT_TRUE(link.both_connected());
  EXPECT_EQ(link.server->keys()->profile, SrtpProfile::aead_aes_128_gcm);
  EXPECT_EQ(link.client->keys()->profile, SrtpProfile::aead_aes_128_gcm);
  EXPECT_EQ(link.client->keys()->local_master_key_salt.size(), 16u + 12u);
}

TEST(DtlsTransport, CmIsChosenWhenTheClientOffersOnlyCm) {
  DtlsLink::Setup setup;
  setup.client_options.srtp_profiles = {SrtpProfile::aes128_cm_sha1_80};
  DtlsLink link(setup);
  link.handshake();
  ASSERT_TRUE(link.both_connected());
  EXPECT_EQ(link.server->keys()->profile, SrtpProfile::aes128_cm_sha1_80);
  EXPECT_EQ(link.server->keys()->local_master_key_salt.size(), 16u + 14u);
  EXPECT_EQ(link.client->keys()->local_master_key_salt,
            link.server->keys()->remote_master_key_salt);
}

TEST(DtlsTransport, NoCommonSrtpProfileFails) {
  DtlsLink::Setup setup;
  setup.client_options.srtp_profiles = {SrtpProfile::aes128_cm_sha1_80};
  setup.server_options.srtp_profiles = {SrtpProfile::aead_aes_128_gcm};
  DtlsLink link(setup);
  link.handshake();
  EXPECT_FALSE(link.both_connected());
  EXPECT_EQ(link.server->keys(), nullptr);
  EXPECT_EQ(link.client->state(), DtlsState::failed);
  EXPECT_NE(link.client->error().find("SRTP"), std::string::npos) << link.client->error();
}

TEST(DtlsTransport, ServerRefusesAClientWhoseFingerprintIsNotTheExpectedOne) {
  DtlsLink::Setup setup;
  setup.server_expects = test_link::server_certificate()->fingerprint();  // not the client's
  DtlsLink link(setup);
  link.handshake();
  EXPECT_EQ(link.server->state(), DtlsState::failed);
  EXPECT_NE(link.server->error().find("does not match the expected " + *setup.server_expects),
            std::string::npos)
      << link.server->error();
  EXPECT_NE(link.server->error().find(test_link::client_certificate()->fingerprint()),
            std::string::npos)
      << link.server->error();
  EXPECT_EQ(link.server->keys(), nullptr);
  // The server's alert reaches the client, which fails too instead of waiting.
  EXPECT_EQ(link.client->state(), DtlsState::failed);
  EXPECT_EQ(link.client->keys(), nullptr);
}

TEST(DtlsTransport, ClientRefusesAServerWhoseFingerprintIsNotTheExpectedOne) {
  DtlsLink::Setup setup;
  setup.client_expects = test_link::client_certificate()->fingerprint();
  DtlsLink link(setup);
  link.handshake();
  EXPECT_EQ(link.client->state(), DtlsState::failed);
  EXPECT_NE(link.client->error().find("does not match"), std::string::npos) << link.client->error();
  EXPECT_NE(link.server->state(), DtlsState::connected);
}

TEST(DtlsTransport, FingerprintIsComparedCaseInsensitively) {
  DtlsLink::Setup setup;
  std::string lower = test_link::client_certificate()->fingerprint();
  for (char& c : lower)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  setup.server_expects = lower;
  DtlsLink link(setup);
  link.handshake();
  EXPECT_TRUE(link.both_connected()) << link.server->error();
}

TEST(DtlsTransport, MalformedRemoteFingerprintFailsAtOnce) {
  DtlsTransport transport(test_link::server_certificate(), DtlsRole::server, "sha-256 AB:CD",
                          [](std::span<const std::uint8_t>) {});
  EXPECT_EQ(transport.state(), DtlsState::failed);
  EXPECT_NE(transport.error().find("remote fingerprint"), std::string::npos) << transport.error();
  transport.start();
  transport.receive(std::vector<std::uint8_t>{kHandshakeContentType, 0xfe, 0xfd});
  EXPECT_EQ(transport.state(), DtlsState::failed);
}

TEST(DtlsTransport, ServerSendsNothingUntilTheClientHello) {
  DtlsLink link;
  link.server->start();
  EXPECT_TRUE(link.sent_by_server.empty());
  EXPECT_FALSE(link.server->next_timeout().has_value());
  EXPECT_EQ(link.server->state(), DtlsState::handshaking);
}

TEST(DtlsTransport, EveryDatagramFitsTheMtu) {
  DtlsLink link;
  link.handshake();
  ASSERT_TRUE(link.both_connected());
  for (const auto& d : link.sent_by_client)
    EXPECT_LE(d.size(), 1200u);
  for (const auto& d : link.sent_by_server)
    EXPECT_LE(d.size(), 1200u);
  // Every datagram is DTLS by RFC 7983's first-byte rule (20-63), as the demultiplexer expects.
  for (const auto& d : link.sent_by_server) {
    ASSERT_FALSE(d.empty());
    EXPECT_GE(d[0], 20);
    EXPECT_LE(d[0], 63);
  }
}

TEST(DtlsTransport, LostClientHelloIsSentAgainOnTimeout) {
  DtlsLink::Setup setup;
  setup.client_options = DtlsLink::short_timers();
  DtlsLink link(setup);
  link.lose_from_client = [](std::size_t index) { return index == 0; };
  link.handshake();
  EXPECT_EQ(link.client->state(), DtlsState::handshaking);
  EXPECT_EQ(link.server->state(), DtlsState::handshaking);
  ASSERT_EQ(link.sent_by_client.size(), 1u);
  const auto timeout = link.client->next_timeout();
  ASSERT_TRUE(timeout.has_value());
  EXPECT_LE(*timeout, std::chrono::milliseconds(30));

  DtlsLink::expire(*link.client);
  ASSERT_EQ(link.sent_by_client.size(), 2u);  // the ClientHello again
  // The same handshake message in a record with the next record sequence number.
  constexpr std::ptrdiff_t kRecordHeader = 13;
  EXPECT_EQ(
      std::vector(link.sent_by_client[1].begin() + kRecordHeader, link.sent_by_client[1].end()),
      std::vector(link.sent_by_client[0].begin() + kRecordHeader, link.sent_by_client[0].end()));
  link.pump();
  EXPECT_TRUE(link.both_connected()) << link.client->error() << " / " << link.server->error();
}

TEST(DtlsTransport, LostServerFlightIsRecoveredOnTimeout) {
  DtlsLink::Setup setup;
  setup.server_options = DtlsLink::short_timers();
  DtlsLink link(setup);
  // The whole first server flight (ServerHello ... ServerHelloDone) is lost.
  bool losing = true;
  link.lose_from_server = [&](std::size_t) { return losing; };
  link.handshake();
  ASSERT_FALSE(link.sent_by_server.empty());
  EXPECT_EQ(link.sent_by_client.size(), 1u);
  EXPECT_EQ(link.client->state(), DtlsState::handshaking);
  losing = false;
  ASSERT_TRUE(link.server->next_timeout().has_value());
  DtlsLink::expire(*link.server);
  link.pump();
  EXPECT_TRUE(link.both_connected()) << link.client->error() << " / " << link.server->error();
}

TEST(DtlsTransport, LostFinalServerFlightIsRecoveredByTheClientsRetransmission) {
  DtlsLink::Setup setup;
  setup.client_options = DtlsLink::short_timers();
  DtlsLink link(setup);
  // Lose the server's last flight (ChangeCipherSpec + Finished): the server is connected, the
  // client resends its Finished flight and the server answers it again.
  // (Every server datagram after the client's second flight began.)
  link.lose_from_server = [&](std::size_t) { return link.sent_by_client.size() > 1; };
  link.handshake();
  ASSERT_EQ(link.server->state(), DtlsState::connected);
  ASSERT_EQ(link.client->state(), DtlsState::handshaking);
  link.lose_from_server = [](std::size_t) { return false; };
  ASSERT_TRUE(link.client->next_timeout().has_value());
  DtlsLink::expire(*link.client);
  link.pump();
  EXPECT_TRUE(link.both_connected()) << link.client->error();
  EXPECT_EQ(link.client->keys()->local_master_key_salt,
            link.server->keys()->remote_master_key_salt);
}

TEST(DtlsTransport, HandshakeFailsAfterTheBoundedNumberOfTimeouts) {
  DtlsLink::Setup setup;
  setup.client_options = DtlsLink::short_timers();
  DtlsLink link(setup);
  link.lose_from_client = [](std::size_t) { return true; };
  link.handshake();
  for (int i = 0; i < 20 && link.client->state() == DtlsState::handshaking; ++i) {
    DtlsLink::expire(*link.client);
  }
  EXPECT_EQ(link.client->state(), DtlsState::failed);
  EXPECT_NE(link.client->error().find("timed out"), std::string::npos) << link.client->error();
  // The ClientHello and one resend per expiry before the last: 1 + (max_timeouts - 1).
  EXPECT_EQ(link.sent_by_client.size(), 6u);
  EXPECT_FALSE(link.client->next_timeout().has_value());
}

TEST(DtlsTransport, TimeoutBeforeTheTimerExpiresSendsNothing) {
  DtlsLink::Setup setup;
  setup.client_options.initial_timeout = std::chrono::seconds(1);
  DtlsLink link(setup);
  link.lose_from_client = [](std::size_t) { return true; };
  link.handshake();
  const auto timeout = link.client->next_timeout();
  ASSERT_TRUE(timeout.has_value());
  EXPECT_GT(*timeout, std::chrono::milliseconds(500));
  link.client->on_timeout();
  EXPECT_EQ(link.sent_by_client.size(), 1u);
  EXPECT_EQ(link.client->state(), DtlsState::handshaking);
}

TEST(DtlsTransport, GarbageDatagramsNeitherCrashNorConnect) {
  DtlsTransport server(test_link::server_certificate(), DtlsRole::server,
                       test_link::client_certificate()->fingerprint(),
                       [](std::span<const std::uint8_t>) {});
  server.start();
  std::mt19937 random(14);
  for (int i = 0; i < 500; ++i) {
    std::vector<std::uint8_t> d(1 + random() % 300);
    for (auto& b : d)
      b = static_cast<std::uint8_t>(random());
    // Half of them look like DTLS 1.2 handshake records, so they get past the record header.
    if (i % 2 == 0 && d.size() > 13) {
      d[0] = kHandshakeContentType;
      d[1] = 0xfe;
      d[2] = 0xfd;
      d[11] = static_cast<std::uint8_t>((d.size() - 13) >> 8);
      d[12] = static_cast<std::uint8_t>(d.size() - 13);
    }
    server.receive(d);
    ASSERT_NE(server.state(), DtlsState::connected);
  }
  EXPECT_EQ(server.keys(), nullptr);
}

TEST(DtlsTransport, TruncatedClientHelloDoesNotConnect) {
  DtlsLink link;
  link.lose_from_client = [](std::size_t) { return true; };
  link.handshake();
  ASSERT_EQ(link.sent_by_client.size(), 1u);
  const auto& hello = link.sent_by_client[0];
  for (std::size_t size = 1; size < hello.size(); size += 7) {
    DtlsTransport server(test_link::server_certificate(), DtlsRole::server,
                         test_link::client_certificate()->fingerprint(),
                         [](std::span<const std::uint8_t>) {});
    server.receive(std::span(hello.data(), size));
    EXPECT_NE(server.state(), DtlsState::connected);
  }
}

TEST(DtlsTransport, CloseSendsCloseNotifyAndThePeerCloses) {
  DtlsLink link;
  link.handshake();
  ASSERT_TRUE(link.both_connected());
  link.client->close();
  EXPECT_EQ(link.client->state(), DtlsState::closed);
  link.pump();
  EXPECT_EQ(link.server->state(), DtlsState::closed);
  EXPECT_TRUE(link.server->error().empty());
  // Keys stay readable after close (a session may still drain what it holds).
  EXPECT_NE(link.server->keys(), nullptr);
  // Nothing is read any more.
  const std::size_t sent = link.sent_by_server.size();
  link.server->receive(link.sent_by_client.back());
  EXPECT_EQ(link.sent_by_server.size(), sent);
}

TEST(DtlsTransport, ServerClosingIsSeenByTheClient) {
  DtlsLink link;
  link.handshake();
  ASSERT_TRUE(link.both_connected());
  link.server->close();
  link.pump();
  EXPECT_EQ(link.client->state(), DtlsState::closed);
}

TEST(DtlsTransport, RetransmittedDatagramsAfterConnectAreHarmless) {
  DtlsLink link;
  link.handshake();
  ASSERT_TRUE(link.both_connected());
  // A late duplicate of every client datagram (the network duplicates, the browser resends).
  for (const auto& d : link.sent_by_client)
    link.server->receive(d);
  link.pump();
  EXPECT_TRUE(link.both_connected()) << link.server->error() << " / " << link.client->error();
}

}  // namespace
}  // namespace callcast::dtls::dtls_transport_test
