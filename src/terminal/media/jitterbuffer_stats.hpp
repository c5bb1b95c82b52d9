#pragma once
// The viewer's packet counts (received, lost, late) summed over every rtpjitterbuffer rtspsrc
// made, including those of a session it replaced when it retried over TCP: they are kept, so
// that their counts stay in the totals.
//
// Threading: add() from rtspsrc's signal (any thread), sample() from the main loop thread.
#include <gst/gst.h>

#include <cstdint>
#include <mutex>
#include <vector>

#include "terminal/media/gst_elements.hpp"

namespace callcast::terminal {

class JitterbufferStats {
 public:
  struct Counts {
    std::uint64_t received = 0;  // pushed on to the depayloader
    std::uint64_t lost = 0;
    std::uint64_t late = 0;  // arrived after their play-out time: thrown away
  };

  void add(GstElement* jitterbuffer);
  Counts sample() const;

 private:
  mutable std::mutex mutex_;
  std::vector<GstOwned<GstElement>> jitterbuffers_;  // guarded by mutex_
};

}  // namespace callcast::terminal
