// The fan-out send path (step 709, DESIGN.md §7) on real loopback sockets: one fan-out worker's
// share of viewers receiving one publisher read (a video frame of full-size fragments and a
// shorter last one, plus an audio packet), with UDP GSO on and off. Measures what a worker
// spends per batch and per datagram handed to the kernel.
//
//   build/release/bench/micro/fanout_send_bench --benchmark_min_time=0.3 --benchmark_format=json
//
// The receivers are never read: loopback drops what overflows their receive buffers after the
// send succeeded, which is what the sender sees of a slow viewer anyway.
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/ip/address.hpp>
#include <memory>
#include <vector>

#include "media/datagram_batcher.hpp"
#include "media/datagram_transmitter.hpp"
#include "media/fanout_shard.hpp"
#include "media/packet_batch.hpp"

namespace callcast::media {
namespace {

// A UDP socket bound to an ephemeral loopback port.
class LoopbackSocket {
 public:
  LoopbackSocket() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    socklen_t length = sizeof(address);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    endpoint_ = {boost::asio::ip::make_address("127.0.0.1"), ntohs(address.sin_port)};
  }
  ~LoopbackSocket() { ::close(fd_); }
  LoopbackSocket(const LoopbackSocket&) = delete;
  LoopbackSocket& operator=(const LoopbackSocket&) = delete;
  int fd() const { return fd_; }
  const UdpEndpoint& endpoint() const { return endpoint_; }

 private:
  int fd_ = -1;
  UdpEndpoint endpoint_;
};

SharedPacket packet(std::uint8_t track, std::uint16_t sequence, std::size_t size) {
  auto p = std::make_shared<RelayPacket>();
  p->track = track;
  p->sequence = sequence;
  p->bytes.assign(size, static_cast<std::uint8_t>(sequence));
  p->bytes[0] = 0x80;
  return p;
}

// One read from the publisher: a 9-packet video frame and an audio packet.
PacketBatch publisher_read(bool gso) {
  PacketBatch batch;
  for (std::uint16_t i = 0; i < 9; ++i)
    batch.add(packet(0, i, i == 8 ? 300 : 1200));
  batch.add(packet(1, 1, 200));
  batch.seal(gso);
  return batch;
}

// Takes every message as a kernel with room would, without sending: what the batching itself
// costs, apart from the kernel's work (which dominates on loopback).
class AcceptingTransmitter final : public DatagramTransmitter {
 public:
  int transmit(std::span<mmsghdr> messages, int&) override {
    return static_cast<int>(messages.size());
  }
};

void deliver_to_viewers(benchmark::State& state, bool kernel) {
  const auto viewers = static_cast<std::size_t>(state.range(0));
  const bool gso = state.range(1) != 0;
  LoopbackSocket sender;
  std::vector<std::unique_ptr<LoopbackSocket>> receivers;
  FanoutShard shard;
  std::vector<std::shared_ptr<DeliveryCounters>> counters;
  for (std::size_t v = 0; v < viewers; ++v) {
    const LoopbackSocket* video = receivers.emplace_back(std::make_unique<LoopbackSocket>()).get();
    const LoopbackSocket* audio = receivers.emplace_back(std::make_unique<LoopbackSocket>()).get();
    FanoutDestination destination;
    destination.viewer = v + 1;
    destination.rtp[0] = video->endpoint();
    destination.rtp[1] = audio->endpoint();
    destination.counters = std::make_shared<DeliveryCounters>();
    counters.push_back(destination.counters);
    shard.add(std::move(destination));
  }
  const PacketBatch batch = publisher_read(gso);
  SocketTransmitter socket(sender.fd());
  AcceptingTransmitter accepting;
  DatagramTransmitter& transmitter = kernel ? static_cast<DatagramTransmitter&>(socket) : accepting;
  std::atomic<bool> gso_switch{gso};
  DatagramBatcher out(transmitter, &gso_switch, {.messages = 1024, .datagrams = 64});
  for (auto _ : state) {
    shard.deliver(batch, out);
  }
  const DatagramStats& stats = out.stats();
  const bool gso_failed = gso && !gso_switch.load();
  std::uint64_t sent = 0;
  std::uint64_t dropped = 0;
  for (const auto& c : counters) {
    sent += c->packets_sent.load();
    dropped += c->packets_dropped.load();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(sent + dropped));
  state.counters["dropped_pct"] = sent + dropped == 0 ? 0.0
                                                      : 100.0 * static_cast<double>(dropped) /
                                                            static_cast<double>(sent + dropped);
  state.counters["send_calls_per_batch"] =
      static_cast<double>(stats.send_calls) / static_cast<double>(state.iterations());
  if (gso_failed) state.SkipWithError("the kernel refused UDP GSO");
}

void BM_FanoutShardDeliver(benchmark::State& state) {
  deliver_to_viewers(state, true);
}
void BM_FanoutShardDeliverWithoutKernel(benchmark::State& state) {
  deliver_to_viewers(state, false);
}

BENCHMARK(BM_FanoutShardDeliver)
    ->ArgNames({"viewers", "gso"})
    ->ArgsProduct({{10, 100, 1000}, {0, 1}})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_FanoutShardDeliverWithoutKernel)
    ->ArgNames({"viewers", "gso"})
    ->ArgsProduct({{100, 1000}, {0, 1}})
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace callcast::media
