#pragma once
// A viewer's playing session (step 714): the group's media it plays from and its Viewer there
// (destinations, backlog, reports), both set when the session is created at SETUP.
#include "media/session.hpp"

namespace callcast::media {

class GroupMedia;
struct Viewer;

class ViewerSession final : public Session {
 public:
  ViewerSession(std::string id, std::string group, std::string terminal, Clock::time_point now,
                GroupMedia& media, Viewer& viewer)
      : Session(SessionKind::viewer, std::move(id), std::move(group), std::move(terminal), now),
        media_(&media),
        viewer_(&viewer) {}

  // Both live until the session is closed (the group's media removes the viewer then).
  GroupMedia& media() const { return *media_; }
  Viewer& viewer() const { return *viewer_; }

  // The player's RTCP for `track` (its receiver reports: loss and jitter into the stats).
  void receive_rtcp(std::size_t track, rtp::Bytes data, Clock::time_point now);

 private:
  GroupMedia* media_;
  Viewer* viewer_;
};

}  // namespace callcast::media
