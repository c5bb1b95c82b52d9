#pragma once
// Random identifiers for protocol fields that must not repeat across processes and runs
// (SIP Call-ID prefixes, digest cnonces): 64 bits from the OS's entropy, as 16 hex digits.
#include <string>

namespace callcast::core {

std::string random_hex_id();

}  // namespace callcast::core
