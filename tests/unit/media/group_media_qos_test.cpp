// GroupMedia's side of the group's QoS (issue 12 items 3-4, module 608): viewers' keyframe
// requests and bitrate requests reaching the publisher, and a congested viewer thinned.
#include <gtest/gtest.h>

#include <array>

#include "media/group_snapshot.hpp"
#include "media/qos_counters.hpp"
#include "rtp/full_intra_request.hpp"
#include "rtp/picture_loss_indication.hpp"
#include "rtp/receiver_estimated_max_bitrate.hpp"
#include "unit/media/group_media_fixture.hpp"

namespace callcast::media {
namespace {

using namespace group_media_test;
using namespace std::chrono_literals;

// A viewer's compound RTCP: an RR about our video (fraction lost, LSR/DLSR) and maybe a PLI. Its
// cumulative loss is that fraction of every packet up to `highest` (from 0): reports at one
// fraction judge an interval at that fraction.
Buffer viewer_rtcp(std::uint32_t video_ssrc, std::uint8_t fraction_lost, std::uint32_t highest,
                   std::uint32_t last_sr, std::uint32_t delay, bool pli) {
  Buffer out(256);
  rtp::ReportBlock block;
  block.ssrc = video_ssrc;
  block.fraction_lost = fraction_lost;
  block.cumulative_lost = static_cast<std::int32_t>(std::uint64_t{fraction_lost} * highest / 256);
  block.highest_sequence = highest;
  block.last_sr = last_sr;
  block.delay_since_last_sr = delay;
  std::size_t size = rtp::write_receiver_report(out, 0x4321, std::span(&block, 1));
  if (pli) {
    size += rtp::write_picture_loss_indication(rtp::MutableBytes(out).subspan(size), 0x4321,
                                               video_ssrc);
  }
  out.resize(size);
  return out;
}

class GroupMediaQosTest : public GroupMediaTest {
 protected:
  // A viewer's first report: it only starts the interval its next report is judged over.
  void first_report(Viewer& viewer) {
    EXPECT_TRUE(media().on_viewer_rtcp(
        viewer, kVideo, bytes_of(viewer_rtcp(video_ssrc(), 0, 0, 0, 0, false)), now_));
  }
  GroupMediaQosTest() {
    writer_ = std::make_shared<FakeInterleavedWriter>();
    limits_.qos.join_settling = Clock::duration::zero();  // (its own test below)
  }

  // The publisher records over TCP: video RTCP on channel 1, audio on 3.
  void publisher_over_tcp() {
    PublisherRtcpPath path;
    path.tcp = true;
    path.writer = writer_;
    path.rtcp_channel = {1, 3, 0, 0};
    media().set_publisher_rtcp(path);
  }
  Viewer& playing_viewer(std::string id, std::uint16_t base) {
    Viewer& viewer = add_udp_viewer(std::move(id), base);
    play(viewer);
    pace_until_done();
    return viewer;
  }
  // The requests the publisher got on its video RTCP channel: the last packet of each compound.
  std::vector<Buffer> to_publisher() const {
    std::vector<Buffer> out;
    for (const auto& frame : writer_->frames) {
      if (frame.channel == 1 && !frame.packet) out.push_back(frame.bytes);
    }
    return out;
  }
  std::optional<rtp::PictureLossIndication> pli_in(const Buffer& compound) {
    const auto packets = rtcp_packets(compound);
    EXPECT_EQ(packets.size(), 3U) << "RR, SDES, then the request";
    if (packets.size() != 3) return std::nullopt;
    EXPECT_TRUE(rtp::parse_receiver_report(packets[0]));
    return rtp::parse_picture_loss_indication(packets[2]);
  }

