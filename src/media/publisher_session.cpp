#include "media/publisher_session.hpp"

#include <algorithm>

#include "media/group_media.hpp"
#include "media/track_control.hpp"

namespace callcast::media {

PublisherSession::PublisherSession(std::string id, std::string group, std::string terminal,
                                   Clock::time_point now, std::vector<TrackDescription> tracks,
                                   sdp::SessionDescription announced)
    : Session(SessionKind::publisher, std::move(id), std::move(group), std::move(terminal), now),
      tracks_(std::move(tracks)),
      announced_(std::move(announced)) {}

std::optional<std::size_t> PublisherSession::track_for(std::string_view control) const {
  std::optional<std::size_t> track;
  for (const auto& t : tracks_) {
    if (!control.empty() && t.control == control) track = t.index;
  }
  if (!track && control.empty() && tracks_.size() == 1) track = 0;
  if (!track) track = numbered_control(control);
  if (!track || *track >= tracks_.size()) return std::nullopt;
  return track;
}

bool PublisherSession::any_track_set_up() const {
  return std::any_of(track_set_up.begin(), track_set_up.end(), [](bool b) { return b; });
}

bool PublisherSession::receive(std::size_t track, bool rtcp, rtp::Bytes data,
                               Clock::time_point now) {
  last_activity = now;
  if (rtcp) {
    media_->on_publisher_rtcp(track, data, now);
    return true;
  }
  return media_->on_publisher_rtp(track, data, now);
}

}  // namespace callcast::media
