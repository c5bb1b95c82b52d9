#include "media/track_relay.hpp"

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "rtp/rtcp.hpp"
#include "rtp/rtp_packet_view.hpp"
#include "unit/media/h264_rtp_packets.hpp"

namespace callcast::media {
namespace {

using namespace std::chrono_literals;
using test::Buffer;
using test::bytes_of;
using test::fu_a;
using test::kAudioPt;
using test::kIdr;
using test::kPps;
using test::kSlice;
using test::kSps;
using test::kVideoPt;
using test::rtp_packet;
using test::stap_a;

constexpr std::uint32_t kOurSsrc = 0xcafe0001;

TrackDescription video_track(std::vector<std::vector<std::uint8_t>> parameter_sets = {}) {
  TrackDescription track;
  track.index = 0;
  track.media = "video";
  track.codec = Codec::h264;
  track.encoding = "H264";
  track.payload_type = kVideoPt;
  track.clock_rate = 90000;
  track.control = "trackID=0";
  track.parameter_sets = std::move(parameter_sets);
  return track;
}

TrackDescription audio_track() {
  TrackDescription track;
  track.index = 1;
  track.media = "audio";
  track.codec = Codec::aac;
  track.encoding = "MPEG4-GENERIC";
  track.payload_type = kAudioPt;
  track.clock_rate = 44100;
  track.control = "trackID=1";
  return track;
}

rtp::RtpPacketView view_of(const SharedPacket& packet) {
  auto view = rtp::RtpPacketView::parse(packet->view());
  EXPECT_TRUE(view) << "the relay produced an unparseable RTP packet";
  return *view;
}

Buffer payload_of(const SharedPacket& packet) {
  const auto payload = view_of(packet).payload();
  return {payload.begin(), payload.end()};
}

class TrackRelayTest : public ::testing::Test {
 protected:
  // Feeds one publisher packet at `at`; what the relay emitted is in out_.
  IngestResult ingest(TrackRelay& relay, const Buffer& packet, Clock::time_point at) {
    out_.clear();
    return relay.ingest(bytes_of(packet), at, out_);
  }
  IngestResult ingest(TrackRelay& relay, const Buffer& packet) {
    return ingest(relay, packet, t0_);
  }

  // Feeds packets and returns the relayed sequence numbers of everything emitted, in order.
  std::vector<std::uint16_t> relay_all(TrackRelay& relay, const std::vector<Buffer>& packets) {
    std::vector<std::uint16_t> sequences;
    for (const auto& packet : packets) {
      ingest(relay, packet);
      for (const auto& relayed : out_)
        sequences.push_back(view_of(relayed).sequence_number());
    }
    return sequences;
  }

