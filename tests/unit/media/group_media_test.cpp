#include "media/group_media.hpp"

#include <gtest/gtest.h>

#include "unit/media/group_media_fixture.hpp"

namespace callcast::media {
namespace {

using namespace group_media_test;
using namespace std::chrono_literals;

// The JSON snapshot and /metrics name a viewer's transport alike: by how it came first (a browser
// or a phone, whatever its socket), then by its RTSP transport.
TEST(ViewerTransport, NamesBrowsersPhonesAndRtspUdpAndTcpViewers) {
  Viewer viewer;
  EXPECT_EQ(transport_of(viewer), "udp");
  viewer.tcp = true;
  EXPECT_EQ(transport_of(viewer), "tcp");
  viewer.tcp = false;
  viewer.kind = ViewerKind::phone;
  EXPECT_EQ(transport_of(viewer), "rtp");
  viewer.kind = ViewerKind::browser;
  EXPECT_EQ(transport_of(viewer), "webrtc");
  EXPECT_EQ(kViewerTransports.size(), 4U);
}

TEST_F(GroupMediaTest, ViewerStartsWithGopCacheThenLivePacketsInOrderWithoutGapsOrDuplicates) {
  publish_delta();  // before any keyframe: never cached
  publish_audio();
  publish_keyframe();
  publish_audio();
  publish_delta();
  publish_audio();
  ASSERT_TRUE(media().gop_cache().valid());
  ASSERT_EQ(media().gop_cache().packets().size(), 6U);

  Viewer& viewer = add_udp_viewer("v", 6000);
  const auto starts = play(viewer);
  ASSERT_EQ(starts.size(), 2U);
  EXPECT_EQ(starts[0].track, kVideo);
  EXPECT_EQ(starts[0].sequence, 4001);  // the cached STAP-A
  EXPECT_EQ(starts[0].rtptime, 96000U);
  EXPECT_EQ(starts[1].track, kAudio);
  EXPECT_EQ(starts[1].sequence, 701);  // the first audio after the keyframe
  EXPECT_EQ(starts[1].rtptime, 44100U + 1024U);
  EXPECT_TRUE(udp_.rtp.empty()) << "nothing may be sent before the PLAY response";

  EXPECT_TRUE(media().pace());  // 3 of the 6 cached packets
  EXPECT_EQ(udp_.rtp.size(), 3U);
  publish_delta();  // live while catching up: queued behind the cache
  publish_audio();
  EXPECT_EQ(udp_.rtp.size(), 3U);
  EXPECT_TRUE(media().pace());
  EXPECT_EQ(udp_.rtp.size(), 6U);
  EXPECT_FALSE(media().pace());
  EXPECT_EQ(udp_.rtp.size(), 8U);
  EXPECT_FALSE(media().has_backlog());
  publish_delta();  // caught up: sent at once
  publish_audio();
  EXPECT_EQ(udp_.rtp.size(), 10U);
  EXPECT_FALSE(media().pace());

  const auto video = video_at(6000);
  ASSERT_EQ(video.size(), 6U);
  EXPECT_EQ(video[0].nal_types, (std::vector<int>{7, 8}));
  EXPECT_EQ(video[1].nal_types, (std::vector<int>{5}));    // IDR start fragment
  EXPECT_EQ(video[2].nal_types, (std::vector<int>{105}));  // its end
  EXPECT_EQ(video[3].nal_types, (std::vector<int>{1}));
  EXPECT_EQ(video[0].sequence, starts[0].sequence);
  EXPECT_EQ(video[0].timestamp, starts[0].rtptime);
  EXPECT_TRUE(contiguous(video));
  for (const auto& packet : video)
    EXPECT_EQ(packet.ssrc, video_ssrc());

  const auto audio = audio_at(6000);
  ASSERT_EQ(audio.size(), 4U);
  EXPECT_EQ(audio[0].sequence, starts[1].sequence);
  EXPECT_TRUE(contiguous(audio));
  for (const auto& packet : audio)
    EXPECT_EQ(packet.ssrc, audio_ssrc());

  // Across tracks too, the viewer got packets in the order they were published.
  std::vector<std::pair<std::size_t, std::uint16_t>> order;
  for (const auto& datagram : udp_.rtp) {
    const auto view = rtp::RtpPacketView::parse(bytes_of(datagram.bytes));
    ASSERT_TRUE(view);
    order.emplace_back(view->payload_type() == kVideoPt ? kVideo : kAudio, view->sequence_number());
  }
  EXPECT_EQ(order, (std::vector<std::pair<std::size_t, std::uint16_t>>{{0, 4001},
                                                                       {0, 4002},
                                                                       {0, 4003},
                                                                       {1, 701},
                                                                       {0, 4004},
                                                                       {1, 702},
                                                                       {0, 4005},
                                                                       {1, 703},
                                                                       {0, 4006},
                                                                       {1, 704}}));
  EXPECT_EQ(sent(viewer), 10U);
  EXPECT_EQ(dropped(viewer), 0U);
}

TEST_F(GroupMediaTest, PaceSendsAtMostPaceBurstPacketsPerViewerPerTick) {
  limits_.pace_burst_packets = 2;
  publish_keyframe();
  publish_audio();
  publish_delta();  // 5 cached packets
  Viewer& first = add_udp_viewer("a", 6000);
  Viewer& second = add_udp_viewer("b", 7000);
  play(first);
  play(second);
  EXPECT_TRUE(media().has_backlog());

  const std::vector<std::size_t> expected_after_each_tick = {2, 4, 5};
  for (std::size_t tick = 0; tick < expected_after_each_tick.size(); ++tick) {
    const bool left = media().pace();
    EXPECT_EQ(left, tick + 1 < expected_after_each_tick.size());
    EXPECT_EQ(sent(first), expected_after_each_tick[tick]);
    EXPECT_EQ(sent(second), expected_after_each_tick[tick]);
  }
  EXPECT_FALSE(media().has_backlog());
}

TEST_F(GroupMediaTest, ViewerJoiningAfterBareIdrStartsWithInjectedParameterSets) {
  publish_bare_keyframe();
  publish_delta();
  Viewer& viewer = add_udp_viewer("v", 6000, true, false);
  play(viewer);
  pace_until_done();
  const auto video = video_at(6000);
  ASSERT_EQ(video.size(), 4U);
  EXPECT_EQ(video[0].payload, stap_a({kSps, kPps}));
  EXPECT_EQ(video[1].nal_types, (std::vector<int>{5}));
  EXPECT_EQ(video[2].nal_types, (std::vector<int>{105}));
  EXPECT_EQ(video[3].nal_types, (std::vector<int>{1}));
  EXPECT_EQ(video[0].timestamp, video[1].timestamp);
  EXPECT_TRUE(contiguous(video));
}

TEST_F(GroupMediaTest, ViewerWithoutGopCacheWaitsForTheNextKeyframeForVideo) {
  publish_delta();
  publish_audio();
  Viewer& viewer = add_udp_viewer("v", 6000);
  const auto starts = play(viewer);
  EXPECT_TRUE(viewer.awaiting_keyframe);
  EXPECT_TRUE(viewer.backlog.empty());
  ASSERT_EQ(starts.size(), 2U);
  EXPECT_EQ(starts[0].sequence, media().tracks()[kVideo].next_sequence());

  publish_delta();
  publish_audio();  // audio needs no keyframe
  EXPECT_TRUE(video_at(6000).empty());
  EXPECT_EQ(audio_at(6000).size(), 1U);

  publish_keyframe();
  publish_delta();
  publish_audio();
  EXPECT_FALSE(viewer.awaiting_keyframe);
  const auto video = video_at(6000);
  ASSERT_EQ(video.size(), 4U);
  EXPECT_EQ(video[0].nal_types, (std::vector<int>{7, 8}));
  EXPECT_EQ(video[1].nal_types, (std::vector<int>{5}));
  EXPECT_TRUE(contiguous(video));
  EXPECT_EQ(audio_at(6000).size(), 2U);
  EXPECT_EQ(dropped(viewer), 0U);
}

TEST_F(GroupMediaTest, ViewerWaitsForAKeyframeWithBareIdrAndGetsTheInjectedParameterSets) {
  Viewer& viewer = add_udp_viewer("v", 6000, true, false);
  play(viewer);
  publish_delta();
  publish_bare_keyframe();
  const auto video = video_at(6000);
  ASSERT_EQ(video.size(), 3U);
  EXPECT_EQ(video[0].payload, stap_a({kSps, kPps}));
  EXPECT_EQ(video[1].nal_types, (std::vector<int>{5}));
  EXPECT_TRUE(contiguous(video));
}

// Encoders that start every access unit with an access unit delimiter (or an SEI) only reveal a
// keyframe at its second packet: a waiting viewer must still start there.
TEST_F(GroupMediaTest, WaitingViewerStartsAtKeyframeAccessUnitThatBeginsWithAud) {
  publish_delta();
  Viewer& viewer = add_udp_viewer("v", 6000, true, false);
  play(viewer);
  ASSERT_TRUE(viewer.awaiting_keyframe);

  next_picture();
  const std::uint32_t keyframe_ts = video_ts_;
  publish_video(test::kAud);
  publish_video(stap_a({kSps, kPps}));
  publish_video(fu_a(kIdr, true, false, {0x11}));
  publish_video(fu_a(kIdr, false, true, {0x22}), true);
  publish_delta();

  // The cache does start at this access unit: a viewer joining now would see it.
  ASSERT_TRUE(media().gop_cache().valid());
  EXPECT_EQ(media().gop_cache().packets().front()->timestamp, keyframe_ts);

  const auto video = video_at(6000);
  ASSERT_GE(video.size(), 3U) << "the waiting viewer skipped the keyframe";
  EXPECT_EQ(video.front().timestamp, keyframe_ts);
  std::vector<std::vector<int>> types;
  for (const auto& packet : video)
    types.push_back(packet.nal_types);
  EXPECT_NE(std::find(types.begin(), types.end(), std::vector<int>{7, 8}), types.end());
  EXPECT_NE(std::find(types.begin(), types.end(), std::vector<int>{5}), types.end());
  EXPECT_EQ(types.back(), (std::vector<int>{1}));
  EXPECT_TRUE(contiguous(video));
}

TEST_F(GroupMediaTest, FailingUdpViewerIsCountedAsDroppedAndNeverStopsTheOthers) {
  // "a" comes first in the group's viewer order, so the others are served after its failure.
  Viewer& failing = add_udp_viewer("a", 6000);
  Viewer& second = add_udp_viewer("b", 7000);
  Viewer& third = add_udp_viewer("c", 8000);
  for (Viewer* viewer : {&failing, &second, &third})
    play(*viewer);
  udp_.failing.insert(endpoint(6000));  // a's video

  publish_keyframe();
  publish_delta();
  publish_audio();
  EXPECT_EQ(fanout_.stats().batches, 5U) << "one batch per relayed packet (flushed after each)";

  EXPECT_EQ(dropped(failing), 4U);
  EXPECT_EQ(sent(failing), 1U);
  EXPECT_EQ(audio_at(6000).size(), 1U);
  for (const std::uint16_t base : std::vector<std::uint16_t>{7000, 8000}) {
    EXPECT_EQ(video_at(base).size(), 4U) << base;
    EXPECT_EQ(audio_at(base).size(), 1U) << base;
  }
  EXPECT_EQ(sent(second), 5U);
  EXPECT_EQ(dropped(second), 0U);
  EXPECT_EQ(sent(third), 5U);
  EXPECT_EQ(dropped(third), 0U);

  // The same bytes reached every viewer.
  EXPECT_EQ(udp_.rtp_to(endpoint(7000)), udp_.rtp_to(endpoint(8000)));
}

TEST_F(GroupMediaTest, FailingViewerWhileCatchingUpNeverStopsTheOthers) {
  publish_keyframe();
  publish_delta();
  Viewer& failing = add_udp_viewer("a", 6000, true, false);
  Viewer& other = add_udp_viewer("b", 7000, true, false);
  play(failing);
  play(other);
  udp_.failing.insert(endpoint(6000));
  pace_until_done();
  EXPECT_EQ(dropped(failing), 4U);
  EXPECT_EQ(sent(failing), 0U);
  EXPECT_EQ(video_at(7000).size(), 4U);
  EXPECT_EQ(sent(other), 4U);
  EXPECT_FALSE(media().has_backlog());
}

TEST_F(GroupMediaTest, TcpViewerGetsPacketsThroughItsInterleavedWriterOnItsChannels) {
  publish_keyframe();
  auto writer = std::make_shared<FakeInterleavedWriter>();
  Viewer& viewer = add_tcp_viewer("t", writer);
  play(viewer);
  pace_until_done();
  publish_audio();
  publish_delta();

  EXPECT_TRUE(udp_.rtp.empty());
  const auto video = decode(writer->rtp_on(0));
  const auto audio = decode(writer->rtp_on(2));
  ASSERT_EQ(video.size(), 4U);
  ASSERT_EQ(audio.size(), 1U);
  EXPECT_EQ(video[0].nal_types, (std::vector<int>{7, 8}));
  EXPECT_TRUE(contiguous(video));
  EXPECT_EQ(video[0].ssrc, video_ssrc());
  EXPECT_EQ(audio[0].ssrc, audio_ssrc());
  EXPECT_TRUE(writer->rtp_on(1).empty());
  EXPECT_TRUE(writer->rtp_on(3).empty());
  EXPECT_EQ(sent(viewer), 5U);

  // A connection over its queue cap drops and counts; a closed one too, without harm.
  writer->accept = false;
  publish_delta();
  EXPECT_EQ(dropped(viewer), 1U);
  writer.reset();
  publish_delta();
  publish_audio();
  EXPECT_EQ(dropped(viewer), 3U);
  EXPECT_EQ(sent(viewer), 5U);
}

TEST_F(GroupMediaTest, TcpViewersShareOnePacketBufferPerRelayedPacket) {
  auto first = std::make_shared<FakeInterleavedWriter>();
  auto second = std::make_shared<FakeInterleavedWriter>();
  play(add_tcp_viewer("a", first));
  play(add_tcp_viewer("b", second));
  publish_keyframe();
  ASSERT_EQ(first->frames.size(), 3U);
  ASSERT_EQ(second->frames.size(), 3U);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(first->frames[i].packet.get(), second->frames[i].packet.get());
  }
}

TEST_F(GroupMediaTest, RemovingViewerSendsReceiverReportAndByeToItsRtcpEndpoints) {
  add_udp_viewer("v", 6000);
  media().remove_viewer("v", true, "teardown");
  EXPECT_EQ(media().find_viewer("v"), nullptr);

  ASSERT_EQ(udp_.rtcp.size(), 2U);
  const std::vector<std::pair<UdpEndpoint, std::uint32_t>> expected = {
      {endpoint(6001), video_ssrc()}, {endpoint(6003), audio_ssrc()}};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(udp_.rtcp[i].to, expected[i].first);
    const auto packets = rtcp_packets(udp_.rtcp[i].bytes);
    ASSERT_EQ(packets.size(), 2U);
    const auto rr = rtp::parse_receiver_report(packets[0]);
    ASSERT_TRUE(rr);
    EXPECT_EQ(rr->sender_ssrc, expected[i].second);
    EXPECT_EQ(rr->block_count, 0U);
    EXPECT_EQ(packets[1].type(), 203);
    EXPECT_EQ(packets[1].count(), 1);
    const auto body = packets[1].body();
    ASSERT_GE(body.size(), 4U + 1U + 8U);
    EXPECT_EQ(rtp::read_u32(body.data()), expected[i].second);
    EXPECT_EQ(body[4], 8);
    EXPECT_EQ(std::string(body.begin() + 5, body.begin() + 13), "teardown");
  }
  EXPECT_TRUE(udp_.rtp.empty());
}

