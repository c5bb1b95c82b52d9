#include "media/sender_report_log.hpp"

namespace callcast::media {

void SenderReportLog::sent(std::uint64_t ntp_timestamp, Clock::time_point at) {
  entries_[next_] = {static_cast<std::uint32_t>(ntp_timestamp >> 16), at};
  next_ = (next_ + 1) % kKept;
  if (count_ < kKept) ++count_;
}

std::optional<Clock::duration> SenderReportLog::round_trip(std::uint32_t last_sr,
                                                           std::uint32_t delay_since_last_sr,
                                                           Clock::time_point now) const {
  if (last_sr == 0) return std::nullopt;
  // The newest entry first: an SR relayed twice with the same timestamp counts from its last send.
  for (std::size_t i = 0; i < count_; ++i) {
    const Entry& entry = entries_[(next_ + kKept - 1 - i) % kKept];
    if (entry.compact != last_sr) continue;
    const auto held = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(static_cast<double>(delay_since_last_sr) / 65536.0));
    const auto rtt = now - entry.at - held;
    if (rtt < Clock::duration::zero()) return std::nullopt;
    return rtt;
  }
  return std::nullopt;
}

}  // namespace callcast::media
