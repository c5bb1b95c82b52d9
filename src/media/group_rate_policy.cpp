#include "media/group_rate_policy.hpp"

#include <algorithm>
#include <cmath>

namespace callcast::media {

void GroupRatePolicy::set_ceiling(std::uint64_t bps) {
  ceiling_ = bps;
  if (target_ && *target_ > ceiling_) target_ = ceiling_;
}

std::optional<std::uint64_t> GroupRatePolicy::change_to(double bps, Clock::time_point now) {
  const double floor = static_cast<double>(std::min(settings_.min_bps, ceiling_));
  const auto next = static_cast<std::uint64_t>(
      std::llround(std::clamp(bps, floor, static_cast<double>(ceiling_))));
  if (target_ && next == *target_) return std::nullopt;
  target_ = next;
  last_change_ = now;
  changed_any_ = true;
  return target_;
}

std::optional<std::uint64_t> GroupRatePolicy::evaluate(const GroupPaths& paths,
                                                       Clock::time_point now) {
  if (ceiling_ == 0 || paths.reporting == 0) {
    lowering_ = false;
    clear_since_.reset();
    return std::nullopt;
  }
  const double current = static_cast<double>(target_.value_or(ceiling_));
  const double congested_share = static_cast<double>(paths.congested) /
                                 static_cast<double>(std::max(paths.reporting, paths.viewers));
  lowering_ = congested_share >= settings_.congested_share;
  if (lowering_) {
    clear_since_.reset();
    if (changed_any_ && now - last_change_ < settings_.decrease_every) return std::nullopt;
    auto changed = change_to(current * settings_.decrease_factor, now);
    if (changed) ++decreases_;
    return changed;
  }
  if (paths.clear < paths.reporting) {
    // A congested minority (about to be thinned) or viewers between clear and congested: the
    // rate stays where it is.
    clear_since_.reset();
    return std::nullopt;
  }
  if (!clear_since_) clear_since_ = now;
  if (!target_ || *target_ >= ceiling_) return std::nullopt;
  if (now - *clear_since_ < settings_.increase_after) return std::nullopt;
  if (now - last_change_ < settings_.increase_every) return std::nullopt;
  auto changed = change_to(current * settings_.increase_factor, now);
  if (changed) ++increases_;
  return changed;
}

bool GroupRatePolicy::thin(const ViewerHealth& health, bool thinned, std::uint64_t times_thinned,
                           Clock::time_point now) const {
  const auto held = now - health.verdict_since();
  if (!thinned) {
    // A group lowering its rate helps this viewer too: thinning it as well would be twice.
    return !lowering_ && health.verdict() == PathVerdict::congested && held >= settings_.thin_after;
  }
  auto wait = settings_.unthin_after;
  for (std::uint64_t n = 1; n < times_thinned && wait < settings_.unthin_after_max; ++n)
    wait *= 2;
  wait = std::min(wait, settings_.unthin_after_max);
  return !(health.verdict() == PathVerdict::clear && held >= wait);
}

}  // namespace callcast::media
