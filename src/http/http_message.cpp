#include "http/http_message.hpp"

#include <algorithm>
#include <utility>

namespace callcast::http {

namespace {

char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return ascii_lower(x) == ascii_lower(y);
         });
}

std::optional<std::string_view> Request::header(std::string_view name) const {
  for (const Header& h : headers) {
    if (iequals(h.name, name)) return std::string_view(h.value);
  }
  return std::nullopt;
}

std::string_view Request::param(std::string_view name) const {
  const auto it = params.find(name);
  return it == params.end() ? std::string_view() : std::string_view(it->second);
}

Response Response::json(int status, std::string body) {
  Response response;
  response.status = status;
  response.body = std::move(body);
  response.set_header("Content-Type", "application/json");
  return response;
}

Response Response::empty(int status) {
  Response response;
  response.status = status;
  return response;
}

Response& Response::set_header(std::string name, std::string value) {
  for (Header& h : headers) {
    if (iequals(h.name, name)) {
      h.value = std::move(value);
      return *this;
    }
  }
  headers.push_back({std::move(name), std::move(value)});
  return *this;
}

}  // namespace callcast::http