TEST_F(GroupMediaTest, RemovingViewerSendsByeOnlyForItsSetUpTracksAndOnlyWhenAsked) {
  add_udp_viewer("video-only", 6000, true, false);
  add_udp_viewer("quiet", 7000);
  media().remove_viewer("quiet", false, "");
  EXPECT_TRUE(udp_.rtcp.empty());
  media().remove_viewer("video-only", true, "");
  ASSERT_EQ(udp_.rtcp.size(), 1U);
  EXPECT_EQ(udp_.rtcp[0].to, endpoint(6001));
  const auto packets = rtcp_packets(udp_.rtcp[0].bytes);
  ASSERT_EQ(packets.size(), 2U);
  EXPECT_EQ(packets[1].type(), 203);
  EXPECT_TRUE(media().viewers().empty());
  media().remove_viewer("unknown", true, "");  // no-op
  EXPECT_EQ(udp_.rtcp.size(), 1U);
}

TEST_F(GroupMediaTest, RemovingTcpViewerSendsByeOnItsRtcpChannels) {
  auto writer = std::make_shared<FakeInterleavedWriter>();
  add_tcp_viewer("t", writer);
  media().remove_viewer("t", true, "bye");
  ASSERT_EQ(writer->frames.size(), 2U);
  EXPECT_EQ(writer->frames[0].channel, 1);
  EXPECT_EQ(writer->frames[1].channel, 3);
  for (const auto& frame : writer->frames) {
    const auto packets = rtcp_packets(frame.bytes);
    ASSERT_EQ(packets.size(), 2U);
    EXPECT_EQ(packets[0].type(), 201);
    EXPECT_EQ(packets[1].type(), 203);
  }
  EXPECT_TRUE(udp_.rtcp.empty());
}

