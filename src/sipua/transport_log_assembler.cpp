#include "sipua/transport_log_assembler.hpp"

#include <string>

namespace callcast::sipua {
namespace {

constexpr std::string_view kSeparator =
    "------------------------------------------------------------------------";

// The stamp: "(send|sent|recv) N bytes (to|from) PROTO/[ADDR]:PORT... at HH:MM:SS.UUUUUU:\n".
// Returns the length of the stamp line (with its '\n') or 0 when `s` does not start with one.
std::size_t stamp_length(std::string_view s, Direction& direction) {
  if (s.starts_with("send ") || s.starts_with("sent ")) {
    direction = Direction::sent;
  } else if (s.starts_with("recv ")) {
    direction = Direction::received;
  } else {
    return 0;
  }
  std::size_t i = 5;
  const std::size_t digits = i;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9')
    ++i;
  if (i == digits) return 0;
  const std::string_view rest = s.substr(i);
  if (!rest.starts_with(" bytes to ") && !rest.starts_with(" bytes from ")) return 0;
  const std::size_t eol = s.find('\n', i);
  if (eol == std::string_view::npos) return 0;
  const std::string_view line = s.substr(0, eol);
  if (line.find("/[") == std::string_view::npos || line.find(" at ") == std::string_view::npos ||
      !line.ends_with(":")) {
    return 0;
  }
  return eol + 1;
}

// The logged lines without the separators and the three spaces of indentation.
std::string unindent(std::string_view body) {
  std::string text;
  text.reserve(body.size());
  std::size_t pos = 0;
  while (pos < body.size()) {
    std::size_t end = body.find('\n', pos);
    if (end == std::string_view::npos) end = body.size();
    std::string_view line = body.substr(pos, end - pos);
    pos = end + 1;
    if (line.starts_with("   ")) line.remove_prefix(3);
    if (line == kSeparator) continue;
    text.append(line);
    text += '\n';
  }
  return text;
}

bool is_closing_separator(std::string_view fragment) {
  while (!fragment.empty() && fragment.front() == '\n')
    fragment.remove_prefix(1);
  if (fragment.starts_with("   ")) fragment.remove_prefix(3);
  if (fragment.ends_with('\n')) fragment.remove_suffix(1);
  return fragment == kSeparator;
}

}  // namespace

TransportLogAssembler::Feed TransportLogAssembler::feed(std::string_view fragment) {
  if (!in_entry_) {
    Direction direction = Direction::sent;
    const std::size_t stamp = stamp_length(fragment, direction);
    if (stamp == 0) return {};
    direction_ = direction;
    body_.assign(fragment.substr(stamp));
    in_entry_ = true;
    // Newer sofia: the whole entry in one call, so anything past the opening separator means
    // the message is complete.
    const std::string_view rest = unindent(body_);
    if (!rest.empty()) return finish();
    return {true, std::nullopt};
  }
  // Debian's snapshot: the opening separator is in body_ already; the next separator closes.
  if (is_closing_separator(fragment) && !unindent(body_).empty()) return finish();
  body_.append(fragment);
  return {true, std::nullopt};
}

TransportLogAssembler::Feed TransportLogAssembler::finish() {
  in_entry_ = false;
  Feed result{true, WireMessage::parse(direction_, unindent(body_))};
  body_.clear();
  return result;
}

}  // namespace callcast::sipua
