#include "media/viewer_session.hpp"

#include "media/group_media.hpp"

namespace callcast::media {

void ViewerSession::receive_rtcp(std::size_t track, rtp::Bytes data, Clock::time_point now) {
  media_->on_viewer_rtcp(*viewer_, track, data, now);
}

}  // namespace callcast::media