Buffer receiver_report(std::uint32_t sender, std::vector<rtp::ReportBlock> blocks) {
  Buffer out(8 + 24 * blocks.size());
  const std::size_t size = rtp::write_receiver_report(out, sender, blocks);
  EXPECT_EQ(size, out.size());
  return out;
}

TEST_F(GroupMediaTest, ReceiverReportsFillLossAndJitterForTheMatchingSsrcOnly) {
  Viewer& viewer = add_udp_viewer("v", 6000);
  play(viewer);
  now_ += 2s;
  const auto report = receiver_report(
      0x1234, {{.ssrc = video_ssrc(), .fraction_lost = 64, .cumulative_lost = 17, .jitter = 900},
               {.ssrc = 0xdeadbeef, .fraction_lost = 255, .cumulative_lost = 9, .jitter = 99}});
  EXPECT_TRUE(media().on_viewer_rtcp(viewer, kVideo, bytes_of(report), now_));
  EXPECT_EQ(viewer.rtcp_reports, 1U);
  EXPECT_EQ(viewer.last_heard, now_);
  ASSERT_TRUE(viewer.tracks[kVideo].reception);
  EXPECT_DOUBLE_EQ(viewer.tracks[kVideo].reception->fraction_lost, 0.25);
  EXPECT_EQ(viewer.tracks[kVideo].reception->cumulative_lost, 17);
  EXPECT_DOUBLE_EQ(viewer.tracks[kVideo].reception->jitter_ms, 10.0);  // 900 ticks at 90 kHz
  EXPECT_EQ(viewer.tracks[kVideo].reception->at, now_);
  EXPECT_FALSE(viewer.tracks[kAudio].reception);

  // Audio jitter is in its own clock; a report arriving on the video port still counts.
  const auto audio = receiver_report(0x1234, {{.ssrc = audio_ssrc(), .jitter = 441}});
  EXPECT_TRUE(media().on_viewer_rtcp(viewer, kVideo, bytes_of(audio), now_));
  ASSERT_TRUE(viewer.tracks[kAudio].reception);
  EXPECT_DOUBLE_EQ(viewer.tracks[kAudio].reception->jitter_ms, 10.0);  // 441 ticks at 44.1 kHz
  EXPECT_DOUBLE_EQ(viewer.tracks[kAudio].reception->fraction_lost, 0.0);
  EXPECT_DOUBLE_EQ(viewer.tracks[kVideo].reception->fraction_lost, 0.25);

  const Buffer garbage = {0x80, 0xc9, 0x00, 0x07, 0x00};
  EXPECT_FALSE(media().on_viewer_rtcp(viewer, kVideo, bytes_of(garbage), now_));
  EXPECT_EQ(media().malformed_rtcp(), 1U);
  EXPECT_EQ(viewer.rtcp_reports, 2U);
}

// GET /metrics: join time from PLAY to the first keyframe that leaves, reception reports, and
// what gone viewers and groups sent and received.
TEST_F(GroupMediaTest, JoinTimeRunsFromPlayToTheNextKeyframeWhenThereIsNoGopCache) {
  media().set_metrics(&metrics_);
  publish_delta();
  Viewer& viewer = add_udp_viewer("v", 6000);
  const Clock::time_point played = now_;
  play(viewer);
  publish_delta();
  publish_audio();
  EXPECT_EQ(metrics_.join_times().count(), 0U) << "no keyframe yet";
  publish_keyframe();  // its first packet leaves at played + 3 ms
  ASSERT_EQ(metrics_.join_times().count(), 1U);
  EXPECT_DOUBLE_EQ(metrics_.join_times().sum(), std::chrono::duration<double>(3ms).count())
      << "played at " << played.time_since_epoch().count();
  publish_keyframe();
  EXPECT_EQ(metrics_.join_times().count(), 1U) << "once per PLAY";
}

TEST_F(GroupMediaTest, JoinTimeIsZeroWhenTheGopCacheStartsTheViewer) {
  media().set_metrics(&metrics_);
  publish_keyframe();
  publish_delta();
  Viewer& viewer = add_udp_viewer("v", 6000);
  play(viewer);
  ASSERT_EQ(metrics_.join_times().count(), 1U);
  EXPECT_EQ(metrics_.join_times().sum(), 0.0);
  EXPECT_EQ(metrics_.join_times().counts()[0], 1U);
}

