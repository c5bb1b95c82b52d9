#pragma once
// Receiver reports about one video track, as a player sends them: each one kInterval packets
// after the last, with `loss` of those counted lost (ViewerHealth judges the cumulative count).
// A viewer's first report only starts the interval its next one is judged over: start() sends
// that one to each viewer not seen before.
#include <cmath>
#include <cstdint>
#include <set>

#include "media/viewer_health.hpp"

namespace callcast::media {

class ReceiverReports {
 public:
  static constexpr std::uint32_t kInterval = 100;

  ReceiverFigures next(double loss) {
    highest_ += kInterval;
    cumulative_ += static_cast<std::int32_t>(std::lround(loss * kInterval));
    return current();
  }
  // The figures of the last report again, for a viewer's first.
  ReceiverFigures current() const {
    ReceiverFigures figures;
    figures.cumulative_lost = cumulative_;
    figures.highest_sequence = highest_;
    figures.jitter_ms = 1.0;
    return figures;
  }
  // `report(*viewer, figures)` with the current figures for each viewer not started yet.
  template <typename Viewers, typename Report>
  void start(const Viewers& viewers, Report report) {
    for (auto* viewer : viewers)
      if (started_.insert(viewer).second) report(*viewer, current());
  }

 private:
  std::set<const void*> started_;
  std::uint32_t highest_ = 0;
  std::int32_t cumulative_ = 0;
};

}  // namespace callcast::media
