// The fan-out engine (step 709, DESIGN.md §7): how a publisher read is laid out in runs, and
// that every viewer receives exactly the published datagrams, in order, through real loopback
// sockets, with and without UDP GSO, from one worker or several.
#include "media/fanout_engine.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "media/datagram_batcher.hpp"
#include "media/datagram_transmitter.hpp"
#include "media/fanout_shard.hpp"
#include "media/packet_batch.hpp"

namespace callcast::media::fanout_engine_test {
namespace {

using Buffer = std::vector<std::uint8_t>;

// An RTP-looking packet of `size` bytes whose bytes say which packet it is.
SharedPacket packet(std::uint8_t track, std::uint16_t sequence, std::size_t size) {
  auto p = std::make_shared<RelayPacket>();
  p->track = track;
  p->sequence = sequence;
  p->bytes.assign(size, 0);
  p->bytes[0] = 0x80;
  p->bytes[1] = track == 0 ? 96 : 97;
  p->bytes[2] = static_cast<std::uint8_t>(sequence >> 8);
  p->bytes[3] = static_cast<std::uint8_t>(sequence);
  for (std::size_t i = 12; i < size; ++i)
    p->bytes[i] = static_cast<std::uint8_t>(sequence * 7 + i);
  return p;
}

// A video frame as a packetizer sends it: full-size fragments and a shorter last one.
void add_frame(PacketBatch& batch, std::uint16_t& sequence, std::size_t fragments,
               std::size_t last_size = 300) {
  for (std::size_t i = 0; i < fragments; ++i) {
    batch.add(packet(0, sequence++, i + 1 == fragments ? last_size : 1200));
  }
}

TEST(PacketBatchTest, SameSizeFragmentsOfOneTrackFormOneRunEndingAtTheShorterPacket) {
  PacketBatch batch;
  std::uint16_t sequence = 1;
  add_frame(batch, sequence, 5);
  batch.add(packet(1, 1, 200));  // audio
  add_frame(batch, sequence, 3);
  batch.add(packet(0, sequence++, 1200));  // after a short packet: a new run
  batch.seal(true);
  ASSERT_EQ(batch.runs().size(), 4U);
  EXPECT_EQ(batch.runs()[0].count, 5U);
  EXPECT_EQ(batch.runs()[0].segment_size, 1200U);
  EXPECT_EQ(batch.runs()[0].bytes, 4U * 1200 + 300);
  EXPECT_NE(batch.runs()[0].control_size, 0U);
  EXPECT_EQ(batch.runs()[1].track, 1U);
  EXPECT_EQ(batch.runs()[1].count, 1U);
  EXPECT_EQ(batch.runs()[1].control_size, 0U) << "a single packet needs no GSO";
  EXPECT_EQ(batch.runs()[2].count, 3U);
  EXPECT_EQ(batch.runs()[3].count, 1U);
  EXPECT_EQ(batch.iov().size(), 10U);
  EXPECT_EQ(batch.packets_of(0), 9U);
  EXPECT_EQ(batch.packets_of(1), 1U);
  EXPECT_EQ(batch.bytes_of(1), 200U);
}

TEST(PacketBatchTest, RunsStayWithinTheKernelsSegmentAndSizeLimits) {
  PacketBatch batch;
  std::uint16_t sequence = 1;
  add_frame(batch, sequence, 120, 1200);  // 144,000 bytes of equal packets
  batch.seal(true);
  std::size_t total = 0;
  for (const auto& run : batch.runs()) {
    EXPECT_LE(run.count, PacketBatch::kMaxSegments);
    EXPECT_LE(run.bytes, PacketBatch::kMaxRunBytes);
    total += run.count;
  }
  EXPECT_EQ(total, 120U);
  EXPECT_EQ(batch.runs().size(), 3U);  // 50 + 50 + 20 (60,000 bytes each at most)
}

TEST(PacketBatchTest, WithoutGsoEveryPacketIsItsOwnRun) {
  PacketBatch batch;
  std::uint16_t sequence = 1;
  add_frame(batch, sequence, 6);
  batch.seal(false);
  ASSERT_EQ(batch.runs().size(), 6U);
  for (const auto& run : batch.runs())
    EXPECT_EQ(run.control_size, 0U);
}

// A loopback UDP socket pair per viewer track; reads what arrived.
class Receiver {
 public:
  Receiver() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    const int size = 4 * 1024 * 1024;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
    socklen_t length = sizeof(address);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    endpoint_ = {boost::asio::ip::make_address("127.0.0.1"), ntohs(address.sin_port)};
  }
  ~Receiver() { ::close(fd_); }
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  const UdpEndpoint& endpoint() const { return endpoint_; }
  // Everything that arrives within `quiet` of the previous datagram, up to `max` datagrams.
  std::vector<Buffer> drain(std::size_t max, std::chrono::milliseconds quiet) {
    std::vector<Buffer> out;
    Buffer buffer(65536);
    while (out.size() < max) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(quiet.count())) <= 0) break;
      const ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), 0);
      if (n < 0) break;
      out.emplace_back(buffer.begin(), buffer.begin() + n);
    }
    return out;
  }

 private:
  int fd_ = -1;
  UdpEndpoint endpoint_;
};

