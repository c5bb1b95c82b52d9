#include "loadgen/http_reply.hpp"

#include <algorithm>
#include <cctype>

namespace callcast::loadgen {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

}  // namespace

std::optional<std::string> HttpReply::header(std::string_view name) const {
  for (const http::Header& h : headers) {
    if (iequals(h.name, name)) return h.value;
  }
  return std::nullopt;
}

std::vector<std::string> HttpReply::header_values(std::string_view name) const {
  std::vector<std::string> values;
  for (const http::Header& h : headers) {
    if (iequals(h.name, name)) values.push_back(h.value);
  }
  return values;
}

nlohmann::json HttpReply::json() const {
  return nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
}

std::string HttpReply::describe() const {
  if (status == 0) return "no HTTP response (" + error + ")";
  return std::to_string(status) + " " + body.substr(0, 2000);
}

}  // namespace callcast::loadgen
