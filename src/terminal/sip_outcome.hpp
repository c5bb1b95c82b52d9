#pragma once
// The one line a terminal's user reads when the network side refuses: built from the final
// response, its Warning (the network side's own words, sipwire/warning_text.hpp) and Retry-After.
// Pure functions, so every status the issue names is tested without a network.
#include <string>
#include <string_view>

#include "sipua/response.hpp"

namespace callcast::terminal {

// REGISTER failed: "wrong password for 1001, or no such user (403 Forbidden)".
std::string describe_register_failure(const sipua::Response& response, std::string_view number,
                                      std::string_view server);

// The INVITE to `target` got a final failure: "1001 is not broadcasting (480 Temporarily
// Unavailable)".
std::string describe_call_failure(const sipua::Response& response, std::string_view target,
                                  std::string_view server);

// Whether the response came from the user agent itself because the server never answered or
// could not be reached (sofia reports those as 408/503 without any header of the server's):
// then the line says "did not answer" (408) or "cannot be reached (refused or unreachable)"
// (503), never a status the server did not send.
bool is_local_failure(const sipua::Response& response);

}  // namespace callcast::terminal
