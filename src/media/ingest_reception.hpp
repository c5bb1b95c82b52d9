#pragma once
// The server as a receiver of one publisher track (step 709, RFC 3550 §6.4.2): what its receiver
// reports tell the publisher of the path to us. A browser publisher needs them: Chromium's
// send-side estimate (libwebrtc SendSideBandwidthEstimation) without transport-cc only moves on
// the loss they report; without any it stays at its start rate (300 kbit/s) for the whole
// broadcast, and the group's REMB can only lower it from there.
//
// Sequence numbers as RFC 3550 A.1 extends them (a jump past kMaxDropout is a restarted sender:
// counted from there, as a new source), loss as A.3 counts it (expected minus received,
// retransmissions after our NACKs counted received: the loss left after repair), interarrival
// jitter as A.8 (in RTP timestamp units), LSR/DLSR from the publisher's last sender report.
// Pure logic: the caller passes the arrival time.
#include <cstdint>
#include <optional>

#include "media/relay_packet.hpp"
#include "rtp/rtcp.hpp"

namespace callcast::media {

class IngestReception {
 public:
  explicit IngestReception(std::uint32_t clock_rate = 90000) : clock_rate_(clock_rate) {}

  void on_packet(std::uint32_t ssrc, std::uint16_t sequence, std::uint32_t rtp_timestamp,
                 Clock::time_point arrival);
  // The publisher's sender report for `ssrc` (its NTP timestamp), arrived at `arrival`.
  void on_sender_report(std::uint32_t ssrc, std::uint64_t ntp_timestamp, Clock::time_point arrival);
  // The report block for the interval since the last one (fraction lost is of that interval);
  // nullopt before any packet.
  std::optional<rtp::ReportBlock> report(Clock::time_point now);

  std::uint64_t received() const { return received_; }
  std::uint64_t expected() const;

 private:
  void restart(std::uint32_t ssrc, std::uint16_t sequence);

  std::uint32_t clock_rate_;
  std::optional<std::uint32_t> ssrc_;
  std::uint32_t base_sequence_ = 0;  // extended (cycles included), as max_sequence_
  std::uint32_t max_sequence_ = 0;
  std::uint64_t received_ = 0;
  std::uint64_t expected_prior_ = 0;
  std::uint64_t received_prior_ = 0;
  // A.8: the relative transit time of the last packet and the running estimate, in timestamp
  // units (the estimate kept unrounded).
  std::optional<std::int64_t> last_transit_;
  double jitter_ = 0;
  std::uint32_t last_sr_ = 0;  // the middle 32 bits of its NTP timestamp
  std::optional<Clock::time_point> last_sr_at_;
};

}  // namespace callcast::media
