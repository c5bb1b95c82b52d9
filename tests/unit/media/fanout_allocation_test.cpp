// DESIGN.md §7, issue 5: in steady state the relay allocates nothing per packet per viewer. Every
// allocation of this test program is counted (global operator new), and the same publication is
// relayed to 10 and to 1,000 UDP viewers spread over two fan-out workers: the count must not
// grow with the viewers, and stays a small constant per published packet (the shared packet
// and, once per read, the batch).
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <cstdlib>
#include <new>

#include "media/group_media.hpp"
#include "unit/media/h264_rtp_packets.hpp"

namespace {
std::atomic<std::uint64_t> allocations{0};
}  // namespace

void* operator new(std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}

namespace callcast::media {
namespace {

using namespace std::chrono_literals;

// Takes every message as sent, as a kernel with room would; allocates nothing.
class AcceptingTransmitter final : public DatagramTransmitter {
 public:
  int transmit(std::span<mmsghdr> messages, int&) override {
    messages_.fetch_add(messages.size(), std::memory_order_relaxed);
    return static_cast<int>(messages.size());
  }
  std::uint64_t messages() const { return messages_.load(); }

 private:
  std::atomic<std::uint64_t> messages_{0};
};

struct RelayRun {
  std::uint64_t allocations = 0;
  std::uint64_t packets = 0;
  std::uint64_t messages = 0;
};

// Publishes `frames` frames (IDR every 30) to `viewers` playing UDP viewers; counts the
// allocations of the last `measured` frames, after a warm-up that fills every cache.
RelayRun relay(std::size_t viewers, std::size_t frames, std::size_t measured) {
  const std::string sdp = std::string(
                              "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
                              "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
                              "a=fmtp:96 packetization-mode=1; sprop-parameter-sets=") +
                          test::kSpropParameterSets + "\r\na=control:streamid=0\r\n";
  auto announced = sdp::SessionDescription::parse(sdp);
  EXPECT_TRUE(announced);
  auto tracks = describe_tracks(*announced);
  EXPECT_TRUE(tracks);
  AcceptingTransmitter transmitter;
  RelayRun run;
  {
    FanoutEngine engine(FanoutOptions{.workers = 2}, transmitter);
    AcceptingTransmitter rtcp;
    GroupMedia media("g1", *tracks, *announced, rtcp, engine, GroupMediaLimits{}, 1);
    auto now = Clock::time_point{} + 100s;
    for (std::size_t i = 0; i < viewers; ++i) {
      Viewer& viewer =
          media.add_viewer("v" + std::to_string(i), "s" + std::to_string(i), false, {}, now);
      viewer.tracks[0].set_up = true;
      viewer.tracks[0].rtp = {boost::asio::ip::make_address("127.0.0.1"),
                              static_cast<std::uint16_t>(20000 + i)};
      media.start_playing(viewer, now);  // no GOP yet: waits for the first keyframe
    }
    // The publication, built before anything is counted.
    std::vector<std::vector<test::Buffer>> publication(frames);
    std::uint16_t sequence = 1;
    std::uint32_t timestamp = 0;
    const test::Buffer fragment(1100, 0x5a);
    for (std::size_t frame = 0; frame < frames; ++frame) {
      timestamp += 3000;
      const bool keyframe = frame % 30 == 0;
      const auto nal = keyframe ? test::kIdr : test::kSlice;
      std::vector<test::Buffer> payloads;
      if (keyframe) payloads.push_back(test::stap_a({test::kSps, test::kPps}));
      payloads.push_back(test::fu_a(nal, true, false, fragment));
      payloads.push_back(test::fu_a(nal, false, false, fragment));
      payloads.push_back(test::fu_a(nal, false, true, {0x01, 0x02}));
      for (std::size_t p = 0; p < payloads.size(); ++p) {
        publication[frame].push_back(test::rtp_packet(sequence++, timestamp, payloads[p],
                                                      test::kVideoPt, p + 1 == payloads.size()));
      }
    }
    for (std::size_t frame = 0; frame < frames; ++frame) {
      if (frame + measured == frames) {
        EXPECT_TRUE(engine.drain());
        run.allocations = allocations.load();
      }
      now += 33ms;
      for (const auto& packet : publication[frame]) {
        EXPECT_TRUE(media.on_publisher_rtp(0, test::bytes_of(packet), now));
        if (frame + measured >= frames) ++run.packets;
      }
      media.flush();  // the end of one read from the publisher
    }
    EXPECT_TRUE(engine.drain());
    run.allocations = allocations.load() - run.allocations;
    EXPECT_EQ(engine.batches_dropped(), 0U);
  }
  run.messages = transmitter.messages();
  return run;
}

TEST(FanoutAllocationTest, AllocationsPerPacketDoNotGrowWithTheNumberOfViewers) {
  const RelayRun few = relay(10, 300, 200);
  const RelayRun many = relay(1000, 300, 200);
  ASSERT_EQ(few.packets, many.packets);
  ASSERT_GT(many.messages, 100 * few.messages / 2) << "the viewers were really sent to";
  std::printf("allocations for %llu packets: %llu with 10 viewers, %llu with 1000 viewers\n",
              static_cast<unsigned long long>(few.packets),
              static_cast<unsigned long long>(few.allocations),
              static_cast<unsigned long long>(many.allocations));
  // Per packet: the shared packet and its bytes; per read: the batch and its arrays. Nothing
  // per viewer (a few allocations of slack for the GOP cache's deque blocks).
  EXPECT_LE(many.allocations, few.allocations + 8);
  EXPECT_LE(many.allocations, 4 * many.packets) << "a small constant per packet";
}

}  // namespace
}  // namespace callcast::media
