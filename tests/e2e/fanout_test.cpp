// The relay's correctness at fan-out (issue 5, step 709): the built callcastd, the clip published
// in real time over RTSP/TCP, 200 viewers over RTSP/UDP; every viewer must receive every packet
// published in the measurement window, once, in order. Runs the benchmark's own logic
// (callcast_loadgen) in-process so that a failure names the viewer.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "loadgen/media_bench.hpp"
#include "loadgen/media_clip.hpp"
#include "loadgen/media_packetizer.hpp"
#include "loadgen/media_run.hpp"
#include "loadgen/open_files_limit.hpp"

namespace callcast::loadgen {
namespace {

TEST(FanoutTest, TwoHundredViewersGetEveryPublishedPacketInOrder) {
  auto clip = load_media_clip(CALLCAST_BENCH_CLIP_DIR);
  ASSERT_TRUE(clip) << clip.error();
  const PacketizedClip packets = packetize_clip(*clip, RtpSettings{});
  raise_open_files_limit();

  MediaRunOptions options;
  options.target = MediaTarget::callcast;
  options.viewers = 200;
  options.duration_s = 4;
  options.ramp_rate = 500;
  options.callcastd = CALLCASTD_PATH;
  options.server_cpus = {};  // not pinned: a test shares the machine with the build
  options.bench_cpus = {};
  options.progress = false;
  auto run = run_media_once(options, *clip, packets);
  ASSERT_TRUE(run) << run.error();
  const auto& json = run->json;
  SCOPED_TRACE(json.dump());
  EXPECT_EQ(json["viewers_failed"], 0);
  EXPECT_GT(json["published_packets"].get<std::int64_t>(), 500);
  ASSERT_EQ(run->viewers.size(), 200u);

  std::size_t worst = 0;
  for (std::size_t i = 0; i < run->viewers.size(); ++i) {
    const auto& v = run->viewers[i];
    const auto& w = run->viewers[worst];
    if (v.lost + v.duplicates + v.reordered > w.lost + w.duplicates + w.reordered) worst = i;
    EXPECT_EQ(v.lost, 0u) << "viewer " << i << " lost " << v.lost << " of " << v.expected;
    EXPECT_EQ(v.duplicates, 0u) << "viewer " << i << " got " << v.duplicates << " duplicates";
    EXPECT_EQ(v.reordered, 0u) << "viewer " << i << " got " << v.reordered << " out of order";
    EXPECT_GT(v.expected, 0u) << "viewer " << i;
  }
  const auto& w = run->viewers[worst];
  EXPECT_EQ(w.lost + w.duplicates + w.reordered, 0u)
      << "worst viewer " << worst << ": expected " << w.expected << ", received " << w.received
      << ", lost " << w.lost << ", duplicates " << w.duplicates << ", reordered " << w.reordered
      << ", unmatched " << w.unmatched << ", real time " << w.realtime;
}

}  // namespace
}  // namespace callcast::loadgen