TEST_F(GroupMediaTest, ReceiverReportBlocksAreObservedAsLossAndJitter) {
  media().set_metrics(&metrics_);
  Viewer& viewer = add_udp_viewer("v", 6000);
  play(viewer);
  const auto report = receiver_report(
      0x1234, {{.ssrc = video_ssrc(), .fraction_lost = 64, .cumulative_lost = 17, .jitter = 900},
               {.ssrc = 0xdeadbeef, .fraction_lost = 255, .cumulative_lost = 9, .jitter = 99}});
  EXPECT_TRUE(media().on_viewer_rtcp(viewer, kVideo, bytes_of(report), now_));
  ASSERT_EQ(metrics_.reported_loss().count(), 1U) << "only the block of our SSRC";
  EXPECT_DOUBLE_EQ(metrics_.reported_loss().sum(), 0.25);
  ASSERT_EQ(metrics_.reported_jitter().count(), 1U);
  EXPECT_DOUBLE_EQ(metrics_.reported_jitter().sum(), 0.010);
}

TEST_F(GroupMediaTest, GoneViewersAndGroupsStayInTheTotals) {
  media().set_metrics(&metrics_);
  Viewer& leaving = add_udp_viewer("a", 6000);
  Viewer& staying = add_udp_viewer("b", 7000);
  play(leaving);
  play(staying);
  publish_keyframe();
  publish_audio();
  pace_until_done();
  const std::uint64_t sent_to_leaving = sent(leaving);
  const std::uint64_t sent_to_staying = sent(staying);
  ASSERT_GT(sent_to_leaving, 0U);
  media().remove_viewer("a", false, "bye");
  EXPECT_EQ(metrics_.retired().packets_sent, sent_to_leaving);
  const std::uint64_t received =
      media().tracks()[kVideo].packets() + media().tracks()[kAudio].packets();
  media_.reset();
  EXPECT_EQ(metrics_.retired().packets_sent, sent_to_leaving + sent_to_staying);
  EXPECT_EQ(metrics_.retired_received_packets(), received);
  EXPECT_EQ(received, 4U);
}

TEST_F(GroupMediaTest, ReceiverReportForATrackTheViewerDidNotSetUpIsIgnored) {
  Viewer& viewer = add_udp_viewer("v", 6000, true, false);
  const auto report = receiver_report(0x1234, {{.ssrc = audio_ssrc(), .jitter = 441}});
  EXPECT_TRUE(media().on_viewer_rtcp(viewer, kVideo, bytes_of(report), now_));
  EXPECT_FALSE(viewer.tracks[kAudio].reception);
  EXPECT_FALSE(viewer.tracks[kVideo].reception);
}

TEST_F(GroupMediaTest, PublisherSenderReportIsRelayedToPlayingViewersWithOurSsrc) {
  publish_keyframe();
  Viewer& playing = add_udp_viewer("a", 6000);
  add_udp_viewer("b", 7000);  // set up, not playing
  play(playing);

  rtp::SenderInfo sender{.ssrc = video_ssrc_in_,
                         .ntp_timestamp = 0xe8f1a2b3'00000000ULL,
                         .rtp_timestamp = video_ts_,
                         .packet_count = 3,
                         .octet_count = 100};
  Buffer compound(28);
  ASSERT_EQ(rtp::write_sender_report(compound, sender), 28U);
  EXPECT_TRUE(media().on_publisher_rtcp(kVideo, bytes_of(compound), now_));
  EXPECT_EQ(media().sender_reports(), 1U);

  ASSERT_EQ(udp_.rtcp.size(), 1U);
  EXPECT_EQ(udp_.rtcp[0].to, endpoint(6001));
  const auto packets = rtcp_packets(udp_.rtcp[0].bytes);
  ASSERT_EQ(packets.size(), 2U);
  const auto sr = rtp::parse_sender_report(packets[0]);
  ASSERT_TRUE(sr);
  EXPECT_EQ(sr->sender.ssrc, video_ssrc());
  EXPECT_EQ(sr->sender.ntp_timestamp, sender.ntp_timestamp);
  EXPECT_EQ(sr->sender.rtp_timestamp, video_ts_);  // no publisher change: same media clock
  EXPECT_EQ(packets[1].type(), 202);

  // A viewer that starts later gets the latest report at once.
  Viewer& late = add_udp_viewer("c", 8000);
  play(late);
  media().send_sender_reports(late, now_);
  ASSERT_EQ(udp_.rtcp.size(), 2U);
  EXPECT_EQ(udp_.rtcp[1].to, endpoint(8001));
  EXPECT_EQ(udp_.rtcp[1].bytes, udp_.rtcp[0].bytes);

  const Buffer garbage = {0x80, 0xc8, 0x00, 0x09};
  EXPECT_FALSE(media().on_publisher_rtcp(kVideo, bytes_of(garbage), now_));
  EXPECT_EQ(media().malformed_rtcp(), 1U);
}

TEST_F(GroupMediaTest, PublisherChangeKeepsViewerSequenceAndTimestampsContinuous) {
  Viewer& viewer = add_udp_viewer("v", 6000, true, false);
  play(viewer);
  publish_keyframe();
  publish_delta();
  const auto before = video_at(6000);
  ASSERT_EQ(before.size(), 4U);

  media().publisher_changed(now_);
  EXPECT_FALSE(media().gop_cache().valid());
  // The new publisher numbers from elsewhere and starts 100 ms later.
  video_seq_ = 60000;
  video_ts_ = 123456;
  video_ssrc_in_ = 0xbbbb;
  now_ += 99ms;               // publish() adds 1 ms
  publish_video(kIdr, true);  // bare: SPS/PPS injected
  publish_delta();

  const auto video = video_at(6000);
  ASSERT_EQ(video.size(), 7U);
  EXPECT_TRUE(contiguous(video));
  EXPECT_EQ(video[4].payload, stap_a({kSps, kPps}));
  EXPECT_EQ(video[4].timestamp, before.back().timestamp + 9000U);
  EXPECT_EQ(video[6].timestamp, video[5].timestamp + 3000U);
  for (const auto& packet : video)
    EXPECT_EQ(packet.ssrc, video_ssrc());
}

TEST_F(GroupMediaTest, PausedViewerReceivesNothingAndLosesItsBacklog) {
  publish_keyframe();
  Viewer& viewer = add_udp_viewer("v", 6000);
  play(viewer);
  media().pause(viewer);
  EXPECT_FALSE(media().has_backlog());
  publish_delta();
  publish_audio();
  EXPECT_FALSE(media().pace());
  EXPECT_TRUE(udp_.rtp.empty());
}

TEST_F(GroupMediaTest, LivePacketsBeyondTheBacklogLimitAreDroppedAndCounted) {
  limits_.viewer_backlog_packets = 4;
  publish_keyframe();  // 3 cached
  Viewer& viewer = add_udp_viewer("v", 6000, true, false);
  play(viewer);
  publish_delta();  // fourth in the backlog
  publish_delta();
  publish_delta();
  EXPECT_EQ(viewer.backlog.size(), 4U);
  EXPECT_EQ(dropped(viewer), 2U);
}

TEST_F(GroupMediaTest, MalformedPublisherPacketsAndUnknownTracksAreRejected) {
  Viewer& viewer = add_udp_viewer("v", 6000);
  play(viewer);
  const Buffer wrong_pt = rtp_packet(1, 0, kSlice, 33);
  EXPECT_FALSE(media().on_publisher_rtp(kVideo, bytes_of(wrong_pt), now_));
  EXPECT_FALSE(media().on_publisher_rtp(7, bytes_of(rtp_packet(1, 0, kSlice)), now_));
  EXPECT_EQ(media().tracks()[kVideo].malformed(), 1U);
  EXPECT_TRUE(udp_.rtp.empty());
}

