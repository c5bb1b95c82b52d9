#include "sipwire/audience_info.hpp"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

namespace callcast::sip {

std::string make_audience_body(std::size_t viewers) {
  return nlohmann::json{{"viewers", viewers}}.dump();
}

std::optional<std::size_t> read_audience_body(std::string_view body) {
  const auto parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) return std::nullopt;
  const auto viewers = parsed.find("viewers");
  if (viewers == parsed.end() || !viewers->is_number_unsigned()) return std::nullopt;
  return viewers->get<std::size_t>();
}

bool recv_info_lists(std::string_view recv_info, std::string_view package) {
  constexpr std::string_view blanks = " \t\r\n";
  while (!recv_info.empty()) {
    const auto comma = recv_info.find(',');
    std::string_view item = recv_info.substr(0, comma);
    recv_info.remove_prefix(comma == std::string_view::npos ? recv_info.size() : comma + 1);
    item = item.substr(0, item.find(';'));
    const auto first = item.find_first_not_of(blanks);
    if (first == std::string_view::npos) continue;
    item = item.substr(first, item.find_last_not_of(blanks) - first + 1);
    if (item.size() == package.size() &&
        std::equal(item.begin(), item.end(), package.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      return true;
    }
  }
  return false;
}

}  // namespace callcast::sip
