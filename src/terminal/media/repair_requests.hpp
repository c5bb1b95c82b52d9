#pragma once
// How the viewer asks again for the packets the network lost (step 714; RFC 4585 generic NACK
// in early RTCP, answered with RFC 4588 retransmissions): settings of the RTP sessions rtspsrc's
// rtpbin makes, applied as each one gets its jitter buffer, and the early requests of a video
// jitter buffer's losses.
//
// rtpsession sends an early RTCP packet (a NACK) at most once per RTCP interval, an interval it
// derives from 5 % of the stream's own rate: about 20 ms for a 2 Mbit/s video, 0.4 s for a
// 100 kbit/s audio track. The audio's NACKs then mostly waited for a regular report (every 5 s):
// a quarter to a third of its lost packets stayed lost (loss bench, 5 % loss). The video's waited
// up to 20 ms for their slot, so that a retry could reach the server within its hold-off after
// the previous resend (then a fixed 40 ms; now half the round trip, media/resend_history.hpp),
// which it ignored: a retransmission lost twice then stayed lost, a damaged picture until the
// next keyframe. Every session gets kRtcpBitsPerSecond of
// RTCP instead, whatever its stream's rate: feedback leaves within about 5 ms, and regular
// reports keep their 5 s (rtcp-min-interval acts as RFC 4585's trr-int), so that the RTCP
// added is the feedback itself.
//
// Then the NACK left within a millisecond of the jitter buffer's request, and the request itself
// was late: see loss_detector.hpp. A video jitter buffer is watched: the packets entering it feed
// a LossDetector, whose requests go upstream as the jitter buffer's own do (a
// GstRTPRetransmissionRequest event, which rtpsession turns into a NACK); the jitter buffer's
// retries are timed from the round trip the detector measures.
//
// Threading: the detector is fed on the streaming thread, its tail timer fires on the watch's
// loop thread; a mutex serialises them.
#include <gst/gst.h>

#include <cstdint>
#include <memory>

namespace callcast::terminal {

class RepairRequests {
 public:
  // rtpsession's "rtcp-fraction" above 1 is an absolute bandwidth, in the unit of its automatic
  // one (5 % of the sender's bit rate).
  static constexpr double kRtcpBitsPerSecond = 400'000;

  // From rtpbin's "new-jitterbuffer" (after rtspsrc configured the session): configures
  // `session` of `rtpbin`.
  static void configure(GstElement* rtpbin, guint session);

  // Asks early for the lost packets of what enters `jitterbuffer` when it is video (other media
  // are left to the jitter buffer: an audio packet's marker bit starts a talkspurt, it does not
  // end a frame). `latency_ms` is the jitter buffer's: the deadline its requests carry. The
  // tail timer runs on `context` (null: the global default one). The watch lasts as long as the
  // returned object, which is destroyed on that context's thread.
  static std::unique_ptr<RepairRequests> watch(GstElement* jitterbuffer, unsigned latency_ms,
                                               GMainContext* context);

  ~RepairRequests();
  RepairRequests(const RepairRequests&) = delete;
  RepairRequests& operator=(const RepairRequests&) = delete;

  struct Counts {
    std::uint64_t gap_requests = 0;   // asked for when the packet after them arrived
    std::uint64_t tail_requests = 0;  // a frame's last packet, asked for after a silence
  };
  Counts counts() const;

  struct Watch;  // shared with the probes and the clock's callback

 private:
  explicit RepairRequests(std::shared_ptr<Watch> watch);
  std::shared_ptr<Watch> watch_;
};

}  // namespace callcast::terminal