class SenderSocket {
 public:
  SenderSocket() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  }
  ~SenderSocket() { ::close(fd_); }
  SenderSocket(const SenderSocket&) = delete;
  SenderSocket& operator=(const SenderSocket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

std::vector<Buffer> bytes_of(const PacketBatch& batch, std::uint8_t track) {
  std::vector<Buffer> out;
  for (const auto& p : batch.packets()) {
    if (p->track == track) out.push_back(p->bytes);
  }
  return out;
}

FanoutDestination destination_for(std::uint64_t id, const Receiver& video, const Receiver* audio) {
  FanoutDestination d;
  d.viewer = id;
  d.rtp[0] = video.endpoint();
  if (audio != nullptr) d.rtp[1] = audio->endpoint();
  d.counters = std::make_shared<DeliveryCounters>();
  return d;
}

class FanoutShardOnLoopback : public ::testing::TestWithParam<bool> {};

TEST_P(FanoutShardOnLoopback, EveryViewerReceivesTheSameDatagramsInOrder) {
  const bool gso = GetParam();
  SenderSocket sender;
  SocketTransmitter transmitter(sender.fd());
  constexpr std::size_t kViewers = 3;
  std::vector<std::unique_ptr<Receiver>> video;
  std::vector<std::unique_ptr<Receiver>> audio;
  FanoutShard shard;
  std::vector<std::shared_ptr<DeliveryCounters>> counters;
  for (std::size_t i = 0; i < kViewers; ++i) {
    video.push_back(std::make_unique<Receiver>());
    audio.push_back(std::make_unique<Receiver>());
    // The last viewer set up video only.
    auto d = destination_for(i + 1, *video.back(), i + 1 < kViewers ? audio.back().get() : nullptr);
    counters.push_back(d.counters);
    shard.add(std::move(d));
  }
  PacketBatch batch;
  std::uint16_t sequence = 100;
  add_frame(batch, sequence, 9);
  batch.add(packet(1, 7, 371));
  add_frame(batch, sequence, 2, 1200);
  batch.seal(gso);

  std::atomic<bool> gso_switch{true};
  DatagramBatcher out(transmitter, &gso_switch);
  shard.deliver(batch, out);
  const DatagramStats& stats = out.stats();
  EXPECT_TRUE(gso_switch.load()) << "loopback takes UDP_SEGMENT";
  if (gso) {
    EXPECT_EQ(stats.gso_messages, 2U * kViewers);
  } else {
    EXPECT_EQ(stats.gso_messages, 0U);
  }
  EXPECT_EQ(stats.send_calls, 1U) << "one sendmmsg for every viewer";
  for (std::size_t i = 0; i < kViewers; ++i) {
    EXPECT_EQ(video[i]->drain(100, std::chrono::milliseconds(200)), bytes_of(batch, 0)) << i;
    const auto got_audio = audio[i]->drain(100, std::chrono::milliseconds(50));
    if (i + 1 < kViewers) {
      EXPECT_EQ(got_audio, bytes_of(batch, 1)) << i;
      EXPECT_EQ(counters[i]->packets_sent.load(), 12U);
    } else {
      EXPECT_TRUE(got_audio.empty());
      EXPECT_EQ(counters[i]->packets_sent.load(), 11U);
    }
    EXPECT_EQ(counters[i]->packets_dropped.load(), 0U);
  }
}

INSTANTIATE_TEST_SUITE_P(GsoOnAndOff, FanoutShardOnLoopback, ::testing::Values(true, false),
                         [](const auto& p) { return p.param ? "gso" : "packet_by_packet"; });

// A transmitter that refuses GSO as a device without checksum offload does (EIO), and counts.
class NoGsoTransmitter final : public DatagramTransmitter {
 public:
  explicit NoGsoTransmitter(int fd) : socket_(fd) {}
  int transmit(std::span<mmsghdr> messages, int& error) override {
    for (std::size_t i = 0; i < messages.size(); ++i) {
      if (messages[i].msg_hdr.msg_controllen != 0) {
        if (i == 0) {
          error = EIO;
          return -1;
        }
        return socket_.transmit(messages.first(i), error);
      }
    }
    return socket_.transmit(messages, error);
  }

 private:
  SocketTransmitter socket_;
};

TEST(FanoutShardTest, AKernelThatRefusesGsoGetsThePacketsOneByOneAndNothingIsLost) {
  SenderSocket sender;
  NoGsoTransmitter transmitter(sender.fd());
  Receiver video;
  FanoutShard shard;
  auto d = destination_for(1, video, nullptr);
  auto counters = d.counters;
  shard.add(std::move(d));
  PacketBatch batch;
  std::uint16_t sequence = 1;
  add_frame(batch, sequence, 4);
  batch.seal(true);
  std::atomic<bool> gso_switch{true};
  DatagramBatcher out(transmitter, &gso_switch);
  shard.deliver(batch, out);
  const DatagramStats& stats = out.stats();
  EXPECT_FALSE(gso_switch.load()) << "GSO is off for every sender on the socket";
  EXPECT_EQ(stats.gso_failures, 1U);
  EXPECT_EQ(video.drain(10, std::chrono::milliseconds(200)), bytes_of(batch, 0));
  EXPECT_EQ(counters->packets_sent.load(), 4U);
  EXPECT_EQ(counters->packets_dropped.load(), 0U);
}

TEST(FanoutEngineTest, ViewersSpreadOverWorkersEachGetEveryBatchInOrderUntilRemoved) {
  SenderSocket sender;
  SocketTransmitter transmitter(sender.fd());
  FanoutEngine engine(FanoutOptions{.workers = 3}, transmitter);
  ASSERT_EQ(engine.shards(), 3U);
  const std::uint64_t group = engine.new_group();
  constexpr std::size_t kViewers = 12;
  std::vector<std::unique_ptr<Receiver>> receivers;
  std::vector<std::size_t> shard_of;
  std::vector<std::shared_ptr<DeliveryCounters>> counters;
  for (std::size_t i = 0; i < kViewers; ++i) {
    receivers.push_back(std::make_unique<Receiver>());
    auto d = destination_for(i + 1, *receivers.back(), nullptr);
    counters.push_back(d.counters);
    shard_of.push_back(engine.next_shard());
    engine.add_viewer(group, shard_of.back(), std::move(d));
  }
  std::vector<Buffer> expected;
  std::uint16_t sequence = 1;
  const auto publish = [&](std::size_t batches) {
    for (std::size_t b = 0; b < batches; ++b) {
      auto batch = std::make_shared<PacketBatch>();
      add_frame(*batch, sequence, 1 + b % 4);
      batch->seal(engine.gso());
      for (const auto& p : batch->packets())
        expected.push_back(p->bytes);
      const std::shared_ptr<const PacketBatch> shared = batch;
      for (std::size_t shard = 0; shard < engine.shards(); ++shard)
        engine.publish(group, shard, shared);
    }
  };
  publish(40);
  ASSERT_TRUE(engine.drain());
  for (std::size_t i = 0; i < kViewers; ++i) {
    EXPECT_EQ(receivers[i]->drain(expected.size() + 1, std::chrono::milliseconds(200)), expected)
        << "viewer " << i;
    EXPECT_EQ(counters[i]->packets_sent.load(), expected.size());
  }
  // Viewer 0 leaves: the next batches reach only the others.
  engine.remove_viewer(group, shard_of[0], 1);
  const std::size_t before = expected.size();
  publish(5);
  ASSERT_TRUE(engine.drain());
  EXPECT_TRUE(receivers[0]->drain(10, std::chrono::milliseconds(50)).empty());
  const std::vector<Buffer> tail(expected.begin() + static_cast<std::ptrdiff_t>(before),
                                 expected.end());
  EXPECT_EQ(receivers[1]->drain(100, std::chrono::milliseconds(200)), tail);
  EXPECT_EQ(engine.batches_dropped(), 0U);
  EXPECT_GE(engine.stats().batches, 3U * 45 - 5);
}

TEST(FanoutEngineTest, AGroupRemovedFromEveryWorkerGetsNoMoreBatches) {
  SenderSocket sender;
  SocketTransmitter transmitter(sender.fd());
  FanoutEngine engine(FanoutOptions{.workers = 2}, transmitter);
  const std::uint64_t group = engine.new_group();
  Receiver receiver;
  engine.add_viewer(group, 1, destination_for(1, receiver, nullptr));
  engine.remove_group(group);
  auto batch = std::make_shared<PacketBatch>();
  std::uint16_t sequence = 1;
  add_frame(*batch, sequence, 2);
  batch->seal(true);
  engine.publish(group, 1, batch);
  ASSERT_TRUE(engine.drain());
  EXPECT_TRUE(receiver.drain(10, std::chrono::milliseconds(50)).empty());
}

}  // namespace
}  // namespace callcast::media::fanout_engine_test
