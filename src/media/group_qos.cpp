#include "media/group_qos.hpp"

#include <array>

#include "rtp/full_intra_request.hpp"
#include "rtp/picture_loss_indication.hpp"
#include "rtp/receiver_estimated_max_bitrate.hpp"

namespace callcast::media {

GroupQos::GroupQos(QosSettings settings, std::uint32_t relay_ssrc, std::string cname)
    : settings_(settings),
      relay_ssrc_(relay_ssrc),
      cname_(std::move(cname)),
      keyframes_(settings.keyframe_request_interval),
      rate_(settings.rate) {}

void GroupQos::publisher_video(std::size_t track, std::uint32_t ssrc) {
  video_track_ = track;
  video_ssrc_ = ssrc;
}

void GroupQos::publisher_video_rate(std::uint64_t bps) {
  // The rate it sends at while nobody asked for less is what it can do; once we asked, what it
  // sends follows our request and says nothing about its ceiling.
  if (!rate_.target_bps() && bps > rate_.ceiling_bps()) rate_.set_ceiling(bps);
}

bool GroupQos::on_viewer_feedback(ViewerQos& viewer, const rtp::RtcpPacketView& packet,
                                  Clock::time_point now) {
  KeyframeRequestSource source;
  if (rtp::parse_picture_loss_indication(packet)) {
    ++viewer.plis;
    source = KeyframeRequestSource::pli;
  } else if (rtp::parse_full_intra_request(packet)) {
    ++viewer.firs;
    source = KeyframeRequestSource::fir;
  } else {
    return false;
  }
  request_keyframe(source, now);
  return true;
}

void GroupQos::request_keyframe(KeyframeRequestSource source, Clock::time_point now) {
  if (keyframes_.request(source, now)) send_keyframe_request();
}

std::vector<ViewerQos*> GroupQos::tick(std::span<ViewerQos* const> viewers, Clock::time_point now) {
  if (keyframes_.due(now)) send_keyframe_request();
  std::vector<ViewerQos*> changed;
  if (!settings_.rate_control) return changed;

  GroupPaths paths;
  for (const ViewerQos* viewer : viewers) {
    if (viewer->thinned) continue;
    ++paths.viewers;
    if (viewer->health.verdict() == PathVerdict::unknown) continue;
    ++paths.reporting;
    if (viewer->health.verdict() == PathVerdict::congested) ++paths.congested;
    if (viewer->health.verdict() == PathVerdict::clear) ++paths.clear;
  }
  if (auto bps = rate_.evaluate(paths, now)) send_bitrate_request(*bps, paths);
  if (!settings_.thinning) return changed;

  thinned_ = 0;
  for (ViewerQos* viewer : viewers) {
    const bool thin = rate_.thin(viewer->health, viewer->thinned, viewer->times_thinned, now);
    if (thin != viewer->thinned) {
      viewer->thinned = thin;
      if (thin) ++viewer->times_thinned;
      changed.push_back(viewer);
    }
    if (viewer->thinned) ++thinned_;
  }
  return changed;
}

void GroupQos::send_keyframe_request() {
  std::array<std::uint8_t, 12> pli{};
  if (rtp::write_picture_loss_indication(pli, relay_ssrc_, video_ssrc_) == 0) return;
  if (!send_to_publisher(pli)) ++keyframe_unsent_;
}

void GroupQos::send_bitrate_request(std::uint64_t bps, const GroupPaths& paths) {
  ++bitrate_requests_;
  std::array<std::uint8_t, 24> remb{};
  const std::array<std::uint32_t, 1> ssrcs{video_ssrc_};
  const std::size_t size = rtp::write_receiver_estimated_max_bitrate(remb, relay_ssrc_, bps, ssrcs);
  const bool sent = size > 0 && send_to_publisher(std::span(remb.data(), size));
  last_bitrate_ = BitrateRequest{bps, video_ssrc_, sent, paths};
}

bool GroupQos::send_to_publisher(std::span<const std::uint8_t> request) {
  if (!video_track_ || !send_feedback(*video_track_, request)) {
    ++unsent_;
    return false;
  }
  return true;
}

bool GroupQos::send_receiver_report(std::size_t track, std::span<const rtp::ReportBlock> blocks) {
  if (!publisher_) return false;
  std::array<std::uint8_t, 512> compound{};
  const std::size_t rr = rtp::write_receiver_report(compound, relay_ssrc_, blocks);
  const std::size_t sdes =
      rr == 0 ? 0
              : rtp::write_sdes_cname(rtp::MutableBytes(compound).subspan(rr), relay_ssrc_, cname_);
  if (sdes == 0) return false;
  return publisher_(track, rtp::Bytes(compound.data(), rr + sdes));
}

bool GroupQos::send_feedback(std::size_t track, std::span<const std::uint8_t> feedback) {
  if (!publisher_) return false;
  std::array<std::uint8_t, 512> compound{};
  const std::size_t rr = rtp::write_receiver_report(compound, relay_ssrc_, {});
  const std::size_t sdes =
      rr == 0 ? 0
              : rtp::write_sdes_cname(rtp::MutableBytes(compound).subspan(rr), relay_ssrc_, cname_);
  const std::size_t used = rr + sdes;
  if (sdes == 0 || used + feedback.size() > compound.size()) return false;
  std::copy(feedback.begin(), feedback.end(), compound.begin() + static_cast<std::ptrdiff_t>(used));
  return publisher_(track, rtp::Bytes(compound.data(), used + feedback.size()));
}

}  // namespace callcast::media
