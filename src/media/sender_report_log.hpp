#pragma once
// The sender reports the relay sent on one track, kept just long enough to turn a viewer's
// receiver report into a round-trip time (RFC 3550 §6.4.1): the report names our SR by the middle
// 32 bits of its NTP timestamp (LSR) and says how long it held it (DLSR, 1/65536 s), so
//   round trip = arrival of the RR - when that SR left - DLSR.
// A few reports back are enough: players report every few seconds, the relay sends an SR per
// publisher SR (about every 5 s) and on each PLAY.
#include <array>
#include <cstdint>
#include <optional>

#include "media/relay_packet.hpp"

namespace callcast::media {

class SenderReportLog {
 public:
  static constexpr std::size_t kKept = 8;

  // `ntp_timestamp`: the 64-bit NTP timestamp of the SR that left at `at`.
  void sent(std::uint64_t ntp_timestamp, Clock::time_point at);
  // nullopt: LSR 0 (no SR received yet), an SR not (or no longer) in the log, or a result below
  // zero (a lying DLSR).
  std::optional<Clock::duration> round_trip(std::uint32_t last_sr,
                                            std::uint32_t delay_since_last_sr,
                                            Clock::time_point now) const;

 private:
  struct Entry {
    std::uint32_t compact = 0;
    Clock::time_point at{};
  };
  std::array<Entry, kKept> entries_{};
  std::size_t count_ = 0;
  std::size_t next_ = 0;
};

}  // namespace callcast::media
