// The fan-out benchmark's packetizer (src/loadgen/media_packetizer): RFC 6184 FU-A
// fragmentation and marker, RFC 3640 AU header, timestamps and sequence numbers across loops.
#include "loadgen/media_packetizer.hpp"

#include <gtest/gtest.h>

#include "loadgen/media_clip.hpp"
#include "loadgen/publish_ledger.hpp"

namespace callcast::loadgen {
namespace {

ByteVector nal(std::uint8_t header, std::size_t size) {
  ByteVector bytes(size);
  bytes[0] = header;
  for (std::size_t i = 1; i < size; ++i)
    bytes[i] = static_cast<std::uint8_t>(i * 7 + header);
  return bytes;
}

TEST(MediaPacketizerTest, SmallNalUnitIsSentAsIs) {
  H264AccessUnit unit{{nal(0x67, 20), nal(0x68, 5)}, false};
  const auto payloads = h264_payloads(unit, 1200);
  ASSERT_EQ(payloads.size(), 2u);
  EXPECT_EQ(payloads[0], unit.nal_units[0]);
  EXPECT_EQ(payloads[1], unit.nal_units[1]);
}

TEST(MediaPacketizerTest, LargeNalUnitIsCutIntoEqualFuAFragmentsButTheLast) {
  const ByteVector idr = nal(0x65, 3000);  // NRI 3, type 5: 2999 bytes after the header
  H264AccessUnit unit{{idr}, true};
  const auto payloads = h264_payloads(unit, 1200);
  ASSERT_EQ(payloads.size(), 3u);  // 1198 + 1198 + 603
  EXPECT_EQ(payloads[0].size(), 1200u);
  EXPECT_EQ(payloads[1].size(), 1200u);
  EXPECT_EQ(payloads[2].size(), 2u + 2999 - 2 * 1198);
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    EXPECT_EQ(payloads[i][0], 0x60 | 28) << i;  // F=0, NRI of the NAL unit, type FU-A
    const std::uint8_t start = i == 0 ? 0x80 : 0;
    const std::uint8_t end = i == 2 ? 0x40 : 0;
    EXPECT_EQ(payloads[i][1], start | end | 5) << i;
  }
  ByteVector joined = {0x65};
  for (const auto& p : payloads)
    joined.insert(joined.end(), p.begin() + 2, p.end());
  EXPECT_EQ(joined, idr);
}

TEST(MediaPacketizerTest, AacHbrPayloadHasOneAuHeader) {
  const ByteVector frame(371, 0xab);
  const auto payload = aac_hbr_payload(frame);
  ASSERT_EQ(payload.size(), 4u + 371);
  EXPECT_EQ(payload[0], 0x00);  // AU-headers-length: 16 bits
  EXPECT_EQ(payload[1], 0x10);
  EXPECT_EQ((payload[2] << 5) | (payload[3] >> 3), 371);  // AU-size, 13 bits
  EXPECT_EQ(payload[3] & 0x07, 0);                        // AU-Index
  EXPECT_EQ(payload[4], 0xab);
}

MediaClip two_frame_clip() {
  MediaClip clip;
  clip.frame_rate = 30;
  clip.video.push_back({{nal(0x67, 20), nal(0x68, 5), nal(0x65, 2500)}, true});
  clip.video.push_back({{nal(0x41, 900)}, false});
  clip.audio_frames = {ByteVector(300, 1), ByteVector(310, 2), ByteVector(320, 3)};
  clip.sample_rate = 48000;
  return clip;
}

TEST(MediaPacketizerTest, MarkerOnTheLastPacketOfEachAccessUnit) {
  const auto clip = packetize_clip(two_frame_clip(), RtpSettings{});
  std::vector<bool> video_markers;
  for (const auto& p : clip.packets) {
    if (p.kind == MediaKind::video) video_markers.push_back((p.rtp[1] & 0x80) != 0);
  }
  // Frame 0: SPS, PPS, 3 FU-A; frame 1: one single NAL unit packet.
  EXPECT_EQ(video_markers, (std::vector<bool>{false, false, false, false, true, true}));
}

TEST(MediaPacketizerTest, TimestampsAndSequenceNumbersContinueAcrossLoops) {
  RtpSettings settings;
  settings.first_sequence = 65534;  // wraps during the second loop
  settings.first_timestamp = 0xffffff00;
  const auto clip = packetize_clip(two_frame_clip(), settings);
  // 2 frames at 30 fps = 66.6 ms: audio cut to whole frames in it (3200 samples -> 3 frames).
  EXPECT_EQ(clip.video_loop_ticks, 6000u);
  EXPECT_EQ(clip.audio_loop_ticks, 3u * 1024);
  EXPECT_EQ(clip.audio_packets, 3u);
  const std::size_t per_loop = clip.packets.size();
  std::array<std::uint8_t, 2048> out{};
  std::uint16_t last_video_sequence = 0;
  std::uint32_t last_video_timestamp = 0;
  bool first = true;
  for (std::uint64_t index = 0; index < 3 * per_loop; ++index) {
    const std::size_t size = clip.write(index, out);
    ASSERT_EQ(size, clip.at(index).rtp.size());
    if (clip.at(index).kind != MediaKind::video) continue;
    const auto sequence = static_cast<std::uint16_t>((out[2] << 8) | out[3]);
    const std::uint32_t timestamp = (std::uint32_t{out[4]} << 24) | (std::uint32_t{out[5]} << 16) |
                                    (std::uint32_t{out[6]} << 8) | out[7];
    if (!first) {
      EXPECT_EQ(static_cast<std::uint16_t>(sequence - last_video_sequence), 1) << index;
      const std::uint32_t step = timestamp - last_video_timestamp;
      EXPECT_TRUE(step == 0 || step == 3000) << index << ": " << step;
    }
    first = false;
    last_video_sequence = sequence;
    last_video_timestamp = timestamp;
  }
  EXPECT_EQ(clip.send_offset_ns(per_loop), clip.loop_ns);
}

TEST(MediaPacketizerTest, LedgerMatchesRecurringPayloadsByOrder) {
  // SPS and PPS recur in every loop: the ledger takes the next one after what a viewer has.
  const auto clip = packetize_clip(two_frame_clip(), RtpSettings{});
  PublishLedger ledger(clip);
  const std::size_t per_loop = clip.packets.size();
  for (std::uint64_t index = 0; index < 2 * per_loop; ++index)
    ledger.record_sent(index, static_cast<std::int64_t>(index));
  const ByteVector& first = clip.packets[0].rtp;  // frame 0's SPS
  const std::span<const std::uint8_t> payload(first.data() + 12, first.size() - 12);
  auto latest = ledger.match(96, payload, -1);
  ASSERT_TRUE(latest);
  EXPECT_EQ(latest->index, static_cast<std::int64_t>(per_loop));
  auto unknown = ledger.match(97, payload, -1);
  EXPECT_FALSE(unknown);
}

TEST(MediaClipTest, AnnexBSplitsOnThreeAndFourByteStartCodes) {
  const ByteVector stream = {0, 0, 0, 1, 0x09, 0xf0, 0,    0,    1, 0x67,
                             1, 2, 0, 0, 0,    1,    0x65, 0x88, 9};
  const auto nals = split_annex_b(stream);
  ASSERT_EQ(nals.size(), 3u);
  EXPECT_EQ(nals[0].size(), 2u);
  EXPECT_EQ(nals[1].size(), 3u);
  EXPECT_EQ(nals[2].size(), 3u);
  const auto units = group_access_units(nals);
  ASSERT_EQ(units.size(), 1u);
  EXPECT_TRUE(units[0].keyframe);
  EXPECT_EQ(units[0].nal_units.size(), 2u);  // the delimiter is dropped
}

}  // namespace
}  // namespace callcast::loadgen
