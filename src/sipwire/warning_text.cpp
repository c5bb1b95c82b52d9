#include "sipwire/warning_text.hpp"

#include <string>

namespace callcast::sip {

std::string make_warning_value(std::string_view text) {
  std::string quoted;
  quoted.reserve(text.size() + 2);
  for (const char c : text) {
    if (c == '"' || c == '\\') quoted.push_back('\\');
    if (c != '\r' && c != '\n') quoted.push_back(c);
  }
  return "399 " + std::string(kWarningAgent) + " \"" + quoted + "\"";
}

std::string warning_text(std::string_view value) {
  // warning-value = warn-code SP warn-agent SP warn-text; the text is the first quoted string.
  const std::size_t open = value.find('"');
  if (open == std::string_view::npos) return {};
  std::string text;
  for (std::size_t i = open + 1; i < value.size(); ++i) {
    const char c = value[i];
    if (c == '"') return text;
    if (c == '\\') {
      if (++i == value.size()) return {};  // an escape cut short
      text.push_back(value[i]);
      continue;
    }
    text.push_back(c);
  }
  return {};  // no closing quote
}

}  // namespace callcast::sip
