#pragma once
// The track a SETUP URL's control suffix names.
#include <charconv>
#include <cstddef>
#include <optional>
#include <string_view>

namespace callcast::media {

// Track index from a control suffix we or common publishers produce: "trackID=1", "streamid=1",
// "stream=1", "track1".
inline std::optional<std::size_t> numbered_control(std::string_view control) {
  for (std::string_view prefix : {"trackID=", "streamid=", "stream=", "track"}) {
    if (!control.starts_with(prefix)) continue;
    const auto digits = control.substr(prefix.size());
    std::size_t value = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec == std::errc() && end == digits.data() + digits.size()) return value;
  }
  return std::nullopt;
}

}  // namespace callcast::media
