#pragma once
// Answers a viewer's generic NACK (RFC 4585 §6.2.1) from its track's retransmission ring (module
// 608): each lost packet still in the window is resent to that viewer only, within its budget,
// through the media loop's own DatagramBatcher (the one datagram send path, never a fan-out
// worker's), as an RFC 4588 RTX packet when the viewer negotiated it, else as the original.
#include <array>
#include <cstdint>
#include <functional>
#include <vector>

#include "media/datagram_batcher.hpp"
#include "media/gop_cache.hpp"
#include "media/repair_counters.hpp"
#include "media/track_repair.hpp"
#include "media/viewer.hpp"
#include "rtp/generic_nack.hpp"

namespace callcast::media {

class NackResponder {
 public:
  // `out` sends on the server's RTP port (the viewer expects repairs from where its RTP comes)
  // and outlives this object.
  explicit NackResponder(DatagramBatcher& out);

  // Where the packets of one track come from: its ring and, for a viewer that joined within the
  // window, the GOP cache it was sent at its PLAY (older than the window by relay time, but as
  // new to it as live packets, and the join burst is where a lossy path loses most).
  struct Source {
    const TrackRepair& repair;
    const GopCache& gop;
    double bitrate_bps;  // the track's current rate: the budget is a share of it
  };

  // Told of each packet a NACK named: whether it went (or a repair of it is on its way).
  using Answered = std::function<void(std::uint16_t sequence, bool resent)>;

  // `nack` is about `track` of `viewer` (matched by media SSRC). Sends before returning.
  void respond(Viewer& viewer, std::size_t track, const rtp::GenericNack& nack,
               const Source& source, const RepairLimits& limits, Clock::time_point now,
               RepairCounters& group, const Answered& answered = {});

 private:
  enum class Outcome { repaired, missed, capped, repeated };
  // Queues a repair for `viewer`: as it is, or protected for a WebRTC viewer (a copy).
  void send(Viewer& viewer, const UdpEndpoint& to, const SharedPacket& packet);
  void send(Viewer& viewer, const UdpEndpoint& to, rtp::Bytes bytes);
  Outcome resend(Viewer& viewer, std::size_t track, std::uint16_t sequence, const Source& source,
                 const RepairLimits& limits, Clock::time_point now);
  static SharedPacket find(const Viewer& viewer, std::size_t track, std::uint16_t sequence,
                           const Source& source, const RepairLimits& limits, Clock::time_point now);
  // Room for one RTX packet of `size` bytes in arena_, flushing what is queued when it is full.
  rtp::MutableBytes rtx_room(std::size_t size);

  DatagramBatcher& out_;
  // RTX packets are built here and sent from here (enqueue() does not copy): a NACK names at most
  // 1088 packets, far more than fit, so a full arena is flushed and reused.
  std::vector<std::uint8_t> arena_;
  std::size_t arena_used_ = 0;
};

}  // namespace callcast::media
