// DatagramBatcher, the one UDP send path (issue 11): on real loopback sockets, with UDP GSO on and
// off, a GSO send the kernel refuses (SO_NO_CHECK: the kernel will not segment without
// checksums), a viewer whose messages fail, and the packets, bytes and drops of each owner.
#include "media/datagram_batcher.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/ip/address.hpp>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <set>
#include <vector>

#include "media/datagram_transmitter.hpp"
#include "media/packet_batch.hpp"

namespace callcast::media::datagram_batcher_test {
namespace {

using Buffer = std::vector<std::uint8_t>;
using namespace std::chrono_literals;

// A UDP socket on an ephemeral loopback port; reads what arrived.
class LoopbackSocket {
 public:
  LoopbackSocket() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    socklen_t length = sizeof(address);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    endpoint_ = {boost::asio::ip::make_address("127.0.0.1"), ntohs(address.sin_port)};
  }
  ~LoopbackSocket() { ::close(fd_); }
  LoopbackSocket(const LoopbackSocket&) = delete;
  LoopbackSocket& operator=(const LoopbackSocket&) = delete;

  int fd() const { return fd_; }
  const UdpEndpoint& endpoint() const { return endpoint_; }

  // Everything that arrives within `quiet` of the previous datagram.
  std::vector<Buffer> received(std::chrono::milliseconds quiet = 100ms) {
    std::vector<Buffer> out;
    Buffer buffer(65536);
    while (true) {
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

// Datagrams whose bytes say which one they are.
SharedPacket packet(std::uint16_t number, std::size_t size) {
  auto p = std::make_shared<RelayPacket>();
  p->sequence = number;
  p->bytes.assign(size, static_cast<std::uint8_t>(number));
  p->bytes[0] = static_cast<std::uint8_t>(number >> 8);
  return p;
}

// A frame as a packetizer sends it: full-size fragments, a shorter last one.
std::vector<SharedPacket> frame(std::uint16_t first, std::size_t fragments) {
  std::vector<SharedPacket> out;
  for (std::size_t i = 0; i < fragments; ++i)
    out.push_back(packet(static_cast<std::uint16_t>(first + i), i + 1 == fragments ? 300 : 1200));
  return out;
}

std::vector<Buffer> bytes_of(const std::vector<SharedPacket>& packets) {
  std::vector<Buffer> out;
  for (const auto& p : packets)
    out.push_back(p->bytes);
  return out;
}

std::uint64_t total_bytes(const std::vector<SharedPacket>& packets) {
  std::uint64_t bytes = 0;
  for (const auto& p : packets)
    bytes += p->bytes.size();
  return bytes;
}

// The real socket, except that messages to the `full` destinations fail with EAGAIN, as the
// kernel answers when the socket's send buffer is full (loopback frees it too fast to fill).
class FullBufferFor final : public DatagramTransmitter {
 public:
  explicit FullBufferFor(int fd) : socket_(fd) {}
  int transmit(std::span<mmsghdr> messages, int& error) override {
    ++calls;
    for (std::size_t i = 0; i < messages.size(); ++i) {
      UdpEndpoint to;
      std::memcpy(to.data(), messages[i].msg_hdr.msg_name, messages[i].msg_hdr.msg_namelen);
      if (!full.contains(to)) continue;
      if (i == 0) {
        error = EAGAIN;
        return -1;
      }
      return socket_.transmit(messages.first(i), error);
    }
    return socket_.transmit(messages, error);
  }
  std::set<UdpEndpoint> full;
  std::size_t calls = 0;

 private:
  SocketTransmitter socket_;
};

class DatagramBatcherOnLoopback : public ::testing::TestWithParam<bool> {};

TEST_P(DatagramBatcherOnLoopback, EveryOwnerReceivesItsDatagramsInOrderFromOneKernelCall) {
  const bool gso = GetParam();
  LoopbackSocket sender;
  LoopbackSocket first;
  LoopbackSocket second;
  SocketTransmitter transmitter(sender.fd());
  std::atomic<bool> gso_switch{gso};
  DatagramBatcher out(transmitter, &gso_switch);
  DeliveryCounters first_counts;
  DeliveryCounters second_counts;

  const auto to_first = frame(1, 5);  // 4 x 1200 + 300 bytes
  const auto to_second = frame(100, 3);
  for (const auto& p : to_first)
    out.enqueue(first.endpoint(), p, &first_counts);
  for (const auto& p : to_second)
    out.enqueue(second.endpoint(), p, &second_counts);
  EXPECT_EQ(first_counts.packets_sent.load(), 0U) << "nothing leaves before flush()";
  out.flush();
  EXPECT_TRUE(out.empty());

  EXPECT_EQ(first.received(), bytes_of(to_first));
  EXPECT_EQ(second.received(), bytes_of(to_second));
  const DatagramStats& stats = out.stats();
  EXPECT_EQ(stats.send_calls, 1U);
  EXPECT_EQ(stats.datagrams, 8U);
  EXPECT_EQ(stats.messages, gso ? 2U : 8U) << "one GSO message per viewer's frame";
  EXPECT_EQ(stats.gso_messages, gso ? 2U : 0U);
  EXPECT_EQ(stats.failed_messages, 0U);
  EXPECT_EQ(first_counts.packets_sent.load(), 5U);
  EXPECT_EQ(first_counts.bytes_sent.load(), total_bytes(to_first));
  EXPECT_EQ(second_counts.packets_sent.load(), 3U);
  EXPECT_EQ(second_counts.bytes_sent.load(), total_bytes(to_second));
  EXPECT_EQ(first_counts.packets_dropped.load() + second_counts.packets_dropped.load(), 0U);
  EXPECT_EQ(gso_switch.load(), gso);
}

TEST_P(DatagramBatcherOnLoopback, ARunLaidOutOnceReachesEveryViewerFromTheSharedBytes) {
  const bool gso = GetParam();
  LoopbackSocket sender;
  SocketTransmitter transmitter(sender.fd());
  std::atomic<bool> gso_switch{gso};
  DatagramBatcher out(transmitter, &gso_switch);
  PacketBatch batch;
  const auto packets = frame(1, 4);
  for (const auto& p : packets)
    batch.add(p);
  batch.seal(gso);
  ASSERT_EQ(batch.runs().size(), gso ? 1U : 4U);

  std::vector<std::unique_ptr<LoopbackSocket>> viewers;
  std::vector<DeliveryCounters> counts(3);
  for (std::size_t v = 0; v < counts.size(); ++v) {
    viewers.push_back(std::make_unique<LoopbackSocket>());
    for (const PacketRun& run : batch.runs())
      out.enqueue_run(viewers.back()->endpoint(), batch, run, &counts[v]);
  }
  out.flush();
  for (std::size_t v = 0; v < counts.size(); ++v) {
    EXPECT_EQ(viewers[v]->received(), bytes_of(packets)) << v;
    EXPECT_EQ(counts[v].packets_sent.load(), 4U);
    EXPECT_EQ(counts[v].bytes_sent.load(), total_bytes(packets));
  }
  EXPECT_EQ(out.stats().send_calls, 1U);
  EXPECT_EQ(out.stats().gso_messages, gso ? 3U : 0U);
}

INSTANTIATE_TEST_SUITE_P(GsoOnAndOff, DatagramBatcherOnLoopback, ::testing::Values(true, false),
                         [](const auto& p) { return p.param ? "gso" : "packet_by_packet"; });

TEST(DatagramBatcherTest, AGsoSendTheKernelRefusesIsResentOneByOneAndGsoStaysOff) {
  LoopbackSocket sender;
  const int no_checksums = 1;  // the kernel refuses to segment then (EINVAL)
  ASSERT_EQ(::setsockopt(sender.fd(), SOL_SOCKET, SO_NO_CHECK, &no_checksums, sizeof(int)), 0);
  LoopbackSocket viewer;
  SocketTransmitter transmitter(sender.fd());
  std::atomic<bool> gso_switch{true};
  DatagramBatcher out(transmitter, &gso_switch);
  DeliveryCounters counts;

  const auto packets = frame(1, 4);
  for (const auto& p : packets)
    out.enqueue(viewer.endpoint(), p, &counts);
  out.flush();
  EXPECT_FALSE(gso_switch.load()) << "every batcher on the socket stops building GSO messages";
  EXPECT_EQ(out.stats().gso_failures, 1U);
  EXPECT_EQ(viewer.received(), bytes_of(packets)) << "nothing lost";
  EXPECT_EQ(counts.packets_sent.load(), 4U);
  EXPECT_EQ(counts.bytes_sent.load(), total_bytes(packets));
  EXPECT_EQ(counts.packets_dropped.load(), 0U);

  // Afterwards: one message per datagram, no second refusal, also for a run laid out for GSO
  // before the refusal was known.
  const auto more = frame(10, 3);
  for (const auto& p : more)
    out.enqueue(viewer.endpoint(), p, &counts);
  PacketBatch batch;
  const auto laid_out = frame(20, 3);
  for (const auto& p : laid_out)
    batch.add(p);
  batch.seal(true);
  ASSERT_EQ(batch.runs().size(), 1U);
  out.enqueue_run(viewer.endpoint(), batch, batch.runs()[0], &counts);
  const std::uint64_t messages_before = out.stats().messages;
  out.flush();
  EXPECT_EQ(out.stats().messages - messages_before, 6U);
  EXPECT_EQ(out.stats().gso_failures, 1U);
  auto expected = bytes_of(more);
  for (auto& bytes : bytes_of(laid_out))
    expected.push_back(bytes);
  EXPECT_EQ(viewer.received(), expected);
  EXPECT_EQ(counts.packets_sent.load(), 10U);
  EXPECT_EQ(counts.packets_dropped.load(), 0U);
}

TEST(DatagramBatcherTest, AFullSocketBufferIsCountedAsDroppedForItsOwnerAndTheOthersGetTheirs) {
  LoopbackSocket sender;
  FullBufferFor transmitter(sender.fd());
  std::atomic<bool> gso_switch{true};
  DatagramBatcher out(transmitter, &gso_switch);
  LoopbackSocket before;
  LoopbackSocket full;
  LoopbackSocket after;
  transmitter.full.insert(full.endpoint());
  DeliveryCounters before_counts;
  DeliveryCounters full_counts;
  DeliveryCounters after_counts;

  const auto packets = frame(1, 3);
  for (const auto& p : packets) {
    out.enqueue(before.endpoint(), p, &before_counts);
  }
  for (const auto& p : packets) {
    out.enqueue(full.endpoint(), p, &full_counts);
  }
  for (const auto& p : packets) {
    out.enqueue(after.endpoint(), p, &after_counts);
  }
  out.flush();
  EXPECT_TRUE(full.received(50ms).empty());
  EXPECT_EQ(full_counts.packets_dropped.load(), 3U);
  EXPECT_EQ(full_counts.packets_sent.load(), 0U);
  EXPECT_EQ(full_counts.bytes_sent.load(), 0U);
  for (auto* counts : {&before_counts, &after_counts}) {
    EXPECT_EQ(counts->packets_sent.load(), 3U);
    EXPECT_EQ(counts->bytes_sent.load(), total_bytes(packets));
    EXPECT_EQ(counts->packets_dropped.load(), 0U);
  }
  EXPECT_EQ(before.received(), bytes_of(packets));
  EXPECT_EQ(after.received(), bytes_of(packets));
  EXPECT_EQ(out.stats().failed_messages, 1U);
  EXPECT_EQ(out.stats().gso_failures, 0U);
  EXPECT_TRUE(gso_switch.load()) << "a full buffer says nothing about GSO";
  EXPECT_EQ(transmitter.calls, 3U) << "up to the full one, then past it";
}

TEST(DatagramBatcherTest, ADestinationTheKernelRejectsIsDroppedAndSkipped) {
  LoopbackSocket sender;
  SocketTransmitter transmitter(sender.fd());
  DatagramBatcher out(transmitter, nullptr);  // as for RTCP: no GSO
  LoopbackSocket viewer;
  const UdpEndpoint port_zero{boost::asio::ip::make_address("127.0.0.1"), 0};  // EINVAL
  DeliveryCounters rejected;
  DeliveryCounters fine;
  const auto packets = frame(1, 2);
  for (const auto& p : packets) {
    out.enqueue(port_zero, p, &rejected);
    out.enqueue(viewer.endpoint(), p, &fine);
  }
  out.enqueue(viewer.endpoint(), packets[0]->view(), nullptr);  // not counted per viewer
  out.flush();
  EXPECT_EQ(rejected.packets_dropped.load(), 2U);
  EXPECT_EQ(rejected.packets_sent.load(), 0U);
  EXPECT_EQ(fine.packets_sent.load(), 2U);
  EXPECT_EQ(fine.packets_dropped.load(), 0U);
  auto expected = bytes_of(packets);
  expected.push_back(packets[0]->bytes);
  EXPECT_EQ(viewer.received(), expected);
  EXPECT_EQ(out.stats().failed_messages, 2U);
  EXPECT_EQ(out.stats().gso_messages, 0U) << "without a switch, never GSO";
  EXPECT_EQ(out.stats().datagrams, 3U);
}

TEST(DatagramBatcherTest, ABatcherFullToItsCapacitySendsEarlyAndLosesNothing) {
  LoopbackSocket sender;
  SocketTransmitter transmitter(sender.fd());
  std::atomic<bool> gso_switch{true};
  DatagramBatcher out(transmitter, &gso_switch, {.messages = 4, .datagrams = 6});
  std::vector<std::unique_ptr<LoopbackSocket>> viewers;
  std::vector<DeliveryCounters> counts(10);
  const auto packets = frame(1, 2);
  for (auto& count : counts) {
    viewers.push_back(std::make_unique<LoopbackSocket>());
    for (const auto& p : packets)
      out.enqueue(viewers.back()->endpoint(), p, &count);
  }
  out.flush();
  for (std::size_t v = 0; v < counts.size(); ++v) {
    EXPECT_EQ(viewers[v]->received(), bytes_of(packets)) << v;
    EXPECT_EQ(counts[v].packets_sent.load(), 2U);
  }
  // 6 datagrams (3 viewers) fill the iovecs before 4 messages are reached.
  EXPECT_EQ(out.stats().send_calls, 4U);
  EXPECT_EQ(out.stats().gso_messages, 10U);
}

}  // namespace
}  // namespace callcast::media::datagram_batcher_test
