#pragma once
// Two DtlsTransports joined in memory: each one's send function queues the datagram for the
// other, and pump() delivers the queues (queues, not direct calls, so that a transport is never
// re-entered from its own send). A test decides which datagrams the link loses.
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "dtls/dtls_certificate.hpp"
#include "dtls/dtls_transport.hpp"

namespace callcast::dtls::test_link {

using Datagram = std::vector<std::uint8_t>;

// Key generation costs a few milliseconds: each side's certificate is made once per binary.
inline std::shared_ptr<const DtlsCertificate> client_certificate() {
  static const auto certificate = DtlsCertificate::generate("client").value();
  return certificate;
}
inline std::shared_ptr<const DtlsCertificate> server_certificate() {
  static const auto certificate = DtlsCertificate::generate("server").value();
  return certificate;
}

class DtlsLink {
 public:
  struct Setup {
    // What each side expects of the other's certificate; unset: the right fingerprint.
    std::optional<std::string> client_expects;
    std::optional<std::string> server_expects;
    DtlsOptions client_options;
    DtlsOptions server_options;
  };

  // Short retransmission timers for the tests that lose datagrams. OpenSSL 3.0 times flights on
  // the wall clock (no injectable clock), and treats a timer with under 15 ms left as expired
  // (it then retransmits from inside every read, until its own limit of 12): so real, short
  // timers above that threshold, and a real wait for them (expire()).
  static DtlsOptions short_timers() {
    DtlsOptions options;
    options.initial_timeout = std::chrono::milliseconds(30);
    options.max_timeout = std::chrono::milliseconds(30);
    return options;
  }

  // Waits until the transport's retransmission timer expires, then fires it.
  static void expire(DtlsTransport& transport) {
    if (const auto timeout = transport.next_timeout()) std::this_thread::sleep_for(*timeout);
    transport.on_timeout();
  }

  DtlsLink() : DtlsLink(Setup{}) {}
  explicit DtlsLink(Setup setup) {
    const std::string client_expects =
        setup.client_expects.value_or(server_certificate()->fingerprint());
    const std::string server_expects =
        setup.server_expects.value_or(client_certificate()->fingerprint());
    client = std::make_unique<DtlsTransport>(
        client_certificate(), DtlsRole::client, client_expects,
        [this](std::span<const std::uint8_t> d) { from_client(d); }, setup.client_options);
    server = std::make_unique<DtlsTransport>(
        server_certificate(), DtlsRole::server, server_expects,
        [this](std::span<const std::uint8_t> d) { from_server(d); }, setup.server_options);
  }

  // Delivers queued datagrams both ways until none is left (or a sanity bound).
  void pump() {
    for (int round = 0; round < 100 && (!to_server.empty() || !to_client.empty()); ++round) {
      while (!to_server.empty()) {
        const Datagram d = std::move(to_server.front());
        to_server.pop_front();
        server->receive(d);
      }
      while (!to_client.empty()) {
        const Datagram d = std::move(to_client.front());
        to_client.pop_front();
        client->receive(d);
      }
    }
  }

  // start() both, then pump.
  void handshake() {
    server->start();
    client->start();
    pump();
  }

  bool both_connected() const {
    return client->state() == DtlsState::connected && server->state() == DtlsState::connected;
  }

  std::unique_ptr<DtlsTransport> client;
  std::unique_ptr<DtlsTransport> server;
  std::deque<Datagram> to_server;
  std::deque<Datagram> to_client;
  std::vector<Datagram> sent_by_client;  // everything each side sent, lost or not
  std::vector<Datagram> sent_by_server;
  // Returns true for a datagram the link loses; `index` counts that side's datagrams from 0.
  std::function<bool(std::size_t index)> lose_from_client = [](std::size_t) { return false; };
  std::function<bool(std::size_t index)> lose_from_server = [](std::size_t) { return false; };

 private:
  void from_client(std::span<const std::uint8_t> d) {
    sent_by_client.emplace_back(d.begin(), d.end());
    if (!lose_from_client(sent_by_client.size() - 1)) to_server.emplace_back(d.begin(), d.end());
  }
  void from_server(std::span<const std::uint8_t> d) {
    sent_by_server.emplace_back(d.begin(), d.end());
    if (!lose_from_server(sent_by_server.size() - 1)) to_client.emplace_back(d.begin(), d.end());
  }
};

}  // namespace callcast::dtls::test_link