TEST_F(GroupMediaTest, DescribeSdpHasOneMediaPerTrackWithAbsoluteControlUrls) {
  const auto url = [](int track) {
    return track < 0 ? std::string("rtsp://203.0.113.5:8554/live/g1")
                     : "rtsp://203.0.113.5:8554/live/g1/trackID=" + std::to_string(track);
  };
  const std::string text = media().describe_sdp("203.0.113.5", url);
  EXPECT_EQ(text.find("192.0.2.10"), std::string::npos) << text;
  EXPECT_EQ(text.find("streamid"), std::string::npos) << text;

  const auto parsed = sdp::SessionDescription::parse(text);
  ASSERT_TRUE(parsed) << parsed.error() << "\n" << text;
  EXPECT_EQ(parsed->attribute("control"), "rtsp://203.0.113.5:8554/live/g1");
  ASSERT_EQ(parsed->media.size(), 2U);
  const std::vector<std::string> kinds = {"video", "audio"};
  for (std::size_t i = 0; i < parsed->media.size(); ++i) {
    const auto& m = parsed->media[i];
    EXPECT_EQ(m.media, kinds[i]);
    EXPECT_EQ(m.proto, "RTP/AVPF");
    // The relayed payload type first (ffmpeg plays the first); its RTX format after it.
    const std::vector<std::string> formats =
        i == 0 ? std::vector<std::string>{"96", "98"} : std::vector<std::string>{"97", "99"};
    EXPECT_EQ(m.formats, formats);
    const std::string control = url(static_cast<int>(i));
    EXPECT_EQ(m.attributes("control"), (std::vector<std::string_view>{control})) << text;
    for (const auto& line : m.lines)
      EXPECT_NE(line.type, 'c') << text;
    EXPECT_TRUE(m.attribute("sendonly"));
    EXPECT_FALSE(m.attribute("recvonly"));
  }
  EXPECT_EQ(sdp::rtpmap_for(parsed->media[0], 96)->encoding, "H264");
  EXPECT_NE(sdp::fmtp_for(parsed->media[0], 96)->find(test::kSpropParameterSets),
            std::string::npos);
  EXPECT_EQ(sdp::rtpmap_for(parsed->media[1], 97)->clock_rate, 44100U);
  EXPECT_EQ(sdp::rtpmap_for(parsed->media[0], 98)->encoding, "rtx");
  EXPECT_EQ(sdp::fmtp_for(parsed->media[0], 98), "apt=96;rtx-time=500");
  EXPECT_EQ(parsed->media[0].attributes("rtcp-fb"),
            (std::vector<std::string_view>{"96 nack", "96 nack pli", "96 ccm fir"}));
  EXPECT_EQ(parsed->media[1].attributes("rtcp-fb"), (std::vector<std::string_view>{"97 nack"}));
  EXPECT_EQ(sdp::rtpmap_for(parsed->media[1], 99)->encoding, "rtx");
  EXPECT_EQ(sdp::fmtp_for(parsed->media[1], 99), "apt=97;rtx-time=500");

  // What a viewer announces back is relayable as is.
  EXPECT_TRUE(describe_tracks(*parsed));
}

TEST_F(GroupMediaTest, DescribeSdpUsesIp6ForAnIpv6Host) {
  const std::string text = media().describe_sdp("2001:db8::5", [](int) { return "rtsp://x/"; });
  const auto parsed = sdp::SessionDescription::parse(text);
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_NE(text.find("IN IP6 2001:db8::5"), std::string::npos) << text;
}

// GStreamer's rtspclientsink announces AAC as MP4A-LATM (RFC 6416) by default: viewers get its
// rtpmap and fmtp exactly as announced, and not the master's SSRC (the relay uses its own).
TEST(GroupMediaDescribe, Mp4aLatmIsDescribedExactlyAsAnnounced) {
  const std::string rtpmap = "96 MP4A-LATM/44100";
  const std::string fmtp = "96 cpresent=0;config=40002410adca00";
  const auto announced = sdp::SessionDescription::parse(
      "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=Session streamed with GStreamer\r\nt=0 0\r\n"
      "m=audio 0 RTP/AVP 96\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:" +
      rtpmap + "\r\na=fmtp:" + fmtp +
      "\r\na=control:stream=0\r\na=ts-refclk:local\r\na=mediaclk:sender\r\n"
      "a=ssrc:4055628051 cname:user@host\r\n");
  ASSERT_TRUE(announced) << announced.error();
  const auto tracks = describe_tracks(*announced);
  ASSERT_TRUE(tracks) << tracks.error();
  FakeUdpSender udp;
  FanoutEngine fanout{FanoutOptions{.workers = 0}, udp};
  GroupMedia media("g1", *tracks, *announced, udp.rtcp_port(), fanout, GroupMediaLimits{}, 7);
  const std::string text = media.describe_sdp("127.0.0.1", [](int track) {
    return "rtsp://127.0.0.1:8554/groups/g1" +
           (track < 0 ? std::string() : "/trackID=" + std::to_string(track));
  });
  const auto parsed = sdp::SessionDescription::parse(text);
  ASSERT_TRUE(parsed) << parsed.error() << "\n" << text;
  ASSERT_EQ(parsed->media.size(), 1U);
  const auto& audio = parsed->media[0];
  EXPECT_EQ(audio.formats, (std::vector<std::string>{"96", "97"}));  // and its RTX format
  EXPECT_EQ(audio.attributes("rtpmap"), (std::vector<std::string_view>{rtpmap, "97 rtx/44100"}))
      << text;
  EXPECT_EQ(audio.attributes("fmtp"),
            (std::vector<std::string_view>{fmtp, "97 apt=96;rtx-time=500"}))
      << text;
  EXPECT_TRUE(audio.attributes("ssrc").empty()) << text;
  EXPECT_EQ(audio.attribute("control"), "rtsp://127.0.0.1:8554/groups/g1/trackID=0");
  const auto again = describe_tracks(*parsed);
  ASSERT_TRUE(again) << again.error();
  EXPECT_EQ((*again)[0].codec, Codec::aac_latm);
}

}  // namespace
}  // namespace callcast::media

namespace callcast::media {
namespace {

using namespace group_media_test;
using namespace std::chrono_literals;

TEST_F(GroupMediaTest, CatchUpBurstSendsAFramesSameSizePacketsInOneGsoMessage) {
  next_picture();
  publish_video(stap_a({kSps, kPps}));
  const Buffer body(900, 0x42);
  publish_video(fu_a(kIdr, true, false, body));
  publish_video(fu_a(kIdr, false, false, body));
  publish_video(fu_a(kIdr, false, false, body));
  publish_video(fu_a(kIdr, false, true, {0x01}), true);
  Viewer& viewer = add_udp_viewer("v", 6000, true, false);
  play(viewer);
  media().start_delivery(viewer, now_);
  pace_until_done();
  EXPECT_GE(udp_.gso_messages, 1U) << "the three full fragments and the short last one";
  const auto video = video_at(6000);
  ASSERT_EQ(video.size(), 5U);
  EXPECT_TRUE(contiguous(video));
  EXPECT_EQ(sent(viewer), 5U);
}

// The loop's catch-up bursts follow the workers' policy (one DatagramBatcher): a GSO message the
// device refuses is resent packet by packet, nothing is lost, and GSO stays off for everyone.
TEST_F(GroupMediaTest, CatchUpBurstRefusedAsGsoIsResentOneByOneAndGsoStaysOff) {
  next_picture();
  publish_video(stap_a({kSps, kPps}));
  const Buffer body(900, 0x42);
  publish_video(fu_a(kIdr, true, false, body));
  publish_video(fu_a(kIdr, false, false, body));
  publish_video(fu_a(kIdr, false, false, body));
  publish_video(fu_a(kIdr, false, true, {0x01}), true);
  udp_.refuse_gso = true;
  Viewer& viewer = add_udp_viewer("v", 6000, true, false);
  play(viewer);
  media().start_delivery(viewer, now_);
  pace_until_done();
  EXPECT_EQ(udp_.gso_messages, 0U);
  EXPECT_FALSE(fanout_.gso()) << "the fan-out lays out its batches packet by packet from now on";
  const auto video = video_at(6000);
  ASSERT_EQ(video.size(), 5U);
  EXPECT_TRUE(contiguous(video));
  EXPECT_EQ(sent(viewer), 5U);
  EXPECT_EQ(dropped(viewer), 0U);
}

// ---- A stalled publisher (issue 10): the stall, the stale backlog, the restart at a keyframe ----

class GroupMediaStallTest : public GroupMediaTest {
 protected:
  GroupMediaStallTest() {
    limits_.stall_after = 2s;
    limits_.stale_lag = 1s;
  }
  // Real time passes and the publisher's media clock with it, but nothing arrives (what it
  // captured meanwhile is lost, or comes later with these older timestamps).
  void time_passes(Clock::duration d) {
    now_ += d;
    video_ts_ += static_cast<std::uint32_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(d).count() * 9 / 100);
    audio_ts_ += static_cast<std::uint32_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(d).count() * 441 / 10000);
  }
  // Only real time passes: whatever the publisher sends next carries the timestamps it had.
  void publisher_freezes(Clock::duration d) { now_ += d; }
};