  std::shared_ptr<FakeInterleavedWriter> writer_;
};

TEST_F(GroupMediaQosTest, AViewersPliReachesThePublisherOnItsRtcpChannelNamingItsVideo) {
  publish_keyframe();
  publisher_over_tcp();
  Viewer& viewer = playing_viewer("v", 6000);
  EXPECT_TRUE(media().on_viewer_rtcp(viewer, kVideo,
                                     bytes_of(viewer_rtcp(video_ssrc(), 0, 10, 0, 0, true)), now_));
  const auto sent = to_publisher();
  ASSERT_EQ(sent.size(), 1U);
  const auto pli = pli_in(sent[0]);
  ASSERT_TRUE(pli);
  EXPECT_EQ(pli->media_ssrc, video_ssrc_in_) << "the publisher's own SSRC, not the relay's";
  EXPECT_EQ(viewer.qos.plis, 1U);
  EXPECT_EQ(media().qos().keyframe_requests().sent(), 1U);
}

TEST_F(GroupMediaQosTest, PlisWithinTheIntervalAreMergedAndAKeyframeAnswersThem) {
  publish_keyframe();
  publisher_over_tcp();
  Viewer& a = playing_viewer("a", 6000);
  Viewer& b = playing_viewer("b", 7000);
  const Buffer pli = viewer_rtcp(video_ssrc(), 0, 10, 0, 0, true);
  EXPECT_TRUE(media().on_viewer_rtcp(a, kVideo, bytes_of(pli), now_));
  now_ += 100ms;
  EXPECT_TRUE(media().on_viewer_rtcp(b, kVideo, bytes_of(pli), now_));
  EXPECT_EQ(to_publisher().size(), 1U);
  now_ += 1s;
  media().update_qos(now_);
  EXPECT_EQ(to_publisher().size(), 2U) << "b's request, once the interval was over";
  EXPECT_TRUE(media().on_viewer_rtcp(a, kVideo, bytes_of(pli), now_));  // within the interval
  publish_keyframe();  // the publisher's own keyframe, after the request, answers it
  now_ += 2s;
  media().update_qos(now_);
  EXPECT_EQ(to_publisher().size(), 2U);
}

TEST_F(GroupMediaQosTest, AnUnrepairableLossAsksForAKeyframe) {
  publish_keyframe();
  publisher_over_tcp();
  Viewer& viewer = playing_viewer("v", 6000);
  const auto video = decode(udp_.rtp_to(endpoint(6000)));
  ASSERT_FALSE(video.empty());
  now_ += 5s;  // far beyond the retransmission window
  EXPECT_TRUE(media().on_viewer_rtcp(
      viewer, kVideo, bytes_of(generic_nack(video_ssrc(), {video[0].sequence})), now_));
  EXPECT_EQ(viewer.repair.misses, 1U);
  ASSERT_EQ(to_publisher().size(), 1U);
  EXPECT_TRUE(pli_in(to_publisher()[0]));
  EXPECT_EQ(media().qos().keyframe_requests().repair_misses(), 1U);
}

TEST_F(GroupMediaQosTest, WithoutAPublisherConnectionNothingIsSent) {
  publish_keyframe();
  publisher_over_tcp();
  media().publisher_left();
  Viewer& viewer = playing_viewer("v", 6000);
  EXPECT_TRUE(media().on_viewer_rtcp(viewer, kVideo,
                                     bytes_of(viewer_rtcp(video_ssrc(), 0, 10, 0, 0, true)), now_));
  EXPECT_TRUE(to_publisher().empty());
  EXPECT_EQ(media().qos().requests_unsent(), 1U);
}

TEST_F(GroupMediaQosTest, AUdpPublisherGetsItsRequestsOnItsRtcpPort) {
  publish_keyframe();
  PublisherRtcpPath path;
  path.tcp = false;
  path.udp_rtcp[kVideo] = endpoint(9001);
  media().set_publisher_rtcp(path);
  Viewer& viewer = playing_viewer("v", 6000);
  udp_.rtcp.clear();
  EXPECT_TRUE(media().on_viewer_rtcp(viewer, kVideo,
                                     bytes_of(viewer_rtcp(video_ssrc(), 0, 10, 0, 0, true)), now_));
  ASSERT_EQ(udp_.rtcp.size(), 1U);
  EXPECT_EQ(udp_.rtcp[0].to, endpoint(9001));
  EXPECT_TRUE(pli_in(udp_.rtcp[0].bytes));
}

TEST_F(GroupMediaQosTest, AViewersRoundTripComesFromTheSenderReportItWasSent) {
  publish_keyframe();
  Viewer& viewer = playing_viewer("v", 6000);
  rtp::SenderInfo sender{.ssrc = video_ssrc_in_,
                         .ntp_timestamp = 0xe8f1a2b3'c4d50000ULL,
                         .rtp_timestamp = video_ts_,
                         .packet_count = 3,
                         .octet_count = 100};
  Buffer sr(28);
  ASSERT_EQ(rtp::write_sender_report(sr, sender), 28U);
  ASSERT_TRUE(media().on_publisher_rtcp(kVideo, bytes_of(sr), now_));
  // It held our SR 250 ms (16384/65536) and its report came 330 ms after the SR left.
  first_report(viewer);
  now_ += 330ms;
  EXPECT_TRUE(media().on_viewer_rtcp(
      viewer, kVideo, bytes_of(viewer_rtcp(video_ssrc(), 0, 100, 0xa2b3c4d5, 16384, false)), now_));
  ASSERT_TRUE(viewer.qos.health.round_trip());
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(*viewer.qos.health.round_trip()),
            80ms);
  EXPECT_EQ(viewer.qos.health.verdict(), PathVerdict::clear);
}

TEST_F(GroupMediaQosTest, AViewersFirstSecondsDoNotJudgeItsPath) {
  limits_.qos.join_settling = 2s;
  publish_keyframe();
  Viewer& viewer = playing_viewer("v", 6000);
  // Its join burst lost a quarter: reported, and NACKed.
  EXPECT_TRUE(media().on_viewer_rtcp(
      viewer, kVideo, bytes_of(viewer_rtcp(video_ssrc(), 64, 100, 0, 0, false)), now_));
  EXPECT_TRUE(media().on_viewer_rtcp(
      viewer, kVideo, bytes_of(generic_nack(video_ssrc(), {4001, 4002, 4003})), now_));
  EXPECT_NE(viewer.qos.health.verdict(), PathVerdict::congested);
  EXPECT_EQ(viewer.qos.health.loss(), 0);
  now_ += 2s;  // settled: the same report now counts
  EXPECT_TRUE(media().on_viewer_rtcp(
      viewer, kVideo, bytes_of(viewer_rtcp(video_ssrc(), 64, 200, 0, 0, false)), now_));
  EXPECT_EQ(viewer.qos.health.verdict(), PathVerdict::congested);
}

// The verdict weighs what repair left (issue 12 item 4): an AVPF viewer gets its repairs as RTX,
// which its report of our video SSRC still counts lost; the repairs we sent are taken off.
TEST_F(GroupMediaQosTest, LossThatRepairMadeWholeIsNotCongestionLossItCouldNotResendIs) {
  publish_keyframe();
  Viewer& viewer = add_udp_viewer("v", 6000);
  viewer.tracks[kVideo].feedback = true;
  play(viewer);
  pace_until_done();
  for (int i = 0; i < 5; ++i)
    publish_delta();
  const auto video = decode(udp_.rtp_to(endpoint(6000)));
  ASSERT_GE(video.size(), 6U);
  const auto report = [&](std::uint32_t highest, std::int32_t lost) {
    Buffer out(64);
    rtp::ReportBlock block;
    block.ssrc = video_ssrc();
    block.cumulative_lost = lost;
    block.highest_sequence = highest;
    out.resize(rtp::write_receiver_report(out, 0x4321, std::span(&block, 1)));
    EXPECT_TRUE(media().on_viewer_rtcp(viewer, kVideo, bytes_of(out), now_));
  };
  report(1000, 0);
  std::vector<std::uint16_t> lost;
  for (std::size_t i = 0; i < 6; ++i)
    lost.push_back(video[i].sequence);
  EXPECT_TRUE(
      media().on_viewer_rtcp(viewer, kVideo, bytes_of(generic_nack(video_ssrc(), lost)), now_));
  EXPECT_EQ(viewer.repair.packets_repaired, 6U);
  report(1100, 6);  // 6 of 100 lost, all resent
  EXPECT_DOUBLE_EQ(viewer.qos.health.loss(), 0.06);
  EXPECT_DOUBLE_EQ(viewer.qos.health.residual_loss(), 0);
  EXPECT_EQ(viewer.qos.health.verdict(), PathVerdict::clear);

  // Twelve it asks for were never relayed (as if past the window): nothing can resend them.
  lost.clear();
  for (std::uint16_t i = 0; i < 12; ++i)
    lost.push_back(static_cast<std::uint16_t>(video[0].sequence - 200 + i));
  EXPECT_TRUE(
      media().on_viewer_rtcp(viewer, kVideo, bytes_of(generic_nack(video_ssrc(), lost)), now_));
  report(1200, 18);
  EXPECT_DOUBLE_EQ(viewer.qos.health.residual_loss(), 0.12);
  EXPECT_EQ(viewer.qos.health.verdict(), PathVerdict::congested);
}

// rtspsrc under heavy loss sends only early feedback, whose RR has no report block: its path is
// judged from its NACKs against the video it was sent.
TEST_F(GroupMediaQosTest, AViewerWithoutReportsIsJudgedFromItsNacksAgainstWhatItWasSent) {
  publish_keyframe();
  Viewer& viewer = playing_viewer("v", 6000);
  media().update_qos(now_);  // starts its count
  for (int i = 0; i < 100; ++i)
    publish_delta();
  std::vector<std::uint16_t> lost;
  for (std::uint16_t i = 0; i < 20; ++i)  // never relayed: nothing can resend them
    lost.push_back(static_cast<std::uint16_t>(i * 3));
  EXPECT_TRUE(
      media().on_viewer_rtcp(viewer, kVideo, bytes_of(generic_nack(video_ssrc(), lost)), now_));
  now_ += 1s;
  media().update_qos(now_);
  EXPECT_EQ(viewer.qos.health.verdict(), PathVerdict::unknown) << "a report may still come";
  now_ += 1s;
  media().update_qos(now_);
  EXPECT_EQ(viewer.qos.health.verdict(), PathVerdict::congested);
  EXPECT_NEAR(viewer.qos.health.residual_loss(), 0.2, 0.01);
}

TEST_F(GroupMediaQosTest, ACongestedAudienceAsksThePublisherForALowerRate) {
  limits_.qos.rate.min_bps = 1000;  // the test's stream is a few kbit/s
  publish_keyframe();
  publisher_over_tcp();
  Viewer& a = playing_viewer("a", 6000);
  Viewer& b = playing_viewer("b", 7000);
  // A second of media so that the publisher's rate is known (the ceiling of any request).
  media().update_rates(now_);
  for (int i = 0; i < 25; ++i)
    publish_delta();
  now_ += 1s;
  media().update_rates(now_);
  ASSERT_GT(media().tracks()[kVideo].bitrate_bps(), 0);
  std::uint32_t highest = 100;
  for (Viewer* viewer : {&a, &b}) {
    first_report(*viewer);
    EXPECT_TRUE(media().on_viewer_rtcp(
        *viewer, kVideo, bytes_of(viewer_rtcp(video_ssrc(), 64, highest, 0, 0, false)), now_));
  }
  EXPECT_EQ(a.qos.health.verdict(), PathVerdict::congested);  // 64/256 = 25 % lost
  media().update_qos(now_);
  const auto sent = to_publisher();
  ASSERT_EQ(sent.size(), 1U);
  const auto packets = rtcp_packets(sent[0]);
  ASSERT_EQ(packets.size(), 3U);
  const auto remb = rtp::parse_receiver_estimated_max_bitrate(packets[2]);
  ASSERT_TRUE(remb);
  EXPECT_LT(remb->bitrate_bps, static_cast<std::uint64_t>(media().tracks()[kVideo].bitrate_bps()));
  ASSERT_EQ(remb->ssrc_count, 1U);
  EXPECT_EQ(remb->ssrcs[0], video_ssrc_in_);
  EXPECT_EQ(media().qos().bitrate_requests(), 1U);
  const auto& request = media().qos().last_bitrate_request();
  ASSERT_TRUE(request);
  EXPECT_TRUE(request->sent);
  EXPECT_EQ(request->bps, remb->bitrate_bps);
  EXPECT_EQ(request->ssrc, video_ssrc_in_);
  EXPECT_EQ(request->paths.congested, 2U);
  EXPECT_EQ(request->paths.reporting, 2U);
}

// A browser publisher (issue 14) is set up before its ICE check brings its address and DTLS its
// keys: a request made then cannot leave, and says so (it was counted sent and dropped).
TEST_F(GroupMediaQosTest, ARequestForABrowserNotConnectedYetIsCountedUnsent) {
  limits_.qos.rate.min_bps = 1000;
  publish_keyframe();
  PublisherRtcpPath path;  // as WebRtcSessions::start_publisher sets it: no address yet
  path.tcp = false;
  media().set_publisher_rtcp(path);
  Viewer& a = playing_viewer("a", 6000);
  media().update_rates(now_);
  for (int i = 0; i < 25; ++i)
    publish_delta();
  now_ += 1s;
  media().update_rates(now_);
  first_report(a);
  EXPECT_TRUE(media().on_viewer_rtcp(
      a, kVideo, bytes_of(viewer_rtcp(video_ssrc(), 64, 100, 0, 0, false)), now_));
  udp_.rtcp.clear();
  media().update_qos(now_);
  EXPECT_TRUE(udp_.rtcp.empty());
  EXPECT_EQ(media().qos().bitrate_requests(), 1U);
  EXPECT_EQ(QosCounters::of(media().qos()).bitrate_requests_unsent, 1U);
  const auto& request = media().qos().last_bitrate_request();
  ASSERT_TRUE(request);
  EXPECT_FALSE(request->sent);
  EXPECT_EQ(request->ssrc, video_ssrc_in_);
}

// Issue 14: a browser publisher gets our receiver reports, a second apart, one compound with a
// block for each of its tracks (BUNDLE: on the video's path); its send-side estimate grows only
// on them. Other publishers do not (path.receiver_reports false): their requests alone.
TEST_F(GroupMediaQosTest, ABrowserPublisherGetsReceiverReportsAboutEachOfItsTracks) {
  publish_keyframe();
  PublisherRtcpPath path;
  path.tcp = false;
  path.udp_rtcp[kVideo] = path.udp_rtcp[kAudio] = endpoint(9001);
  media().set_publisher_rtcp(path);
  publish_audio();
  ++video_seq_;  // one video packet lost on its way
  publish_delta();
  udp_.rtcp.clear();
  media().update_qos(now_);
  EXPECT_TRUE(udp_.rtcp_to(endpoint(9001)).empty()) << "receiver_reports is off";

  path.receiver_reports = true;
  media().set_publisher_rtcp(path);
  media().update_qos(now_);
  media().update_qos(now_ + 500ms);  // within the second: nothing more
  const auto sent = udp_.rtcp_to(endpoint(9001));
  ASSERT_EQ(sent.size(), 1U);
  const auto packets = rtcp_packets(sent[0]);
  ASSERT_EQ(packets.size(), 2U) << "RR, SDES";
  const auto rr = rtp::parse_receiver_report(packets[0]);
  ASSERT_TRUE(rr);
  EXPECT_EQ(rr->sender_ssrc, media().qos().relay_ssrc());
  ASSERT_EQ(rr->block_count, 2U);
  EXPECT_EQ(rr->blocks[0].ssrc, video_ssrc_in_);
  EXPECT_EQ(rr->blocks[0].cumulative_lost, 1);
  EXPECT_EQ(rr->blocks[0].highest_sequence, std::uint32_t{video_seq_} - 1);
  EXPECT_EQ(rr->blocks[1].ssrc, 0x5555U);  // the audio's
  EXPECT_EQ(rr->blocks[1].cumulative_lost, 0);
  EXPECT_EQ(media().receiver_reports_sent(), 1U);

  media().update_qos(now_ + 1s);
  EXPECT_EQ(udp_.rtcp_to(endpoint(9001)).size(), 2U);
  EXPECT_EQ(media().receiver_reports_sent(), 2U);
}

// Issue 12 item 5: what GET /v1/groups shows of the group's QoS and of each viewer's, every
// counter brought off its default through the paths a live group takes.
TEST_F(GroupMediaQosTest, TheGroupSnapshotShowsTheQosOfTheGroupAndOfEachViewer) {
  limits_.qos.rate.min_bps = 1000;  // the test's stream is a few kbit/s
  publish_keyframe();
  publisher_over_tcp();
  Viewer& a = playing_viewer("a", 6000);
  Viewer& b = playing_viewer("b", 7000);
  const auto sender_report = [&](std::uint64_t ntp) {
    rtp::SenderInfo sender{.ssrc = video_ssrc_in_,
                           .ntp_timestamp = ntp,
                           .rtp_timestamp = video_ts_,
                           .packet_count = 3,
                           .octet_count = 100};
    Buffer sr(28);
    ASSERT_EQ(rtp::write_sender_report(sr, sender), 28U);
    ASSERT_TRUE(media().on_publisher_rtcp(kVideo, bytes_of(sr), now_));
  };
  // a's PLI leaves at once and its report gives a round trip of 80 ms (held 250 ms of 330).
  sender_report(0xe8f1a2b3'c4d50000ULL);
  now_ += 330ms;
  EXPECT_TRUE(media().on_viewer_rtcp(
      a, kVideo, bytes_of(viewer_rtcp(video_ssrc(), 0, 0, 0xa2b3c4d5, 16384, true)), now_));
  // b's FIR and a's second PLI, within the interval: one request for both, due at its end.
  now_ += 10ms;
  Buffer fir = viewer_rtcp(video_ssrc(), 0, 0, 0, 0, false);
  const std::size_t rr = fir.size();
  fir.resize(rr + 20);
  ASSERT_EQ(
      rtp::write_full_intra_request(rtp::MutableBytes(fir).subspan(rr), 0x4321, video_ssrc(), 1),
      20U);
  EXPECT_TRUE(media().on_viewer_rtcp(b, kVideo, bytes_of(fir), now_));
  EXPECT_TRUE(media().on_viewer_rtcp(a, kVideo,
                                     bytes_of(viewer_rtcp(video_ssrc(), 0, 0, 0, 0, true)), now_));
  ASSERT_EQ(to_publisher().size(), 1U);

  // A second of media (the publisher's rate, the ceiling), then both report 25 % lost, a with a
  // round trip 40 ms above its floor; the publisher's connection is gone when the group acts.
  media().update_rates(now_);
  for (int i = 0; i < 25; ++i)
    publish_delta();
  now_ += 1s;
  media().update_rates(now_);
  sender_report(0xe8f1a2b4'c4d50000ULL);
  now_ += 370ms;
  EXPECT_TRUE(media().on_viewer_rtcp(
      a, kVideo, bytes_of(viewer_rtcp(video_ssrc(), 64, 100, 0xa2b4c4d5, 16384, false)), now_));
  EXPECT_TRUE(media().on_viewer_rtcp(
      b, kVideo, bytes_of(viewer_rtcp(video_ssrc(), 64, 100, 0, 0, false)), now_));
  media().publisher_left();
  media().update_qos(now_);  // the merged request falls due, the rate goes down: neither sent
  a.qos.thinned = true;      // thinning is the policy's (GroupQosTest); shown as it is
  a.qos.times_thinned = 2;

  core::Group group;
  group.id = "g1";
  group.state = core::GroupState::live;
  group.viewers["1000a"].playing = true;
  group.viewers["1000b"].playing = true;
  auto snapshot = make_group_snapshot(group, &media(), nullptr, now_);
  ASSERT_EQ(snapshot.viewers.size(), 2U);
  const control::ViewerQosStats& qa = snapshot.viewers[0].qos;
  EXPECT_EQ(qa.plis, 2U);
  EXPECT_EQ(qa.firs, 0U);
  EXPECT_TRUE(qa.thinned);
  EXPECT_EQ(qa.times_thinned, 2U);
  EXPECT_EQ(qa.verdict, "congested");
  EXPECT_DOUBLE_EQ(qa.loss, 0.25);
  ASSERT_TRUE(qa.round_trip_ms && qa.queue_delay_ms);
  EXPECT_NEAR(*qa.round_trip_ms, 120, 0.1);
  EXPECT_NEAR(*qa.queue_delay_ms, 40, 0.1);
  const control::ViewerQosStats& qb = snapshot.viewers[1].qos;
  EXPECT_EQ(qb.firs, 1U);
  EXPECT_EQ(qb.plis, 0U);
  EXPECT_FALSE(qb.thinned);
  EXPECT_FALSE(qb.round_trip_ms);
  EXPECT_FALSE(qb.queue_delay_ms);

  const control::GroupQosStats& g = snapshot.qos;
  EXPECT_EQ(g.plis_received, 2U);
  EXPECT_EQ(g.firs_received, 1U);
  EXPECT_EQ(g.keyframe_requests_merged, 1U);
  EXPECT_EQ(g.keyframe_requests_forwarded, 1U);
  EXPECT_EQ(g.keyframe_requests_unsent, 1U);
  EXPECT_EQ(g.bitrate_requests, 1U);
  EXPECT_EQ(g.bitrate_decreases, 1U);
  EXPECT_EQ(g.bitrate_requests_unsent, 1U);
  EXPECT_GT(g.ceiling_bps, 0U);
  EXPECT_EQ(g.ceiling_bps, media().qos().rate_policy().ceiling_bps());
  ASSERT_TRUE(g.target_bps);
  EXPECT_LT(*g.target_bps, g.ceiling_bps);

  // A loss past the window asks for a keyframe of its own; the audience clears and the rate
  // climbs back.
  const auto video = decode(udp_.rtp_to(endpoint(6000)));
  ASSERT_FALSE(video.empty());
  now_ += 5s;
  EXPECT_TRUE(media().on_viewer_rtcp(
      a, kVideo, bytes_of(generic_nack(video_ssrc(), {video[0].sequence})), now_));
  std::uint32_t highest = 100;
  for (int i = 0; i < 6; ++i) {
    now_ += 1s;
    highest += 100;  // a's NACK named 1 of them: 1 % lost, clear
    for (Viewer* viewer : {&a, &b}) {
      EXPECT_TRUE(media().on_viewer_rtcp(
          *viewer, kVideo, bytes_of(viewer_rtcp(video_ssrc(), 0, highest, 0, 0, false)), now_));
    }
    media().update_qos(now_);
  }
  snapshot = make_group_snapshot(group, &media(), nullptr, now_);
  EXPECT_EQ(snapshot.qos.repair_miss_requests, 1U);
  EXPECT_EQ(snapshot.qos.keyframe_requests_unsent, 2U);
  EXPECT_GE(snapshot.qos.bitrate_increases, 1U);
  EXPECT_EQ(snapshot.qos.bitrate_requests,
            snapshot.qos.bitrate_decreases + snapshot.qos.bitrate_increases);
  EXPECT_EQ(snapshot.qos.bitrate_requests_unsent, snapshot.qos.bitrate_requests);
  EXPECT_EQ(snapshot.viewers[0].qos.verdict, "clear");
}

TEST_F(GroupMediaQosTest, TheGroupSnapshotCountsItsThinnedViewers) {
  limits_.qos.thinning = true;
  publish_keyframe();
  Viewer& congested = playing_viewer("a", 6000);
  Viewer& b = playing_viewer("b", 7000);
  Viewer& c = playing_viewer("c", 8000);
  for (Viewer* viewer : {&congested, &b, &c})
    first_report(*viewer);
  EXPECT_TRUE(media().on_viewer_rtcp(
      congested, kVideo, bytes_of(viewer_rtcp(video_ssrc(), 64, 100, 0, 0, false)), now_));
  for (Viewer* clear : {&b, &c}) {
    EXPECT_TRUE(media().on_viewer_rtcp(
        *clear, kVideo, bytes_of(viewer_rtcp(video_ssrc(), 0, 100, 0, 0, false)), now_));
  }
  media().update_qos(now_);
  now_ += limits_.qos.rate.thin_after;
  media().update_qos(now_);  // a congested minority of one, for long enough: thinned

  core::Group group;
  group.id = "g1";
  for (const char* number : {"1000a", "1000b", "1000c"})
    group.viewers[number].playing = true;
  const auto snapshot = make_group_snapshot(group, &media(), nullptr, now_);
  EXPECT_EQ(snapshot.qos.thinned_viewers, 1U);
  ASSERT_EQ(snapshot.viewers.size(), 3U);
  EXPECT_TRUE(snapshot.viewers[0].qos.thinned);
  EXPECT_EQ(snapshot.viewers[0].qos.times_thinned, 1U);
  EXPECT_FALSE(snapshot.viewers[1].qos.thinned);
}

TEST_F(GroupMediaQosTest, GoneGroupsQosCountersStayInTheMetricsTotals) {
  media().set_metrics(&metrics_);
  publish_keyframe();
  publisher_over_tcp();
  Viewer& viewer = playing_viewer("v", 6000);
  EXPECT_TRUE(media().on_viewer_rtcp(viewer, kVideo,
                                     bytes_of(viewer_rtcp(video_ssrc(), 0, 10, 0, 0, true)), now_));
  media().remove_viewer("v", false, "test");  // its PLI stays counted in its group's
  EXPECT_EQ(QosCounters::of(media().qos()).plis_received, 1U);
  media_.reset();
  EXPECT_EQ(metrics_.retired_qos().plis_received, 1U);
  EXPECT_EQ(metrics_.retired_qos().keyframe_requests_forwarded, 1U);
}

// ---- a congested minority thinned to keyframes and audio (item 4)
// --------------------------------

class GroupMediaThinningTest : public GroupMediaQosTest {
 protected:
  GroupMediaThinningTest() { limits_.qos.thinning = true; }
  // Three playing viewers; `congested` reports a quarter of its video lost for `for_how_long`,
  // the others nothing, then the sweep runs. (The first round starts each viewer's interval.)
  void judge(Viewer& congested, std::initializer_list<Viewer*> clear, Clock::duration held) {
    report(congested, 64);
    for (Viewer* viewer : clear)
      report(*viewer, 0);
    report(congested, 64);
    for (Viewer* viewer : clear)
      report(*viewer, 0);
    wait(held);
    report(congested, 64);
    for (Viewer* viewer : clear)
      report(*viewer, 0);
    media().update_qos(now_);
  }
  void report(Viewer& viewer, std::uint8_t fraction_lost) {
    highest_ += 50;
    EXPECT_TRUE(media().on_viewer_rtcp(
        viewer, kVideo, bytes_of(viewer_rtcp(video_ssrc(), fraction_lost, highest_, 0, 0, false)),
        now_));
  }
  // Time passes for the publisher's clock too (else its next packets would read as stale).
  void wait(Clock::duration d) {
    now_ += d;
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
    video_ts_ += static_cast<std::uint32_t>(ms * 90);
    audio_ts_ += static_cast<std::uint32_t>(ms * 441 / 10);
  }
  // Three viewers playing; a packet after their catching up hands them to the fan-out.
  std::array<Viewer*, 3> three_viewers() {
    publish_keyframe();
    std::array<Viewer*, 3> out{&playing_viewer("a", 6000), &playing_viewer("b", 7000),
                               &playing_viewer("c", 8000)};
    publish_audio();
    return out;
  }
  // Of three playing viewers, the first congested for 2 s and the others clear: it is thinned.
  Viewer& thinned_viewer() {
    auto [a, b, c] = three_viewers();
    judge(*a, {b, c}, 2s);
    return *a;
  }
  std::uint32_t highest_ = 100;
};

TEST_F(GroupMediaThinningTest, ACongestedMinorityViewerGetsKeyframesAndAudioNumberedWithoutGaps) {
  auto [pa, pb, pc] = three_viewers();
  Viewer& a = *pa;
  Viewer& b = *pb;
  Viewer& c = *pc;
  ASSERT_TRUE(a.fanout_shard) << "caught up: the fan-out sends to it";
  judge(a, {&b, &c}, 2s);
  ASSERT_TRUE(a.qos.thinned);
  EXPECT_FALSE(b.qos.thinned);
  EXPECT_EQ(media().qos().thinned_viewers(), 1U);
  EXPECT_FALSE(a.fanout_shard) << "its own numbering: the loop sends to it";
  udp_.rtp.clear();

  for (int gop = 0; gop < 2; ++gop) {
    publish_keyframe();
    for (int i = 0; i < 4; ++i) {
      publish_delta();
      publish_audio();
    }
  }
  const auto thinned = video_at(6000);
  const auto full = video_at(7000);
  ASSERT_EQ(full.size(), 2U * (3 + 4));
  ASSERT_EQ(thinned.size(), 2U * 3) << "the two keyframes' packets only";
  EXPECT_TRUE(contiguous(thinned));
  for (const auto& packet : thinned)
    EXPECT_NE(packet.nal_types, std::vector<int>{1}) << "no delta picture";
  EXPECT_EQ(thinned[3].timestamp, full[7].timestamp) << "the second keyframe, as everyone's";
  EXPECT_EQ(thinned[3].payload, full[7].payload);
  EXPECT_EQ(audio_at(6000).size(), 8U) << "audio as to everyone";
  EXPECT_EQ(a.tracks[kVideo].thinning.packets_skipped(), 8U);

  core::Group group;  // what GET /v1/groups shows of it
  group.id = "g1";
  group.state = core::GroupState::live;
  group.viewers["1000a"].playing = true;
  const auto snapshot = make_group_snapshot(group, &media(), nullptr, now_);
  ASSERT_EQ(snapshot.viewers.size(), 1U);
  EXPECT_TRUE(snapshot.viewers[0].qos.thinned);
  EXPECT_EQ(snapshot.viewers[0].qos.packets_thinned, 8U);
  EXPECT_EQ(snapshot.qos.thinned_viewers, 1U);
}

TEST_F(GroupMediaThinningTest, AThinnedViewersNackIsRepairedUnderItsOwnNumbers) {
  Viewer& a = thinned_viewer();
  ASSERT_TRUE(a.qos.thinned);
  udp_.rtp.clear();
  publish_delta();
  publish_keyframe();
  const std::vector<Buffer> sent_video = udp_.rtp_to(endpoint(6000));
  const auto thinned = decode(sent_video);
  ASSERT_EQ(thinned.size(), 3U);

  udp_.rtp.clear();
  EXPECT_TRUE(media().on_viewer_rtcp(
      a, kVideo, bytes_of(generic_nack(video_ssrc(), {thinned[1].sequence})), now_));
  const auto again = udp_.rtp_to(endpoint(6000));
  ASSERT_EQ(again.size(), 1U);
  EXPECT_EQ(again[0], sent_video[1]) << "the packet it lost, byte for byte as it was sent";
  EXPECT_EQ(a.repair.packets_repaired, 1U);
}

TEST_F(GroupMediaThinningTest, AViewerClearAgainGetsEveryFrameFromTheNextKeyframeWithoutAJump) {
  Viewer& a = thinned_viewer();
  ASSERT_TRUE(a.qos.thinned);
  udp_.rtp.clear();
  publish_delta();
  publish_keyframe();
  publish_delta();

  // Clear for 3 s: every frame again, from the next keyframe on.
  report(a, 0);
  wait(3s);
  report(a, 0);
  media().update_qos(now_);
  EXPECT_FALSE(a.qos.thinned);
  EXPECT_EQ(a.qos.times_thinned, 1U);
  publish_delta();  // mid-GOP: still skipped
  publish_keyframe();
  publish_delta();
  publish_delta();
  const auto video = video_at(6000);
  ASSERT_EQ(video.size(), 3U + 3 + 2);
  EXPECT_TRUE(contiguous(video));
  EXPECT_EQ(media().qos().thinned_viewers(), 0U);
}

TEST_F(GroupMediaThinningTest, NoThinningWhenTurnedOff) {
  limits_.qos.thinning = false;
  auto [pa, pb, pc] = three_viewers();
  Viewer& a = *pa;
  Viewer& b = *pb;
  Viewer& c = *pc;
  judge(a, {&b, &c}, 5s);
  EXPECT_FALSE(a.qos.thinned);
  EXPECT_TRUE(a.fanout_shard);
}

}  // namespace
}  // namespace callcast::media
