#pragma once
// The broadcaster's audience, told by the network side inside the master's dialog (RFC 6086
// INFO packages). The master's INVITE says it takes the package:
//
//   Recv-Info: callcast-audience
//
// and the network side then sends, whenever the number of viewers playing the group changes
// (at most one per second, the latest count wins, one outstanding at a time):
//
//   INFO sip:<master's contact> SIP/2.0
//   Info-Package: callcast-audience
//   Content-Type: application/vnd.callcast.audience+json
//
//   {"viewers":2}
//
// The terminal answers 200 (469 Bad Info Package for packages it does not take). Every name a
// client is written against lives here.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace callcast::sip {

inline constexpr std::string_view kAudiencePackage = "callcast-audience";
inline constexpr std::string_view kAudienceContentType = "application/vnd.callcast.audience+json";

// {"viewers":N}
std::string make_audience_body(std::size_t viewers);
// N from a body as above; nullopt for anything else (not JSON, no non-negative integer
// "viewers"). Other members are ignored, for later additions.
std::optional<std::size_t> read_audience_body(std::string_view body);

// Whether a Recv-Info value (RFC 6086 §5.2.3: a comma-separated list of package names, each
// maybe with ;parameters) names `package` (names compare case-insensitively).
bool recv_info_lists(std::string_view recv_info, std::string_view package);

}  // namespace callcast::sip