TEST_F(GroupMediaStallTest, StallIsReportedOnceAfterTheStallTimeAndDropsTheGopCache) {
  media().publisher_changed(now_);
  publish_keyframe();
  publish_delta();
  ASSERT_TRUE(media().gop_cache().valid());
  const Clock::time_point last = now_;
  EXPECT_FALSE(media().check_stall(last + 1999ms));
  EXPECT_FALSE(media().stalled());
  EXPECT_TRUE(media().check_stall(last + 2s));
  EXPECT_TRUE(media().stalled());
  EXPECT_FALSE(media().gop_cache().valid()) << "a stalled group's GOP is stale for new viewers";
  SharedPacket kept;
  const auto last_relayed =
      static_cast<std::uint16_t>(media().tracks()[kVideo].next_sequence() - 1);
  EXPECT_EQ(media().repairs()[kVideo].ring().find(last_relayed, last, kept), RingLookup::not_found)
      << "nor are its packets kept for repair";
  EXPECT_FALSE(media().check_stall(last + 3s)) << "one stall, reported once";
  EXPECT_EQ(media().stalls(), 1U);
  EXPECT_EQ(media().silent_for(last + 3s), 3s);
}

TEST_F(GroupMediaStallTest, NothingStallsWhileNobodyPublishes) {
  publish_keyframe();  // (no publisher_changed: not a publisher the server started)
  EXPECT_FALSE(media().check_stall(now_ + 10s));
  media().publisher_changed(now_);
  media().publisher_left();
  EXPECT_FALSE(media().check_stall(now_ + 10s));
  EXPECT_EQ(media().silent_for(now_ + 10s), Clock::duration::zero());
}

TEST_F(GroupMediaStallTest, ViewersGetNoStaleBacklogAfterAStallAndRestartAtTheNextKeyframe) {
  media().publisher_changed(now_);
  Viewer& viewer = add_udp_viewer("v", 6000);
  play(viewer);
  publish_keyframe();
  publish_audio();
  publish_delta();
  publish_audio();
  const auto video_before = video_at(6000);
  const auto audio_before = audio_at(6000);
  ASSERT_EQ(video_before.size(), 4U);
  ASSERT_EQ(audio_before.size(), 2U);

  // Frozen for 3 s: the sweep sees the stall.
  publisher_freezes(3s);
  EXPECT_TRUE(media().check_stall(now_));
  // Then the whole 3 s comes at once, 1 ms a packet: 90 pictures and 130 audio frames carrying
  // the times they were captured at.
  for (int i = 0; i < 130; ++i) {
    if (i < 90) publish_delta();
    publish_audio();
  }
  const auto resumed = media().take_resumption();
  ASSERT_TRUE(resumed);
  EXPECT_TRUE(resumed->stall_was_reported);
  EXPECT_GE(resumed->stalled_for, 3s);
  EXPECT_FALSE(media().stalled());
  EXPECT_FALSE(media().take_resumption()) << "reported once";

  // No video at all until a keyframe: the stale pictures were dropped, the fresh deltas held.
  EXPECT_EQ(video_at(6000).size(), video_before.size());
  EXPECT_GT(media().tracks()[kVideo].stale_packets(), 0U);
  EXPECT_GT(media().tracks()[kVideo].held_packets(), 0U);
  EXPECT_EQ(media().tracks()[kVideo].stale_packets() + media().tracks()[kVideo].held_packets(),
            90U);
  // Audio goes on with its fresh packets only: none lags more than the bound.
  const auto audio = audio_at(6000);
  ASSERT_GT(audio.size(), audio_before.size());
  EXPECT_TRUE(contiguous(audio)) << "dropped audio must take no sequence number";
  const std::uint32_t stall_audio_ts = audio_before.back().timestamp;
  for (std::size_t i = audio_before.size(); i < audio.size(); ++i) {
    // Captured (ts - stall_ts) / 44.1 kHz after the stall began, relayed 3.1-3.2 s after it:
    // with a 1 s bound nothing captured before 2.1 s may go out.
    const double captured_s = (audio[i].timestamp - stall_audio_ts) / 44100.0;
    EXPECT_GE(captured_s, 2.1) << "stale audio packet relayed at index " << i;
  }
  EXPECT_EQ(media().tracks()[kAudio].stale_packets() + (audio.size() - audio_before.size()), 130U);

  // The next keyframe restarts the picture, numbered right after the last one sent before.
  publish_keyframe();
  publish_delta();
  const auto video = video_at(6000);
  ASSERT_EQ(video.size(), video_before.size() + 4);
  EXPECT_TRUE(contiguous(video)) << "no gap for the dropped pictures";
  EXPECT_EQ(video[4].nal_types, (std::vector<int>{7, 8}));
  EXPECT_EQ(video[5].nal_types, (std::vector<int>{5}));
  EXPECT_EQ(dropped(viewer), 0U);

  // A viewer joining now starts from this fresh keyframe.
  Viewer& late = add_udp_viewer("late", 7000, true, false);
  play(late);
  pace_until_done();
  const auto late_video = video_at(7000);
  ASSERT_EQ(late_video.size(), 4U);
  EXPECT_EQ(late_video[0].timestamp, video[4].timestamp);
}

TEST_F(GroupMediaStallTest, NewViewerDuringASilenceGetsNoCachedPicturesButTheNextKeyframe) {
  media().publisher_changed(now_);
  publish_keyframe();
  publish_delta();
  ASSERT_TRUE(media().gop_cache().valid());
  time_passes(2500ms);  // the sweep has not run: the cache is still there, but stale
  Viewer& late = add_udp_viewer("late", 7000, true, false);
  play(late);
  EXPECT_TRUE(late.awaiting_keyframe);
  EXPECT_TRUE(late.backlog.empty());
  pace_until_done();
  EXPECT_TRUE(video_at(7000).empty());
  publish_keyframe();
  const auto video = video_at(7000);
  ASSERT_EQ(video.size(), 3U);
  EXPECT_EQ(video[0].nal_types, (std::vector<int>{7, 8}));
}

