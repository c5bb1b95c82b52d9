// GroupMedia's RTCP (modules 607-608): the publisher's sender reports relayed to the viewers,
// and the viewers' reports and feedback: receiver reports into their stats and path health,
// NACKs repaired (issue 12 item 2), PLI/FIR merged into requests for the publisher (item 3);
// and the relay's own NACKs for what a UDP publisher lost on its way to us (issue 13 item 6).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <chrono>

#include "media/group_media.hpp"
#include "media/srtp_copy.hpp"
#include "rtp/generic_nack.hpp"
#include "rtp/rtcp.hpp"
#include "rtp/rtcp_feedback.hpp"

namespace callcast::media {

bool GroupMedia::on_publisher_rtcp(std::size_t track, rtp::Bytes compound, Clock::time_point now) {
  if (track >= tracks_.size()) return false;
  auto parsed = rtp::RtcpCompoundView::parse(compound);
  if (!parsed) {
    ++malformed_rtcp_;
    return false;
  }
  for (const auto& packet : *parsed) {
    auto sr = rtp::parse_sender_report(packet);
    if (!sr) continue;
    ++sender_reports_;
    reception_[track].on_sender_report(sr->sender.ssrc, sr->sender.ntp_timestamp, now);
    std::array<std::uint8_t, 256> out{};
    const std::size_t size = tracks_[track].relay_sender_report(sr->sender, "callcast-" + group_,
                                                                rtp::MutableBytes(out));
    if (size == 0) continue;
    last_sender_report_[track].assign(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(size));
    for (auto& [id, viewer] : viewers_) {
      if (viewer->state == ViewerState::playing && viewer->tracks[track].set_up) {
        send_rtcp_to(*viewer, track, rtp::Bytes(out.data(), size));
        viewer->tracks[track].sender_reports.sent(sr->sender.ntp_timestamp, now);
      }
    }
    rtcp_out_.flush();  // before `out` goes
  }
  return true;
}

void GroupMedia::send_sender_reports(Viewer& viewer, Clock::time_point now) {
  for (std::size_t t = 0; t < tracks_.size(); ++t) {
    if (viewer.tracks[t].set_up && !last_sender_report_[t].empty()) {
      send_rtcp_to(viewer, t, rtp::Bytes(last_sender_report_[t]));
      // Its next receiver report names this copy (LSR): its round trip counts from now.
      viewer.tracks[t].sender_reports.sent(rtp::read_u64(last_sender_report_[t].data() + 8), now);
    }
  }
  rtcp_out_.flush();
}

void GroupMedia::send_rtcp_to(Viewer& viewer, std::size_t track, rtp::Bytes compound) {
  const auto& route = viewer.tracks[track];
  if (viewer.srtp) {
    // rtcp-mux: from the RTP port, to where its RTP goes (the one ICE-checked 5-tuple).
    if (auto sealed = srtcp_protected_copy(*viewer.srtp, compound)) {
      rtp_out_.enqueue(route.rtp, std::move(sealed), nullptr);
      rtp_out_.flush();
    }
  } else if (viewer.tcp) {
    if (auto writer = viewer.writer.lock()) writer->write_bytes(route.rtcp_channel, compound);
  } else {
    rtcp_out_.enqueue(route.rtcp, compound, nullptr);
  }
}

bool GroupMedia::on_viewer_rtcp(Viewer& viewer, std::size_t track, rtp::Bytes compound,
                                Clock::time_point now) {
  viewer.last_heard = now;
  auto parsed = rtp::RtcpCompoundView::parse(compound);
  if (!parsed) {
    ++malformed_rtcp_;
    return false;
  }
  ++viewer.rtcp_reports;
  for (const auto& packet : *parsed) {
    switch (static_cast<rtp::RtcpType>(packet.type())) {
      case rtp::RtcpType::sender_report:
      case rtp::RtcpType::receiver_report:
        record_reception(viewer, packet, now);
        break;
      case rtp::RtcpType::transport_feedback:
        on_transport_feedback(viewer, packet, now);
        break;
      case rtp::RtcpType::payload_feedback:  // PLI, FIR: a keyframe, through the group's gate
        if (viewer.state == ViewerState::playing) qos_.on_viewer_feedback(viewer.qos, packet, now);
        break;
      default:  // SDES, BYE
        break;
    }
  }
  // Reports and NACKs are matched to our tracks by SSRC: a player may send one compound for all.
  (void)track;
  return true;
}

void GroupMedia::record_reception(Viewer& viewer, const rtp::RtcpPacketView& packet,
                                  Clock::time_point now) {
  std::optional<rtp::ReceiverReport> rr = rtp::parse_receiver_report(packet);
  std::span<const rtp::ReportBlock> blocks;
  std::optional<rtp::SenderReport> sr;
  if (rr) {
    blocks = std::span(rr->blocks.data(), rr->block_count);
  } else if ((sr = rtp::parse_sender_report(packet))) {
    blocks = std::span(sr->blocks.data(), sr->block_count);
  }
  for (const auto& block : blocks) {
    for (std::size_t t = 0; t < tracks_.size(); ++t) {
      if (block.ssrc != tracks_[t].out_ssrc() || !viewer.tracks[t].set_up) continue;
      ViewerReception reception;
      reception.fraction_lost = block.fraction_lost / 256.0;
      reception.cumulative_lost = block.cumulative_lost;
      reception.jitter_ms =
          1000.0 * block.jitter / static_cast<double>(tracks_[t].description().clock_rate);
      reception.at = now;
      viewer.tracks[t].reception = reception;
      if (video_track_ && t == *video_track_) {
        // The video's reports judge the viewer's path: it carries most of the bytes.
        ReceiverFigures figures;
        figures.cumulative_lost = block.cumulative_lost;
        figures.highest_sequence = block.highest_sequence;
        figures.jitter_ms = reception.jitter_ms;
        figures.round_trip = viewer.tracks[t].sender_reports.round_trip(
            block.last_sr, block.delay_since_last_sr, now);
        // Repairs on the RTX stream are counted there, not in this report of the media SSRC.
        figures.repairs_counted = !(viewer.tracks[t].feedback && repairs_[t].rtx_payload_type());
        figures.settling = now - viewer.playing_since < qos_.settings().join_settling;
        const PathVerdict before = viewer.qos.health.verdict();
        qos_.on_viewer_report(viewer.qos, figures, now);
        if (viewer.qos.health.verdict() != before) {
          spdlog::debug(
              "group={} terminal={} path {} -> {}: loss {:.3f}, residual {:.3f} (report: {} lost "
              "of {}, repairs {})",
              group_, viewer.number, to_string(before), to_string(viewer.qos.health.verdict()),
              viewer.qos.health.loss(), viewer.qos.health.residual_loss(), block.cumulative_lost,
              block.highest_sequence, figures.repairs_counted ? "counted" : "on RTX");
        }
      }
      if (metrics_ != nullptr)
        metrics_->reception_reported(block.fraction_lost / 256.0, reception.jitter_ms / 1000);
    }
  }
}

void GroupMedia::on_transport_feedback(Viewer& viewer, const rtp::RtcpPacketView& packet,
                                       Clock::time_point now) {
  const std::optional<rtp::GenericNack> nack = rtp::parse_generic_nack(packet);
  if (!nack || viewer.tcp || viewer.state != ViewerState::playing) return;
  for (std::size_t t = 0; t < tracks_.size(); ++t) {
    if (nack->media_ssrc != tracks_[t].out_ssrc() || !viewer.tracks[t].set_up) continue;
    const std::uint64_t misses = viewer.repair.misses;
    // The video's NACKs judge its path, once past its first seconds (its catch-up burst).
    NackResponder::Answered answered;
    if (video_track_ && t == *video_track_ &&
        now - viewer.playing_since >= qos_.settings().join_settling) {
      answered = [this, &viewer](std::uint16_t sequence, bool resent) {
        qos_.on_viewer_nack(viewer.qos, sequence, resent);
      };
    }
    nack_responder_.respond(viewer, t, *nack, {repairs_[t], gop_cache(), tracks_[t].bitrate_bps()},
                            limits_.repair, now, repair_totals_, answered);
    if (video_track_ && t == *video_track_) {
      // Past repair: a fresh keyframe instead of a damaged picture until the next one.
      if (viewer.repair.misses > misses)
        qos_.request_keyframe(KeyframeRequestSource::repair_miss, now);
    }
  }
}

void GroupMedia::set_publisher_rtcp(PublisherRtcpPath path) {
  publisher_rtcp_ = std::move(path);
  qos_.set_publisher([this](std::size_t track, rtp::Bytes compound) {
    return send_to_publisher(track, compound);
  });
}

void GroupMedia::set_publisher_rtcp_destination(std::size_t track, const UdpEndpoint& to) {
  if (publisher_rtcp_ && !publisher_rtcp_->tcp && track < kMaxTracks) {
    publisher_rtcp_->udp_rtcp[track] = to;
  }
}

bool GroupMedia::send_to_publisher(std::size_t track, rtp::Bytes compound) {
  if (!publisher_rtcp_) return false;
  if (publisher_rtcp_->tcp) {
    auto writer = publisher_rtcp_->writer.lock();
    return writer && writer->write_bytes(publisher_rtcp_->rtcp_channel[track], compound);
  }
  const UdpEndpoint& to = publisher_rtcp_->udp_rtcp[track];
  if (to.port() == 0) return false;  // not known yet (a browser before its ICE check)
  if (publisher_rtcp_->srtp) {
    auto sealed = srtcp_protected_copy(*publisher_rtcp_->srtp, compound);
    if (!sealed) return false;
    rtp_out_.enqueue(to, std::move(sealed), nullptr);
    rtp_out_.flush();
    return true;
  }
  rtcp_out_.enqueue(to, compound, nullptr);
  rtcp_out_.flush();  // before `compound` goes
  return true;
}

void GroupMedia::send_publisher_nacks(std::size_t track, Clock::time_point now) {
  const IngestLossDue due = ingest_loss_[track].due(now);
  // 64 per message: RR + SDES + NACK stay far below a datagram, and a burst that lost more
  // still goes in the same call.
  constexpr std::size_t kPerMessage = 64;
  std::span<const std::uint16_t> lost(due.nacks);
  while (!lost.empty()) {
    const auto part = lost.first(std::min(kPerMessage, lost.size()));
    std::array<std::uint8_t, rtp::kFeedbackHeaderSize + 4 * kPerMessage> nack{};
    const std::size_t size =
        rtp::write_generic_nack(nack, qos_.relay_ssrc(), publisher_ssrc_[track], part);
    if (size > 0) (void)qos_.send_feedback(track, std::span(nack.data(), size));
    lost = lost.subspan(part.size());
  }
  // A video packet past repair leaves its picture and the ones after it damaged for every
  // viewer until the next keyframe: ask for one (the gate merges and rate-limits).
  if (due.keyframe_needed && video_track_ && track == *video_track_)
    qos_.request_keyframe(KeyframeRequestSource::publisher_loss, now);
}

void GroupMedia::send_receiver_report(Clock::time_point now) {
  // RFC 3550 §6.2 would allow a few seconds at our share of the bandwidth; Chromium's loss-based
  // estimate steps once per report, so a second apart, as its own receivers report.
  constexpr auto kReportInterval = std::chrono::seconds(1);
  if (!publisher_rtcp_ || !publisher_rtcp_->receiver_reports) return;
  if (last_receiver_report_ && now - *last_receiver_report_ < kReportInterval) return;
  std::array<rtp::ReportBlock, kMaxTracks> blocks{};
  std::size_t count = 0;
  for (std::size_t t = 0; t < tracks_.size() && count < blocks.size(); ++t) {
    if (auto block = reception_[t].report(now)) blocks[count++] = *block;
  }
  if (count == 0) return;
  last_receiver_report_ = now;
  if (qos_.send_receiver_report(video_track_.value_or(0), std::span(blocks.data(), count)))
    ++receiver_reports_sent_;
}

IngestLossCounters GroupMedia::publisher_loss() const {
  IngestLossCounters total;
  for (const auto& loss : ingest_loss_)
    total.add(loss.counters());
  return total;
}

void GroupMedia::update_qos(Clock::time_point now) {
  send_receiver_report(now);
  if (publisher_nacks_on()) {
    // Holes whose retries are over are given up here when the publisher's media stopped.
    for (std::size_t t = 0; t < tracks_.size(); ++t)
      send_publisher_nacks(t, now);
  }
  // UDP viewers only: over TCP nothing is lost, and its queue is the connection's own.
  std::vector<Viewer*> playing;
  std::vector<ViewerQos*> paths;
  playing.reserve(viewers_.size());
  paths.reserve(viewers_.size());
  for (auto& [id, viewer] : viewers_) {
    if (viewer->state != ViewerState::playing || viewer->tcp) continue;
    playing.push_back(viewer.get());
    paths.push_back(&viewer->qos);
    if (video_track_ && now - viewer->playing_since >= qos_.settings().join_settling) {
      // What it was sent of the video: what was relayed, less what thinning kept from it.
      const ViewerTrack& video = viewer->tracks[*video_track_];
      viewer->qos.health.on_tick(
          tracks_[*video_track_].packets() - video.thinning.packets_skipped(), now);
    }
  }
  const std::uint64_t bitrate_requests = qos_.bitrate_requests();
  const std::vector<ViewerQos*> thinning_changed = qos_.tick(paths, now);
  if (const auto& request = qos_.last_bitrate_request();
      request && qos_.bitrate_requests() != bitrate_requests) {
    // [0091]: the group's rate, asked of the master (REMB; SRTCP for a browser) for its viewers.
    spdlog::info(
        "group={} step=709 event=bitrate_request bps={} ssrc={} sent={} congested={}/{} "
        "ceiling_bps={}",
        group_, request->bps, request->ssrc, request->sent, request->paths.congested,
        request->paths.reporting, qos_.rate_policy().ceiling_bps());
  }
  for (ViewerQos* changed : thinning_changed) {
    const auto at = std::find(paths.begin(), paths.end(), changed);
    Viewer& viewer = *playing[static_cast<std::size_t>(at - paths.begin())];
    const ViewerHealth& health = changed->health;
    // Module 608: why this viewer now gets keyframes only (or every frame again).
    spdlog::info(
        "group={} terminal={} step=714 event={} verdict={} loss={:.3f} residual_loss={:.3f} "
        "queue_delay_ms={}",
        group_, viewer.number, changed->thinned ? "viewer_thinned" : "viewer_unthinned",
        to_string(health.verdict()), health.loss(), health.residual_loss(),
        health.queue_delay()
            ? std::chrono::duration_cast<std::chrono::milliseconds>(*health.queue_delay()).count()
            : -1);
    set_thinned(viewer, changed->thinned);
  }
}

}  // namespace callcast::media
