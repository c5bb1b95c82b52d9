#pragma once
// Where a call to an ordinary number ends up (steps 710-711): follow the number's unconditional
// forwarding (3GPP TS 24.604 CDIV) hop by hop until it reaches the service number, a number that
// does not forward, a loop, or the hop limit. Pure logic over two lookups, so each outcome is
// tested without a SIP stack.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace callcast::sip {

enum class RouteKind {
  broadcast,       // `number` forwards to the service number: watch its group
  not_forwarded,   // `number` exists and does not forward (480)
  unknown_number,  // `number` is nobody's (404)
  loop,            // the chain comes back to a number already on it (482)
  too_many_hops,   // longer than the hop limit (483)
  lookup_failed,   // the forwarding store failed (500)
};

struct ForwardingRoute {
  RouteKind kind = RouteKind::unknown_number;
  std::string number;              // the last number reached
  std::vector<std::string> chain;  // every number visited, the dialled one first
  std::string detail;              // the store's error for lookup_failed
};

struct RouteLookups {
  std::function<bool(std::string_view number)> user_exists;
  // The unconditional target of `number`: nullopt when it has none; an error text on failure.
  std::function<std::optional<std::string>(std::string_view number, std::string& error)> target_of;
};

inline constexpr std::size_t kMaxForwardingHops = 5;

ForwardingRoute resolve_forwarding(std::string_view dialled, std::string_view service_number,
                                   const RouteLookups& lookups,
                                   std::size_t max_hops = kMaxForwardingHops);

}  // namespace callcast::sip