TEST_F(GroupMediaStallTest, MediaBackBeforeTheSweepNoticedIsAStallAllTheSame) {
  media().publisher_changed(now_);
  Viewer& viewer = add_udp_viewer("v", 6000, true, false);
  play(viewer);
  publish_keyframe();
  time_passes(2100ms);  // fresh media after a gap longer than the stall time
  publish_delta();      // held: the pictures in between never came
  const auto resumed = media().take_resumption();
  ASSERT_TRUE(resumed);
  EXPECT_FALSE(resumed->stall_was_reported);
  EXPECT_EQ(media().stalls(), 1U);
  EXPECT_EQ(video_at(6000).size(), 3U);
  EXPECT_EQ(media().tracks()[kVideo].stale_packets(), 0U);
  EXPECT_EQ(media().tracks()[kVideo].held_packets(), 1U);
  publish_keyframe();
  EXPECT_EQ(video_at(6000).size(), 6U);
  EXPECT_TRUE(contiguous(video_at(6000)));
}

TEST_F(GroupMediaStallTest, ShortGapIsNoStallAndChangesNothing) {
  media().publisher_changed(now_);
  Viewer& viewer = add_udp_viewer("v", 6000, true, false);
  play(viewer);
  publish_keyframe();
  time_passes(1500ms);
  EXPECT_FALSE(media().check_stall(now_));
  publish_delta();
  EXPECT_FALSE(media().take_resumption());
  EXPECT_EQ(media().stalls(), 0U);
  EXPECT_EQ(video_at(6000).size(), 4U);
}

TEST_F(GroupMediaStallTest, NewPublisherRestartsViewersAtItsFirstKeyframeWithContinuousNumbers) {
  media().publisher_changed(now_);
  Viewer& viewer = add_udp_viewer("v", 6000, true, false);
  play(viewer);
  publish_keyframe();
  publish_delta();
  ASSERT_EQ(video_at(6000).size(), 4U);

  // The master reconnects after 1 s; its new encoder's first pictures are deltas.
  time_passes(1s);
  media().publisher_changed(now_);
  video_seq_ = 100;
  video_ts_ = 5;
  publish_delta();
  publish_delta();
  EXPECT_EQ(video_at(6000).size(), 4U) << "deltas before the new publisher's keyframe went out";
  publish_keyframe();
  publish_delta();
  const auto video = video_at(6000);
  ASSERT_EQ(video.size(), 8U);
  EXPECT_TRUE(contiguous(video));
  EXPECT_EQ(video[4].nal_types, (std::vector<int>{7, 8}));
  EXPECT_EQ(media().tracks()[kVideo].held_packets(), 2U);
  EXPECT_FALSE(media().take_resumption()) << "a new publisher is no resumption";
}

}  // namespace
}  // namespace callcast::media

// ---- NACK repair (module 608) -------------------------------------------------------------------

