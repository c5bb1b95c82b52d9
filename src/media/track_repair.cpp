#include "media/track_repair.hpp"

#include <algorithm>
#include <bitset>
#include <charconv>

namespace callcast::media {

std::vector<TrackRepair> make_track_repairs(const std::vector<TrackRelay>& tracks,
                                            const RepairLimits& limits) {
  const bool repair_on = limits.window > Clock::duration::zero();
  std::bitset<128> taken;
  for (const auto& track : tracks) {
    for (const auto& format : track.description().description.formats) {
      unsigned pt = 0;
      const auto [end, error] = std::from_chars(format.data(), format.data() + format.size(), pt);
      if (error == std::errc{} && end == format.data() + format.size() && pt < 128) taken.set(pt);
    }
  }
  std::vector<std::uint32_t> ssrcs;
  for (const auto& track : tracks)
    ssrcs.push_back(track.out_ssrc());

  std::vector<TrackRepair> repairs;
  repairs.reserve(tracks.size());
  for (const auto& track : tracks) {
    std::optional<std::uint8_t> rtx_pt;
    // Audio too: a player measures its round trip (and so when to ask again) only from RTX
    // answers, and an audio packet resent as the original leaves it re-asking blindly.
    if (repair_on) {
      for (unsigned pt = 96; pt < 128 && !rtx_pt; ++pt) {
        if (!taken.test(pt)) {
          rtx_pt = static_cast<std::uint8_t>(pt);
          taken.set(pt);
        }
      }
    }
    // RFC 4588 §8.3: SSRC multiplexing needs a retransmission SSRC of its own.
    std::uint32_t rtx_ssrc = track.out_ssrc() ^ 0x52545821U;  // "RTX!"
    while (std::find(ssrcs.begin(), ssrcs.end(), rtx_ssrc) != ssrcs.end())
      ++rtx_ssrc;
    ssrcs.push_back(rtx_ssrc);
    repairs.emplace_back(limits.window, limits.max_ring_packets, rtx_pt, rtx_ssrc);
  }
  return repairs;
}

}  // namespace callcast::media
