#pragma once
// The Warning header (RFC 3261 §20.43) through which the network side says why it refused a call
// ("480 ... Warning: 399 callcast \"13800000001 is not broadcasting\""), and how a terminal reads
// the text back to show its user one clear line. Both directions live here so they agree.
#include <string>
#include <string_view>

namespace callcast::sip {

inline constexpr std::string_view kWarningAgent = "callcast";

// `399 callcast "<text>"`, with quotes and backslashes escaped and line breaks dropped.
std::string make_warning_value(std::string_view text);

// The warn-text of the first warning-value of a Warning header value, unescaped; empty when the
// value does not hold a well-formed quoted text. Never reads past `value`.
std::string warning_text(std::string_view value);

}  // namespace callcast::sip