namespace callcast::media {
namespace {

using namespace group_media_test;
using namespace std::chrono_literals;

class GroupMediaRepairTest : public GroupMediaTest {
 protected:
  // A UDP viewer that has caught up (a fan-out worker sends to it) and the video it got.
  Viewer& playing_viewer(bool avpf) {
    publish_keyframe();
    Viewer& viewer = add_udp_viewer("v", 6000);
    viewer.tracks[kVideo].feedback = avpf;
    viewer.tracks[kAudio].feedback = avpf;
    play(viewer);
    pace_until_done();
    for (int i = 0; i < 5; ++i)
      publish_delta();
    return viewer;
  }
  void nack(Viewer& viewer, std::uint32_t ssrc, std::vector<std::uint16_t> lost) {
    udp_.rtp.clear();
    EXPECT_TRUE(media().on_viewer_rtcp(viewer, kVideo, bytes_of(generic_nack(ssrc, lost)), now_));
  }
  std::uint8_t rtx_pt() { return *media().repairs()[kVideo].rtx_payload_type(); }
};

TEST_F(GroupMediaRepairTest, AvpViewerGetsTheOriginalPacketAgainAndOnlyIt) {
  Viewer& viewer = playing_viewer(false);
  Viewer& other = add_udp_viewer("w", 7000);
  play(other);
  pace_until_done();
  const std::vector<Buffer> sent_video = udp_.rtp_to(endpoint(6000));
  const auto video = decode(sent_video);
  ASSERT_GE(video.size(), 6U);
  const std::uint64_t sent_before = sent(viewer);

  nack(viewer, video_ssrc(), {video[2].sequence, video[4].sequence});
  const auto again = udp_.rtp_to(endpoint(6000));
  ASSERT_EQ(again.size(), 2U);
  EXPECT_EQ(again[0], sent_video[2]);  // byte for byte: its SSRC, number and payload type
  EXPECT_EQ(again[1], sent_video[4]);
  EXPECT_EQ(udp_.rtp.size(), 2U) << "nobody else gets a retransmission";
  EXPECT_EQ(sent(viewer), sent_before + 2);
  EXPECT_EQ(viewer.repair.nacks_received, 1U);
  EXPECT_EQ(viewer.repair.packets_repaired, 2U);
  EXPECT_EQ(media().repair_totals().packets_repaired, 2U);
  EXPECT_EQ(other.repair.nacks_received, 0U);
}

TEST_F(GroupMediaRepairTest, AvpfViewerGetsRtxWithItsOwnSsrcPayloadTypeAndNumbering) {
  Viewer& viewer = playing_viewer(true);
  const std::vector<Buffer> sent_video = udp_.rtp_to(endpoint(6000));
  const auto video = decode(sent_video);
  ASSERT_GE(video.size(), 6U);

  nack(viewer, video_ssrc(), {video[1].sequence, video[3].sequence});
  const auto again = udp_.rtp_to(endpoint(6000));
  ASSERT_EQ(again.size(), 2U);
  const std::size_t originals[] = {1, 3};
  std::optional<std::uint16_t> previous;
  for (std::size_t i = 0; i < again.size(); ++i) {
    const auto rtx = rtp::RtpPacketView::parse(bytes_of(again[i]));
    ASSERT_TRUE(rtx);
    const Received& original = video[originals[i]];
    EXPECT_EQ(rtx->payload_type(), rtx_pt());
    EXPECT_EQ(rtx->ssrc(), media().repairs()[kVideo].rtx_ssrc());
    EXPECT_NE(rtx->ssrc(), video_ssrc());
    EXPECT_EQ(rtx->timestamp(), original.timestamp);
    // RFC 4588 §4: the original sequence number, then the original payload.
    const auto payload = rtx->payload();
    ASSERT_EQ(payload.size(), original.payload.size() + 2);
    EXPECT_EQ((payload[0] << 8) | payload[1], original.sequence);
    EXPECT_TRUE(std::equal(payload.begin() + 2, payload.end(), original.payload.begin()));
    if (previous) {
      EXPECT_EQ(rtx->sequence_number(), static_cast<std::uint16_t>(*previous + 1));
    }
    previous = rtx->sequence_number();
  }
  EXPECT_EQ(viewer.repair.packets_repaired, 2U);
}

TEST_F(GroupMediaRepairTest, PacketOlderThanTheWindowOrNeverRelayedIsAMiss) {
  Viewer& viewer = playing_viewer(false);
  const auto video = decode(udp_.rtp_to(endpoint(6000)));
  ASSERT_FALSE(video.empty());
  now_ += limits_.repair.window + 1ms;
  nack(viewer, video_ssrc(),
       {video[0].sequence, static_cast<std::uint16_t>(video[0].sequence - 100)});
  EXPECT_TRUE(udp_.rtp.empty());
  EXPECT_EQ(viewer.repair.nacks_received, 1U);
  EXPECT_EQ(viewer.repair.misses, 2U);
  EXPECT_EQ(viewer.repair.packets_repaired, 0U);
  EXPECT_EQ(media().repair_totals().misses, 2U);
}

TEST_F(GroupMediaRepairTest, AJoinBurstsLossesAreRepairedAtTheShareOfTheBurst) {
  // A large keyframe: 60 fragments of 1,000 bytes, sent to the joiner at once from the cache.
  next_picture();
  publish_video(stap_a({kSps, kPps}));
  const Buffer chunk(1000, 0x5a);
  for (int i = 0; i < 60; ++i)
    publish_video(fu_a(kIdr, i == 0, i == 59, chunk), i == 59);
  Viewer& viewer = add_udp_viewer("v", 6000);
  play(viewer);
  pace_until_done();
  const auto video = decode(udp_.rtp_to(endpoint(6000)));
  ASSERT_EQ(video.size(), 61U);
  // It lost a quarter of them (its share): the depth alone (4 kB at this rate) would serve four.
  std::vector<std::uint16_t> lost;
  for (std::size_t i = 1; i < video.size(); i += 4)
    lost.push_back(video[i].sequence);
  nack(viewer, video_ssrc(), lost);
  EXPECT_EQ(viewer.repair.packets_repaired, lost.size()) << viewer.repair.capped << " capped";
  EXPECT_EQ(viewer.repair.capped, 0U);
}

TEST_F(GroupMediaRepairTest, JoinBurstFromTheGopCacheIsRepairedThoughOlderThanTheWindow) {
  publish_keyframe();
  now_ += limits_.repair.window + 100ms;  // the cached GOP was relayed longer ago than the window
  Viewer& viewer = add_udp_viewer("v", 6000);
  play(viewer);
  pace_until_done();
  const std::vector<Buffer> burst = udp_.rtp_to(endpoint(6000));
  const auto video = decode(burst);
  ASSERT_EQ(video.size(), 3U);
  nack(viewer, video_ssrc(), {video[1].sequence});
  ASSERT_EQ(udp_.rtp.size(), 1U);
  EXPECT_EQ(udp_.rtp[0].bytes, burst[1]);
  EXPECT_EQ(viewer.repair.packets_repaired, 1U);

  now_ += limits_.repair.window + 1ms;  // and a window after its PLAY, not any more
  nack(viewer, video_ssrc(), {video[2].sequence});
  EXPECT_TRUE(udp_.rtp.empty());
  EXPECT_EQ(viewer.repair.misses, 1U);
}

TEST_F(GroupMediaRepairTest, RetransmissionsBeyondTheViewersShareAreCapped) {
  limits_.repair.max_share = 0.001;  // the bucket holds its 3000-byte minimum and barely refills
  Viewer& viewer = playing_viewer(false);
  std::vector<std::uint16_t> lost;
  for (int i = 0; i < 400; ++i) {
    publish_delta();
    lost.push_back(static_cast<std::uint16_t>(media().tracks()[kVideo].next_sequence() - 1));
  }
  nack(viewer, video_ssrc(), lost);
  std::size_t bytes = 0;
  for (const auto& datagram : udp_.rtp)
    bytes += datagram.bytes.size();
  EXPECT_LE(bytes, 3000U);
  EXPECT_GT(viewer.repair.packets_repaired, 0U);
  EXPECT_GT(viewer.repair.capped, 0U);
  EXPECT_EQ(viewer.repair.packets_repaired + viewer.repair.capped, 400U);
  EXPECT_EQ(udp_.rtp.size(), viewer.repair.packets_repaired);
}

TEST_F(GroupMediaRepairTest, RepeatedNackWithinTheHoldOffIsNotResentAgain) {
  Viewer& viewer = playing_viewer(false);
  const auto video = decode(udp_.rtp_to(endpoint(6000)));
  nack(viewer, video_ssrc(), {video[1].sequence});
  EXPECT_EQ(udp_.rtp.size(), 1U);
  now_ += ResendHistory::kHoldOff - 1ms;  // the first repair cannot have arrived yet
  nack(viewer, video_ssrc(), {video[1].sequence, video[2].sequence});
  EXPECT_EQ(udp_.rtp.size(), 1U);  // only video[2]
  EXPECT_EQ(viewer.repair.repeats, 1U);
  EXPECT_EQ(viewer.repair.capped, 0U);
  now_ += 1ms;  // its repair lost, asked again: resent, twice (the path lost both)
  nack(viewer, video_ssrc(), {video[1].sequence});
  const auto twice = udp_.rtp_to(endpoint(6000));
  ASSERT_EQ(twice.size(), 2U);
  EXPECT_EQ(twice[0], twice[1]);
  EXPECT_EQ(decode(twice)[0].sequence, video[1].sequence);
  EXPECT_EQ(viewer.repair.packets_repaired, 3U);
  now_ += limits_.repair.window + 1ms;  // long after: a fresh loss of that number, once
  nack(viewer, video_ssrc(), {video[2].sequence});
  EXPECT_EQ(viewer.repair.misses, 1U) << "past the window";
}

TEST_F(GroupMediaRepairTest, NackForAnotherSsrcOrFromATcpViewerIsIgnored) {
  Viewer& viewer = playing_viewer(false);
  const auto video = decode(udp_.rtp_to(endpoint(6000)));
  nack(viewer, 0xdeadbeef, {video[0].sequence});
  EXPECT_TRUE(udp_.rtp.empty());
  EXPECT_EQ(viewer.repair.nacks_received, 0U);

  auto writer = std::make_shared<FakeInterleavedWriter>();
  Viewer& tcp = add_tcp_viewer("t", writer);
  play(tcp);
  pace_until_done();
  const std::size_t frames = writer->frames.size();
  EXPECT_TRUE(media().on_viewer_rtcp(
      tcp, kVideo, bytes_of(generic_nack(video_ssrc(), {video[0].sequence})), now_));
  EXPECT_EQ(writer->frames.size(), frames);
  EXPECT_EQ(tcp.repair.nacks_received, 0U);
  EXPECT_EQ(media().repair_totals().nacks_received, 0U);
}

TEST_F(GroupMediaRepairTest, RepairOffResendsNothing) {
  limits_.repair.window = Clock::duration::zero();
  Viewer& viewer = playing_viewer(true);
  const auto video = decode(udp_.rtp_to(endpoint(6000)));
  nack(viewer, video_ssrc(), {video[0].sequence});
  EXPECT_TRUE(udp_.rtp.empty());
  EXPECT_EQ(viewer.repair.misses, 1U);
  EXPECT_FALSE(media().repairs()[kVideo].rtx_payload_type());
}

TEST_F(GroupMediaRepairTest, GoneGroupsRepairsStayInTheMetricsTotals) {
  media().set_metrics(&metrics_);
  Viewer& viewer = playing_viewer(false);
  const auto video = decode(udp_.rtp_to(endpoint(6000)));
  nack(viewer, video_ssrc(), {video[0].sequence});
  media().remove_viewer("v", false, "test");
  EXPECT_EQ(media().repair_totals().packets_repaired, 1U);
  media_.reset();
  EXPECT_EQ(metrics_.retired_repair().packets_repaired, 1U);
  EXPECT_EQ(metrics_.retired_repair().nacks_received, 1U);
}

}  // namespace
}  // namespace callcast::media
