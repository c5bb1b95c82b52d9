#include "sip/forwarding_route.hpp"

#include <algorithm>

namespace callcast::sip {

ForwardingRoute resolve_forwarding(std::string_view dialled, std::string_view service_number,
                                   const RouteLookups& lookups, std::size_t max_hops) {
  ForwardingRoute route;
  std::string number(dialled);
  for (std::size_t hops = 0;; ++hops) {
    route.number = number;
    route.chain.push_back(number);
    if (!lookups.user_exists(number)) {
      route.kind = RouteKind::unknown_number;
      return route;
    }
    std::string error;
    auto target = lookups.target_of(number, error);
    if (!error.empty()) {
      route.kind = RouteKind::lookup_failed;
      route.detail = std::move(error);
      return route;
    }
    if (!target) {
      route.kind = RouteKind::not_forwarded;
      return route;
    }
    if (*target == service_number) {
      route.kind = RouteKind::broadcast;
      return route;
    }
    if (std::find(route.chain.begin(), route.chain.end(), *target) != route.chain.end()) {
      route.kind = RouteKind::loop;
      route.chain.push_back(*target);
      return route;
    }
    if (hops >= max_hops) {
      route.kind = RouteKind::too_many_hops;
      return route;
    }
    number = std::move(*target);
  }
}

}  // namespace callcast::sip
