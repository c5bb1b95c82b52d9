#pragma once
// What a group does about its viewers' paths (issue 12 item 4, [0091] "controlling the sending
// bitrate and providing QoS", module 608): one published stream serves every viewer, so its rate
// is a group decision.
//   - When at least `congested_share` of the viewers that report are congested, the publisher is
//     asked for less: the target drops by `decrease_factor`, at most once per `decrease_every`,
//     never below `min_bps`.
//   - When none is congested and the group has been clear for `increase_after`, the target climbs
//     back by `increase_factor` per `increase_every`, up to the rate the publisher started with.
//   - A minority of congested viewers does not drag the rest down: a viewer congested for
//     `thin_after` while the group is not lowering for it is thinned (sent keyframes and audio
//     only) until it has been clear for `unthin_after`, twice that after its second thinning, and
//     so on up to `unthin_after_max`: a path that recovers only while thinned (it cannot carry
//     the full rate) is tried again less and less often instead of flapping.
// Pure logic: the caller passes the time and the viewers' verdicts.
#include <cstdint>
#include <optional>

#include "media/relay_packet.hpp"
#include "media/viewer_health.hpp"

namespace callcast::media {

struct RatePolicySettings {
  double congested_share = 0.5;
  double decrease_factor = 0.85;
  double increase_factor = 1.10;
  Clock::duration decrease_every = std::chrono::seconds(1);
  Clock::duration increase_after = std::chrono::seconds(3);
  Clock::duration increase_every = std::chrono::seconds(2);
  std::uint64_t min_bps = 150'000;
  Clock::duration thin_after = std::chrono::seconds(2);
  Clock::duration unthin_after = std::chrono::seconds(3);
  Clock::duration unthin_after_max = std::chrono::seconds(24);
};

// The verdicts of the group's viewers that have reported. Thinned viewers are not counted: they
// get keyframes and audio only, and their own recovery unthins them.
struct GroupPaths {
  std::size_t reporting = 0;
  std::size_t congested = 0;
  std::size_t clear = 0;
  // Those not judged yet included: the share congested is of these (at least of `reporting`),
  // so that the first viewer to report on a bad path is not the whole group.
  std::size_t viewers = 0;
};

class GroupRatePolicy {
 public:
  explicit GroupRatePolicy(RatePolicySettings settings = {}) : settings_(settings) {}

  // The publisher's own rate (measured, or announced): the ceiling, and where the target starts.
  void set_ceiling(std::uint64_t bps);
  // A new target to request from the publisher (REMB/TMMBR), or nothing to change.
  std::optional<std::uint64_t> evaluate(const GroupPaths& paths, Clock::time_point now);
  // Whether this viewer should be thinned now (`thinned`: whether it is; `times_thinned`: how
  // often it was, this time included).
  bool thin(const ViewerHealth& health, bool thinned, std::uint64_t times_thinned,
            Clock::time_point now) const;

  std::optional<std::uint64_t> target_bps() const { return target_; }
  std::uint64_t ceiling_bps() const { return ceiling_; }
  bool lowering() const { return lowering_; }
  std::uint64_t decreases() const { return decreases_; }
  std::uint64_t increases() const { return increases_; }
  const RatePolicySettings& settings() const { return settings_; }

 private:
  std::optional<std::uint64_t> change_to(double bps, Clock::time_point now);

  RatePolicySettings settings_;
  std::uint64_t ceiling_ = 0;
  std::optional<std::uint64_t> target_;  // none until the first request
  bool lowering_ = false;                // the last evaluation found the group congested
  Clock::time_point last_change_{};
  bool changed_any_ = false;
  std::optional<Clock::time_point> clear_since_;
  std::uint64_t decreases_ = 0;
  std::uint64_t increases_ = 0;
};

}  // namespace callcast::media
