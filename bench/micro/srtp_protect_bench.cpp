// SRTP protection on the browser send path (issue 14, step 709): what one browser viewer adds per
// packet to the fan-out. The fan-out shares one plain packet among its viewers; a browser
// viewer's worker copies it into a scratch buffer and protects it there (CopyAndProtect). Both
// profiles a browser negotiates, on 1,200-byte packets (a full video fragment).
//
//   build/release/bench/micro/srtp_protect_bench --benchmark_min_time=0.3
//
// Protect/2 threads: the fan-out worker and the media loop protecting for the same viewer at
// once (the outbound context's mutex contended); per-thread time per packet.
#include <benchmark/benchmark.h>
#include <srtp2/srtp.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <vector>

#include "dtls/dtls_certificate.hpp"
#include "dtls/dtls_transport.hpp"
#include "dtls/srtp_session.hpp"

namespace callcast::dtls {
namespace {

constexpr std::size_t kPacketSize = 1200;

SrtpProfile profile_of(const benchmark::State& state) {
  return state.range(0) == 0 ? SrtpProfile::aes128_cm_sha1_80 : SrtpProfile::aead_aes_128_gcm;
}

void label(benchmark::State& state) {
  state.SetLabel(std::string(to_string(profile_of(state))));
}

SrtpKeyMaterial bench_keys(SrtpProfile profile) {
  SrtpKeyMaterial keys;
  keys.profile = profile;
  const std::size_t size = master_key_length(profile) + master_salt_length(profile);
  for (std::size_t i = 0; i < size; ++i) {
    keys.local_master_key_salt.push_back(static_cast<std::uint8_t>(i * 13 + 1));
    keys.remote_master_key_salt.push_back(static_cast<std::uint8_t>(i * 29 + 7));
  }
  return keys;
}

// The shared plain packet of the fan-out: RTP header (V=2, PT 96) and a payload.
std::vector<std::uint8_t> shared_packet(std::uint32_t ssrc) {
  std::vector<std::uint8_t> packet(kPacketSize);
  packet[0] = 0x80;
  packet[1] = 96;
  for (std::size_t i = 0; i < 4; ++i)
    packet[8 + i] = static_cast<std::uint8_t>(ssrc >> (24 - 8 * i));
  for (std::size_t i = 12; i < packet.size(); ++i)
    packet[i] = static_cast<std::uint8_t>(i);
  return packet;
}

void set_sequence(std::uint8_t* packet, std::uint16_t sequence) {
  packet[2] = static_cast<std::uint8_t>(sequence >> 8);
  packet[3] = static_cast<std::uint8_t>(sequence);
}

// Protect in place: the buffer already holds the packet (its payload is whatever the previous
// round left, which costs the cipher the same).
void BM_ProtectRtp(benchmark::State& state) {
  auto session = SrtpSession::create(bench_keys(profile_of(state))).value();
  const auto plain = shared_packet(0x11111111);
  std::array<std::uint8_t, kPacketSize + SrtpSession::kMaxTrailer> buffer{};
  std::memcpy(buffer.data(), plain.data(), plain.size());
  std::uint16_t sequence = 0;
  for (auto _ : state) {
    set_sequence(buffer.data(), sequence++);
    auto length = session->protect_rtp(buffer, kPacketSize);
    benchmark::DoNotOptimize(length);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(kPacketSize));
  label(state);
}
BENCHMARK(BM_ProtectRtp)->Arg(0)->Arg(1);

// Baseline: the same protect straight through Debian's libsrtp2 (AES through NSS), which sent
// to browsers before SrtpSession's send direction moved to libre (OpenSSL's AES).
void BM_ProtectRtpLibsrtp2(benchmark::State& state) {
  // SrtpSession's receive direction may have initialised libsrtp already (a second srtp_init
  // then fails): srtp_create below says whether the library is usable.
  static const srtp_err_status_t initialised = srtp_init();
  benchmark::DoNotOptimize(initialised);
  auto keys = bench_keys(profile_of(state));
  srtp_policy_t policy;
  std::memset(&policy, 0, sizeof(policy));
  if (profile_of(state) == SrtpProfile::aead_aes_128_gcm) {
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
  } else {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
  }
  policy.ssrc.type = ssrc_any_outbound;
  policy.key = keys.local_master_key_salt.data();
  policy.window_size = 1024;
  policy.allow_repeat_tx = 1;
  srtp_t context = nullptr;
  if (srtp_create(&context, &policy) != srtp_err_status_ok) {
    state.SkipWithError("srtp_create failed");
    return;
  }
  const auto plain = shared_packet(0x55555555);
  std::array<std::uint8_t, kPacketSize + SrtpSession::kMaxTrailer> buffer{};
  std::memcpy(buffer.data(), plain.data(), plain.size());
  std::uint16_t sequence = 0;
  for (auto _ : state) {
    set_sequence(buffer.data(), sequence++);
    int length = static_cast<int>(kPacketSize);
    benchmark::DoNotOptimize(srtp_protect(context, buffer.data(), &length));
  }
  srtp_dealloc(context);
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(kPacketSize));
  label(state);
}
BENCHMARK(BM_ProtectRtpLibsrtp2)->Arg(0)->Arg(1);

// What the fan-out worker does per browser viewer: copy the shared packet into its scratch
// buffer, write the viewer's sequence number, protect.
void BM_CopyAndProtectRtp(benchmark::State& state) {
  auto session = SrtpSession::create(bench_keys(profile_of(state))).value();
  const auto plain = shared_packet(0x22222222);
  std::array<std::uint8_t, 1500> scratch{};
  std::uint16_t sequence = 0;
  for (auto _ : state) {
    std::memcpy(scratch.data(), plain.data(), plain.size());
    set_sequence(scratch.data(), sequence++);
    auto length = session->protect_rtp(scratch, plain.size());
    benchmark::DoNotOptimize(length);
    benchmark::DoNotOptimize(scratch.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(kPacketSize));
  label(state);
}
BENCHMARK(BM_CopyAndProtectRtp)->Arg(0)->Arg(1);

// Two threads protecting for one viewer at once (each its own SSRC, as video and audio are).
void BM_ProtectRtpTwoThreads(benchmark::State& state) {
  static std::unique_ptr<SrtpSession> shared[2];
  if (state.thread_index() == 0) {
    shared[state.range(0)] = SrtpSession::create(bench_keys(profile_of(state))).value();
  }
  // Google Benchmark starts the timed loop of all threads together, after this setup.
  std::array<std::uint8_t, 1500> scratch{};
  const auto plain = shared_packet(0x33330000u + static_cast<std::uint32_t>(state.thread_index()));
  std::uint16_t sequence = 0;
  for (auto _ : state) {
    std::memcpy(scratch.data(), plain.data(), plain.size());
    set_sequence(scratch.data(), sequence++);
    auto length = shared[state.range(0)]->protect_rtp(scratch, plain.size());
    benchmark::DoNotOptimize(length);
  }
  state.SetItemsProcessed(state.iterations());
  label(state);
}
BENCHMARK(BM_ProtectRtpTwoThreads)->Arg(0)->Arg(1)->Threads(2)->UseRealTime();

// The peer's packets, unprotected in place (a WHIP publisher's media, RTCP from viewers).
void BM_UnprotectRtp(benchmark::State& state) {
  const SrtpKeyMaterial keys = bench_keys(profile_of(state));
  SrtpKeyMaterial peer_keys = keys;
  std::swap(peer_keys.local_master_key_salt, peer_keys.remote_master_key_salt);
  auto sender = SrtpSession::create(peer_keys).value();
  auto receiver = SrtpSession::create(keys).value();
  // 60,000 distinct protected packets (each index unprotects once: replay protection), replayed
  // through a fresh receiver when used up.
  constexpr std::size_t kPackets = 60000;
  const auto plain = shared_packet(0x44444444);
  std::vector<std::vector<std::uint8_t>> wire(kPackets);
  for (std::size_t i = 0; i < kPackets; ++i) {
    wire[i].resize(kPacketSize + SrtpSession::kMaxTrailer);
    std::memcpy(wire[i].data(), plain.data(), plain.size());
    set_sequence(wire[i].data(), static_cast<std::uint16_t>(i));
    wire[i].resize(sender->protect_rtp(wire[i], kPacketSize).value());
  }
  std::array<std::uint8_t, 1500> scratch{};
  std::size_t next = 0;
  for (auto _ : state) {
    if (next == kPackets) {
      state.PauseTiming();
      receiver = SrtpSession::create(keys).value();
      next = 0;
      state.ResumeTiming();
    }
    std::memcpy(scratch.data(), wire[next].data(), wire[next].size());
    auto length = receiver->unprotect_rtp(scratch, wire[next].size());
    benchmark::DoNotOptimize(length);
    ++next;
  }
  state.SetItemsProcessed(state.iterations());
  label(state);
}
BENCHMARK(BM_UnprotectRtp)->Arg(0)->Arg(1);

// Per browser session set-up (once per DTLS handshake): two libsrtp contexts.
void BM_CreateSession(benchmark::State& state) {
  const SrtpKeyMaterial keys = bench_keys(profile_of(state));
  for (auto _ : state) {
    auto session = SrtpSession::create(keys);
    benchmark::DoNotOptimize(session);
  }
  label(state);
}
BENCHMARK(BM_CreateSession)->Arg(0)->Arg(1);

// A whole DTLS-SRTP handshake in memory, both sides (ECDHE, both certificates signed and
// checked): what a browser's join costs the server, roughly half of this, plus the keys.
void BM_DtlsHandshake(benchmark::State& state) {
  const auto server_certificate = DtlsCertificate::generate("server").value();
  const auto client_certificate = DtlsCertificate::generate("client").value();
  for (auto _ : state) {
    std::deque<std::vector<std::uint8_t>> to_server;
    std::deque<std::vector<std::uint8_t>> to_client;
    DtlsTransport server(
        server_certificate, DtlsRole::server, client_certificate->fingerprint(),
        [&](std::span<const std::uint8_t> d) { to_client.emplace_back(d.begin(), d.end()); });
    DtlsTransport client(
        client_certificate, DtlsRole::client, server_certificate->fingerprint(),
        [&](std::span<const std::uint8_t> d) { to_server.emplace_back(d.begin(), d.end()); });
    client.start();
    while (!to_server.empty() || !to_client.empty()) {
      for (; !to_server.empty(); to_server.pop_front())
        server.receive(to_server.front());
      for (; !to_client.empty(); to_client.pop_front())
        client.receive(to_client.front());
    }
    if (server.state() != DtlsState::connected || client.state() != DtlsState::connected) {
      state.SkipWithError("handshake failed");
      break;
    }
    auto keys = SrtpSession::create(*server.keys());
    benchmark::DoNotOptimize(keys);
  }
}
BENCHMARK(BM_DtlsHandshake)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace callcast::dtls