  Clock::time_point t0_ = Clock::time_point{} + 1000s;
  std::vector<SharedPacket> out_;
};

TEST_F(TrackRelayTest, RelayedPacketsCarryServerSsrcAndContinuousSequenceNumbers) {
  TrackRelay relay(video_track(), kOurSsrc);
  std::size_t bytes = 0;
  for (std::uint32_t i = 0; i < 6; ++i) {
    const Buffer packet = rtp_packet(static_cast<std::uint16_t>(1000 + i), 3000 * (i / 2), kSlice,
                                     kVideoPt, i % 2 == 1);
    bytes += packet.size();
    const IngestResult result = ingest(relay, packet, t0_ + i * 16ms);
    ASSERT_TRUE(result.accepted);
    ASSERT_EQ(out_.size(), 1U);
    const auto view = view_of(out_[0]);
    EXPECT_EQ(view.ssrc(), kOurSsrc);
    EXPECT_EQ(view.sequence_number(), static_cast<std::uint16_t>(1000 + i));
    EXPECT_EQ(view.timestamp(), 3000 * (i / 2));
    EXPECT_EQ(view.payload_type(), kVideoPt);
    EXPECT_EQ(view.marker(), i % 2 == 1);
    EXPECT_EQ(payload_of(out_[0]), kSlice);
    EXPECT_EQ(out_[0]->sequence, view.sequence_number());
    EXPECT_EQ(out_[0]->timestamp, view.timestamp());
    EXPECT_EQ(out_[0]->track, 0);
  }
  EXPECT_TRUE(relay.has_sent());
  EXPECT_EQ(relay.next_sequence(), 1006);
  EXPECT_EQ(relay.last_timestamp(), 6000U);
  EXPECT_EQ(relay.packets(), 6U);
  EXPECT_EQ(relay.bytes(), bytes);
  EXPECT_EQ(relay.malformed(), 0U);
}

TEST_F(TrackRelayTest, SequenceNumbersWrapAt65535IncludingAnInjectedPacket) {
  TrackRelay relay(video_track({kSps, kPps}), kOurSsrc);
  const auto sequences = relay_all(relay, {
                                              rtp_packet(65533, 0, kSlice),
                                              rtp_packet(65534, 3000, kSlice),
                                              rtp_packet(65535, 6000, kIdr),  // SPS/PPS injected
                                              rtp_packet(0, 9000, kSlice),
                                              rtp_packet(1, 12000, kSlice),
                                          });
  EXPECT_EQ(sequences, (std::vector<std::uint16_t>{65533, 65534, 65535, 0, 1, 2}));
  EXPECT_EQ(relay.next_sequence(), 3);
}

TEST_F(TrackRelayTest, MalformedOrWrongPayloadTypePacketsAreDroppedAndCounted) {
  TrackRelay relay(video_track({kSps, kPps}), kOurSsrc);
  Buffer version1 = rtp_packet(1, 0, kSlice);
  version1[0] = 0x40;
  Buffer padding_eats_payload = rtp_packet(1, 0, {0x41, 0x00, 0x00, 0x04});
  padding_eats_payload[0] |= 0x20;
  const std::vector<Buffer> bad = {
      Buffer{0x80, 0x60, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00},  // shorter than the fixed header
      version1,
      rtp_packet(1, 0, kSlice, /*pt=*/8),                // not the announced payload type
      rtp_packet(1, 0, {}),                              // no payload
      padding_eats_payload,                              // padding only
      rtp_packet(1, 0, {0xe5, 0x88, 0x84}),              // H.264 forbidden bit
      rtp_packet(1, 0, {0x78, 0x00, 0x10, 0x67}),        // STAP-A size beyond the packet
      rtp_packet(1, 0, fu_a(kIdr, true, true, {1})),     // FU-A both start and end
      rtp_packet(1, 0, {0x7a, 0x00, 0x00, 0x00, 0x00}),  // MTAP16: interleaved mode only
  };
  std::uint64_t malformed = 0;
  for (const auto& packet : bad) {
    const IngestResult result = ingest(relay, packet);
    EXPECT_FALSE(result.accepted);
    EXPECT_FALSE(result.keyframe_au);
    EXPECT_TRUE(out_.empty());
    EXPECT_EQ(relay.malformed(), ++malformed);
  }
  EXPECT_EQ(relay.packets(), 0U);
  EXPECT_EQ(relay.bytes(), 0U);
  EXPECT_FALSE(relay.has_sent());

  EXPECT_TRUE(ingest(relay, rtp_packet(2, 0, kSlice)).accepted);
  EXPECT_EQ(out_.size(), 1U);
  EXPECT_EQ(relay.malformed(), malformed);
}

TEST_F(TrackRelayTest, AudioPayloadsAreRelayedWithoutH264Inspection) {
  TrackRelay relay(audio_track(), kOurSsrc);
  // Bytes that would be an IDR, and one that would break the H.264 forbidden bit.
  for (const Buffer& payload : {Buffer{0x65, 0x01, 0x02}, Buffer{0xff, 0x10, 0x20}}) {
    const IngestResult result = ingest(relay, rtp_packet(7, 1024, payload, kAudioPt));
    EXPECT_TRUE(result.accepted);
    EXPECT_FALSE(result.keyframe_au);
    EXPECT_FALSE(result.new_access_unit);
    ASSERT_EQ(out_.size(), 1U);
    EXPECT_EQ(payload_of(out_[0]), payload);
    EXPECT_EQ(out_[0]->track, 1);
  }
  EXPECT_EQ(relay.keyframes(), 0U);
  EXPECT_FALSE(ingest(relay, rtp_packet(8, 2048, {0x01}, kVideoPt)).accepted);
  EXPECT_EQ(relay.malformed(), 1U);
}

// The lead's SDP path: parameter sets announced in sprop-parameter-sets reach the relay through
// describe_tracks.
TEST_F(TrackRelayTest, SpropParameterSetsAreInjectedOnceBeforeIdrThatCameWithoutThem) {
  const auto announced = sdp::SessionDescription::parse(
      std::string("v=0\r\no=- 0 0 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n"
                  "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
                  "a=fmtp:96 packetization-mode=1; sprop-parameter-sets=") +
      test::kSpropParameterSets + "\r\na=control:trackID=0\r\n");
  ASSERT_TRUE(announced) << announced.error();
  auto tracks = describe_tracks(*announced);
  ASSERT_TRUE(tracks) << tracks.error();
  ASSERT_EQ(tracks->size(), 1U);
  EXPECT_EQ((*tracks)[0].parameter_sets, (std::vector<std::vector<std::uint8_t>>{kSps, kPps}));
  TrackRelay relay((*tracks)[0], kOurSsrc);

  ingest(relay, rtp_packet(10, 0, kSlice, kVideoPt, true));
  ASSERT_EQ(out_.size(), 1U);

  // An IDR in three FU-A fragments, then a second IDR slice of the same picture.
  const IngestResult first = ingest(relay, rtp_packet(11, 3000, fu_a(kIdr, true, false, {1, 2})));
  EXPECT_TRUE(first.keyframe_au);
  EXPECT_TRUE(first.new_access_unit);
  ASSERT_EQ(out_.size(), 2U);
  const auto injected = view_of(out_[0]);
  EXPECT_EQ(payload_of(out_[0]), stap_a({kSps, kPps}));
  EXPECT_EQ(injected.sequence_number(), 11);
  EXPECT_EQ(injected.timestamp(), 3000U);
  EXPECT_EQ(injected.payload_type(), kVideoPt);
  EXPECT_EQ(injected.ssrc(), kOurSsrc);
  EXPECT_FALSE(injected.marker());
  EXPECT_EQ(out_[0]->sequence, 11);
  EXPECT_EQ(view_of(out_[1]).sequence_number(), 12);
  EXPECT_EQ(payload_of(out_[1]), fu_a(kIdr, true, false, {1, 2}));

  // Later packets are shifted by the injected one: no gap, no duplicate for viewers.
  const auto sequences = relay_all(relay, {
                                              rtp_packet(12, 3000, fu_a(kIdr, false, false, {3})),
                                              rtp_packet(13, 3000, fu_a(kIdr, false, true, {4})),
                                              rtp_packet(14, 3000, kIdr, kVideoPt, true),
                                              rtp_packet(15, 6000, kSlice, kVideoPt, true),
                                          });
  EXPECT_EQ(sequences, (std::vector<std::uint16_t>{13, 14, 15, 16}));
  EXPECT_EQ(relay.packets(), 7U);
  EXPECT_EQ(relay.next_sequence(), 17);
}

TEST_F(TrackRelayTest, InBandParameterSetsAreRememberedAndInjectedBeforeALaterIdr) {
  // Announced parameter sets are replaced by what the publisher sends in band.
  TrackRelay relay(video_track({kSps, kPps}), kOurSsrc);
  auto sequences =
      relay_all(relay, {
                           rtp_packet(1, 0, stap_a({test::kOtherSps, test::kOtherPps})),
                           rtp_packet(2, 0, kIdr, kVideoPt, true),
                           rtp_packet(3, 3000, kSlice, kVideoPt, true),
                       });
  EXPECT_EQ(sequences, (std::vector<std::uint16_t>{1, 2, 3}));

  ingest(relay, rtp_packet(4, 6000, kIdr, kVideoPt, true));
  ASSERT_EQ(out_.size(), 2U);
  EXPECT_EQ(payload_of(out_[0]), stap_a({test::kOtherSps, test::kOtherPps}));
  EXPECT_EQ(view_of(out_[0]).sequence_number(), 4);
  EXPECT_EQ(view_of(out_[1]).sequence_number(), 5);
}

TEST_F(TrackRelayTest, SingleNalParameterSetsSeenInBandAreInjectedWithoutAnySprop) {
  TrackRelay relay(video_track(), kOurSsrc);
  auto sequences = relay_all(relay, {
                                        rtp_packet(1, 0, test::kOtherSps),
                                        rtp_packet(2, 0, test::kOtherPps),
                                        rtp_packet(3, 0, kIdr, kVideoPt, true),
                                        rtp_packet(4, 3000, kSlice, kVideoPt, true),
                                    });
  EXPECT_EQ(sequences, (std::vector<std::uint16_t>{1, 2, 3, 4}));

  ingest(relay, rtp_packet(5, 6000, fu_a(kIdr, true, false, {9})));
  ASSERT_EQ(out_.size(), 2U);
  EXPECT_EQ(payload_of(out_[0]), stap_a({test::kOtherSps, test::kOtherPps}));
}

TEST_F(TrackRelayTest, NothingIsInjectedWhenTheAccessUnitAlreadyCarriesParameterSets) {
  TrackRelay relay(video_track({kSps, kPps}), kOurSsrc);
  auto sequences = relay_all(relay, {
                                        rtp_packet(20, 0, stap_a({kSps, kPps})),
                                        rtp_packet(21, 0, fu_a(kIdr, true, false, {1})),
                                        rtp_packet(22, 0, fu_a(kIdr, false, true, {2})),
                                        rtp_packet(23, 3000, kSps),
                                        rtp_packet(24, 3000, kPps),
                                        rtp_packet(25, 3000, kIdr, kVideoPt, true),
                                    });
  EXPECT_EQ(sequences, (std::vector<std::uint16_t>{20, 21, 22, 23, 24, 25}));
  EXPECT_EQ(relay.packets(), 6U);
}

TEST_F(TrackRelayTest, NothingIsInjectedWhileNoParameterSetsAreKnown) {
  TrackRelay relay(video_track(), kOurSsrc);
  ingest(relay, rtp_packet(1, 0, kIdr, kVideoPt, true));
  ASSERT_EQ(out_.size(), 1U);
  EXPECT_EQ(payload_of(out_[0]), kIdr);
}

TEST_F(TrackRelayTest, KeyframesAreCountedPerAccessUnitNotPerPacket) {
  TrackRelay relay(video_track(), kOurSsrc);
  struct Step {
    Buffer packet;
    bool new_access_unit;
    bool keyframe_au;
    std::uint64_t keyframes;
  };
  const std::vector<Step> steps = {
      // SPS/PPS + an IDR in three fragments: one keyframe.
      {rtp_packet(1, 0, stap_a({kSps, kPps})), true, true, 1},
      {rtp_packet(2, 0, fu_a(kIdr, true, false, {1})), false, true, 1},
      {rtp_packet(3, 0, fu_a(kIdr, false, false, {2})), false, true, 1},
      {rtp_packet(4, 0, fu_a(kIdr, false, true, {3}), kVideoPt, true), false, true, 1},
      // A P frame.
      {rtp_packet(5, 3000, kSlice, kVideoPt, true), true, false, 1},
      // A picture of two IDR slices (in-band parameter sets now known, so one is injected).
      {rtp_packet(6, 6000, kIdr), true, true, 2},
      {rtp_packet(7, 6000, kIdr, kVideoPt, true), false, true, 2},
      // An access unit delimiter first: the access unit becomes a keyframe at its IDR.
      {rtp_packet(8, 9000, test::kAud), true, false, 2},
      {rtp_packet(9, 9000, kIdr, kVideoPt, true), false, true, 3},
      {rtp_packet(10, 12000, kSlice, kVideoPt, true), true, false, 3},
  };
  for (std::size_t i = 0; i < steps.size(); ++i) {
    SCOPED_TRACE("step " + std::to_string(i));
    const IngestResult result = ingest(relay, steps[i].packet);
    EXPECT_TRUE(result.accepted);
    EXPECT_EQ(result.new_access_unit, steps[i].new_access_unit);
    EXPECT_EQ(result.keyframe_au, steps[i].keyframe_au);
    EXPECT_EQ(relay.keyframes(), steps[i].keyframes);
  }
}

TEST_F(TrackRelayTest, RebaseKeepsSequenceAndTimestampContinuousAcrossPublisherChange) {
  TrackRelay relay(video_track({kSps, kPps}), kOurSsrc);
  // Publisher A.
  ingest(relay, rtp_packet(100, 9000, kSlice), t0_);
  ingest(relay, rtp_packet(101, 12000, kSlice), t0_ + 33ms);
  ingest(relay, rtp_packet(102, 15000, kSlice), t0_ + 66ms);
  ASSERT_EQ(relay.next_sequence(), 103);
  ASSERT_EQ(relay.last_timestamp(), 15000U);

  // Publisher B starts 40 ms after A's last packet, with numbering of its own (and, as viewers
  // restart decoding at B's first keyframe, with one).
  relay.rebase(t0_ + 80ms);
  constexpr std::uint32_t kB = 3'000'000'000U;
  ingest(relay, rtp_packet(65535, kB, stap_a({kSps, kPps}), kVideoPt, false, 0x99999999),
         t0_ + 106ms);
  ASSERT_EQ(out_.size(), 1U);
  EXPECT_EQ(view_of(out_[0]).sequence_number(), 103);
  EXPECT_EQ(view_of(out_[0]).timestamp(), 15000U + 3600U);  // 40 ms at 90 kHz
  EXPECT_EQ(view_of(out_[0]).ssrc(), kOurSsrc);

  // B's own spacing is kept, across its sequence wrap, and its bare IDR still gets SPS/PPS.
  ingest(relay, rtp_packet(0, kB + 3000, kSlice), t0_ + 139ms);
  EXPECT_EQ(view_of(out_[0]).sequence_number(), 104);
  EXPECT_EQ(view_of(out_[0]).timestamp(), 21600U);
  ingest(relay, rtp_packet(1, kB + 6000, kIdr), t0_ + 172ms);
  ASSERT_EQ(out_.size(), 2U);
  EXPECT_EQ(view_of(out_[0]).sequence_number(), 105);
  EXPECT_EQ(view_of(out_[1]).sequence_number(), 106);
  EXPECT_EQ(view_of(out_[1]).timestamp(), 24600U);
  EXPECT_EQ(relay.next_sequence(), 107);
}

TEST_F(TrackRelayTest, RebaseBeforeIdrWithoutParameterSetsLeavesNoGap) {
  TrackRelay relay(video_track({kSps, kPps}), kOurSsrc);
  ingest(relay, rtp_packet(500, 1000, kSlice), t0_);
  relay.rebase(t0_ + 10ms);
  ingest(relay, rtp_packet(7, 42, kIdr, kVideoPt, true), t0_ + 100ms);
  ASSERT_EQ(out_.size(), 2U);
  EXPECT_EQ(payload_of(out_[0]), stap_a({kSps, kPps}));
  EXPECT_EQ(view_of(out_[0]).sequence_number(), 501);
  EXPECT_EQ(view_of(out_[1]).sequence_number(), 502);
  EXPECT_EQ(view_of(out_[0]).timestamp(), 1000U + 9000U);
  EXPECT_EQ(view_of(out_[1]).timestamp(), 1000U + 9000U);
  ingest(relay, rtp_packet(8, 3042, kSlice), t0_ + 133ms);
  EXPECT_EQ(view_of(out_[0]).sequence_number(), 503);
  EXPECT_EQ(view_of(out_[0]).timestamp(), 13000U);
}

TEST_F(TrackRelayTest, RebaseBeforeAnythingWasSentKeepsThePublishersNumbering) {
  TrackRelay relay(audio_track(), kOurSsrc);
  relay.rebase(t0_);
  ingest(relay, rtp_packet(42, 1234, {0x01, 0x02}, kAudioPt), t0_ + 1s);
  ASSERT_EQ(out_.size(), 1U);
  EXPECT_EQ(view_of(out_[0]).sequence_number(), 42);
  EXPECT_EQ(view_of(out_[0]).timestamp(), 1234U);
}

TEST_F(TrackRelayTest,
       StalePacketsAreDroppedWithoutTakingASequenceNumberAndVideoRestartsAtKeyframe) {
  TrackRelay relay(video_track({kSps, kPps}), kOurSsrc, 1s);
  ingest(relay, rtp_packet(100, 9000, stap_a({kSps, kPps})), t0_);
  ingest(relay, rtp_packet(101, 9000, kIdr, kVideoPt, true), t0_);
  ingest(relay, rtp_packet(102, 12000, kSlice, kVideoPt, true), t0_ + 33ms);
  ASSERT_EQ(relay.next_sequence(), 103);

  // Three seconds of nothing, then the backlog: pictures of 66 and 100 ms, 3 s late.
  IngestResult result = ingest(relay, rtp_packet(103, 15000, kSlice, kVideoPt, true), t0_ + 3033ms);
  EXPECT_TRUE(result.accepted);
  EXPECT_TRUE(result.stale);
  EXPECT_TRUE(out_.empty());
  result = ingest(relay, rtp_packet(104, 18000, kSlice, kVideoPt, true), t0_ + 3034ms);
  EXPECT_TRUE(result.stale);
  EXPECT_TRUE(relay.holding());
  // A fresh picture that is no keyframe refers to dropped ones: held.
  result = ingest(relay, rtp_packet(105, 9000 + 90 * 3000, kSlice, kVideoPt, true), t0_ + 3040ms);
  EXPECT_FALSE(result.stale);
  EXPECT_TRUE(result.held);
  EXPECT_TRUE(out_.empty());

  // The next keyframe goes out with the next sequence number; SPS/PPS injected before it.
  result = ingest(relay, rtp_packet(106, 9000 + 93 * 3000, kIdr, kVideoPt, true), t0_ + 3100ms);
  EXPECT_TRUE(result.keyframe_start);
  EXPECT_TRUE(result.new_access_unit);
  ASSERT_EQ(out_.size(), 2U);
  EXPECT_EQ(payload_of(out_[0]), stap_a({kSps, kPps}));
  EXPECT_EQ(view_of(out_[0]).sequence_number(), 103);
  EXPECT_EQ(view_of(out_[1]).sequence_number(), 104);
  EXPECT_EQ(view_of(out_[1]).timestamp(), 9000U + 93U * 3000U);
  EXPECT_FALSE(relay.holding());
  ingest(relay, rtp_packet(107, 9000 + 94 * 3000, kSlice, kVideoPt, true), t0_ + 3133ms);
  ASSERT_EQ(out_.size(), 1U);
  EXPECT_EQ(view_of(out_[0]).sequence_number(), 105);

  EXPECT_EQ(relay.stale_packets(), 2U);
  EXPECT_EQ(relay.held_packets(), 1U);
  EXPECT_EQ(relay.packets(), 6U) << "relayed: 3 before, the injected STAP-A, the IDR, 1 after";
}

TEST_F(TrackRelayTest, AudioIsNeverHeldAndResumesWithItsFirstFreshPacket) {
  TrackRelay relay(audio_track(), kOurSsrc, 1s);
  ingest(relay, rtp_packet(1, 0, {0x01}, kAudioPt), t0_);
  relay.hold_until_keyframe();
  EXPECT_FALSE(relay.holding());
  // 2 s of nothing, then a packet 2 s late (stale), then a fresh one: it takes number 2.
  EXPECT_TRUE(ingest(relay, rtp_packet(2, 1024, {0x02}, kAudioPt), t0_ + 2023ms).stale);
  const IngestResult result = ingest(relay, rtp_packet(3, 2 * 44100, {0x03}, kAudioPt), t0_ + 2s);
  EXPECT_FALSE(result.stale);
  EXPECT_FALSE(result.held);
  ASSERT_EQ(out_.size(), 1U);
  EXPECT_EQ(view_of(out_[0]).sequence_number(), 2);
}

TEST_F(TrackRelayTest, RebaseAfterSendingHoldsVideoUntilTheNewPublishersFirstKeyframe) {
  TrackRelay relay(video_track({kSps, kPps}), kOurSsrc);
  ingest(relay, rtp_packet(500, 1000, kSlice), t0_);
  relay.rebase(t0_ + 10ms);
  // The new publisher's first pictures are deltas (its keyframe was lost in the reconnection).
  EXPECT_TRUE(ingest(relay, rtp_packet(7, 42, kSlice), t0_ + 100ms).held);
  EXPECT_TRUE(ingest(relay, rtp_packet(8, 3042, kSlice), t0_ + 133ms).held);
  EXPECT_TRUE(out_.empty());
  ingest(relay, rtp_packet(9, 6042, stap_a({kSps, kPps})), t0_ + 166ms);
  ASSERT_EQ(out_.size(), 1U);
  EXPECT_EQ(view_of(out_[0]).sequence_number(), 501) << "no gap for the held pictures";
  // Timestamps follow the new publisher's clock from where the old one stopped (+100 ms).
  EXPECT_EQ(view_of(out_[0]).timestamp(), 1000U + 9000U + 6000U);
}

TEST_F(TrackRelayTest, HoldingReleasesAtAnAccessUnitThatStartsWithSps) {
  TrackRelay relay(video_track(), kOurSsrc);
  ingest(relay, rtp_packet(1, 1000, stap_a({kSps, kPps})), t0_);
  relay.hold_until_keyframe();
  EXPECT_TRUE(ingest(relay, rtp_packet(2, 4000, kSlice), t0_ + 33ms).held);
  ingest(relay, rtp_packet(3, 7000, stap_a({kSps, kPps})), t0_ + 66ms);
  ASSERT_EQ(out_.size(), 1U);
  ingest(relay, rtp_packet(4, 7000, kIdr, kVideoPt, true), t0_ + 66ms);
  ASSERT_EQ(out_.size(), 1U) << "SPS/PPS came in band: nothing injected";
  EXPECT_EQ(view_of(out_[0]).sequence_number(), 3);
}

class RelayedSenderReportTest : public TrackRelayTest {
 protected:
  // A relay whose timestamps are offset from the current publisher's: A sent up to 15000, B
  // started at 3'000'000'000 40 ms later, which the relay maps to 18600.
  RelayedSenderReportTest() : relay_(video_track({kSps, kPps}), kOurSsrc) {
    ingest(relay_, rtp_packet(100, 15000, kSlice), t0_);
    relay_.rebase(t0_ + 20ms);
    ingest(relay_, rtp_packet(9, 3'000'000'000U, stap_a({kSps, kPps})), t0_ + 40ms);
    ingest(relay_, rtp_packet(10, 3'000'003'000U, kSlice), t0_ + 73ms);
  }

  TrackRelay relay_;
  std::array<std::uint8_t, 256> buffer_{};
};

TEST_F(RelayedSenderReportTest, RelayedSenderReportUsesOurSsrcAndMappedRtpTime) {
  rtp::SenderInfo publisher;
  publisher.ssrc = 0x99999999;
  publisher.ntp_timestamp = 0xe8f1a2b3'c4d5e6f7ULL;
  publisher.rtp_timestamp = 3'000'001'500U;
  publisher.packet_count = 5555;
  publisher.octet_count = 777777;

  const std::size_t size = relay_.relay_sender_report(publisher, "callcast-g1", buffer_);
  ASSERT_GT(size, 0U);
  const auto compound = rtp::RtcpCompoundView::parse(rtp::Bytes(buffer_.data(), size));
  ASSERT_TRUE(compound);
  ASSERT_EQ(compound->size(), 2U);
  const auto sr = rtp::parse_sender_report((*compound)[0]);
  ASSERT_TRUE(sr);
  EXPECT_EQ(sr->sender.ssrc, kOurSsrc);
  EXPECT_EQ(sr->sender.ntp_timestamp, publisher.ntp_timestamp);
  EXPECT_EQ(sr->sender.rtp_timestamp, 18600U + 1500U);
  EXPECT_EQ(sr->sender.packet_count, relay_.packets());
  EXPECT_EQ(sr->block_count, 0U);

  // SDES: our SSRC, then CNAME (item 1) with the name given.
  const auto& sdes = (*compound)[1];
  EXPECT_EQ(sdes.type(), static_cast<std::uint8_t>(rtp::RtcpType::source_description));
  const auto body = sdes.body();
  ASSERT_GE(body.size(), 6U + 11U);
  EXPECT_EQ(rtp::read_u32(body.data()), kOurSsrc);
  EXPECT_EQ(body[4], 1);
  EXPECT_EQ(body[5], 11);
  EXPECT_EQ(std::string(body.begin() + 6, body.begin() + 17), "callcast-g1");
}

// RFC 3550 §6.4.1: the sender's octet count is payload octets, "not including header or padding".
TEST_F(RelayedSenderReportTest, RelayedSenderReportCountsPayloadOctetsOnly) {
  const std::size_t size = relay_.relay_sender_report({}, "c", buffer_);
  ASSERT_GT(size, 0U);
  const auto compound = rtp::RtcpCompoundView::parse(rtp::Bytes(buffer_.data(), size));
  ASSERT_TRUE(compound);
  const auto sr = rtp::parse_sender_report((*compound)[0]);
  ASSERT_TRUE(sr);
  EXPECT_EQ(sr->sender.packet_count, 3U);
  EXPECT_EQ(sr->sender.octet_count, 2 * kSlice.size() + stap_a({kSps, kPps}).size());
}

TEST_F(RelayedSenderReportTest, RelayedSenderReportFailsWhenSrAndSdesDoNotFit) {
  std::array<std::uint8_t, 28> sr_only{};  // room for the SR, none for the SDES
  EXPECT_EQ(relay_.relay_sender_report({}, "callcast-g1", sr_only), 0U);
  std::array<std::uint8_t, 8> tiny{};
  EXPECT_EQ(relay_.relay_sender_report({}, "callcast-g1", tiny), 0U);
}

// GStreamer's rtspclientsink in its default configuration (avenc_aac ! rtspclientsink): AAC as
// MP4A-LATM (RFC 6416), without a channel count, captured from GStreamer 1.22's ANNOUNCE.
constexpr std::string_view kRtspClientSinkLatmSdp =
    "v=0\r\no=- 4054686281 1 IN IP4 127.0.0.1\r\ns=Session streamed with GStreamer\r\n"
    "i=rtspclientsink\r\nt=0 0\r\na=tool:GStreamer\r\n"
    "m=audio 0 RTP/AVP 96\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:96 MP4A-LATM/44100\r\n"
    "a=fmtp:96 cpresent=0;config=40002410adca00\r\na=control:stream=0\r\n"
    "a=ts-refclk:local\r\na=mediaclk:sender\r\n"
    "a=ssrc:4055628051 cname:user3538070880@host-c9af560e\r\n";

TEST(DescribeTracks, AcceptsMp4aLatmAudioAsAnnounced) {
  const auto announced = sdp::SessionDescription::parse(kRtspClientSinkLatmSdp);
  ASSERT_TRUE(announced) << announced.error();
  const auto tracks = describe_tracks(*announced);
  ASSERT_TRUE(tracks) << tracks.error();
  ASSERT_EQ(tracks->size(), 1U);
  const TrackDescription& audio = (*tracks)[0];
  EXPECT_EQ(audio.codec, Codec::aac_latm);
  EXPECT_EQ(to_string(audio.codec), "MP4A-LATM");
  EXPECT_EQ(audio.encoding, "MP4A-LATM");
  EXPECT_EQ(audio.payload_type, 96);
  EXPECT_EQ(audio.clock_rate, 44100U);
  EXPECT_EQ(audio.control, "stream=0");
  EXPECT_EQ(sdp::fmtp_for(audio.description, 96), "cpresent=0;config=40002410adca00");

  // Its packets are relayed as they come: only the RTP header is rewritten.
  TrackRelay relay(audio, 0xC0FFEE);
  std::vector<SharedPacket> out;
  const Buffer latm = {0x17, 0x21, 0x10, 0x05, 0x00, 0xa0, 0x1c};  // PayloadLengthInfo + data
  const auto result = relay.ingest(bytes_of(rtp_packet(7, 1024, latm, 96, true)), {}, out);
  EXPECT_TRUE(result.accepted);
  ASSERT_EQ(out.size(), 1U);
  EXPECT_EQ(payload_of(out[0]), latm);
  EXPECT_EQ(view_of(out[0]).ssrc(), 0xC0FFEEU);
  EXPECT_EQ(relay.malformed(), 0U);
}

TEST(DescribeTracks, RejectsCodecsCallcastCannotRelay) {
  const auto announced = sdp::SessionDescription::parse(
      "v=0\r\no=- 0 0 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n"
      "m=video 0 RTP/AVP 98\r\na=rtpmap:98 VP8/90000\r\n");
  ASSERT_TRUE(announced) << announced.error();
  const auto tracks = describe_tracks(*announced);
  ASSERT_FALSE(tracks);
  EXPECT_NE(tracks.error().find("VP8"), std::string::npos) << tracks.error();
}

}  // namespace
}  // namespace callcast::media
