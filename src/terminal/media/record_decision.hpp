#pragma once
// When the viewer's recording starts (step 714). A muxer writes its header from the caps of
// every stream and takes no stream after that, so the recorder holds each stream until every
// stream the SDP announced has its caps, and only then starts the file. A stream that is slow
// to come (a loaded machine, a late first audio packet) must still be in the file, so the wait
// is long; it is bounded because a stream announced in the SDP may never send. The decision
// never holds up the picture: the streams are decoded while the recording waits.
//
// Main loop thread only (its timer fires there).
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>

#include "core/time_source.hpp"

namespace callcast::terminal {

class RecordDecision {
 public:
  // What the recorder holds when asked.
  struct Holding {
    std::size_t streams = 0;    // held, one per medium rtspsrc has exposed
    std::size_t with_caps = 0;  // of those, the ones whose caps are known
    bool all_exposed = false;   // rtspsrc has a pad for every stream it set up (no-more-pads)
    // Media the SDP announced that the viewer takes. rtspsrc's no-more-pads alone is not enough:
    // it may come from the thread of the last stream while another stream's pad-added is still
    // building its chain, and a decision then left that stream (the audio) out of the file.
    std::size_t announced = 0;
  };

  // `limit`: how long after the first held stream to wait for the others; `decide` runs once,
  // when every stream is ready, when the limit passes, or on force().
  RecordDecision(core::TimerFactory& timers, std::chrono::milliseconds limit,
                 std::function<void()> decide);

  // Something changed (a pad, a caps event, no-more-pads): decides now if every announced stream
  // is held with its caps, else starts the limit at the first held stream.
  void update(const Holding& holding);
  // Decides now with what is there (the viewer stops).
  void force();
  bool decided() const { return decided_; }

 private:
  void decide();

  std::chrono::milliseconds limit_;
  std::function<void()> decide_;
  std::unique_ptr<core::Timer> timer_;
  bool decided_ = false;
};

}  // namespace callcast::terminal
