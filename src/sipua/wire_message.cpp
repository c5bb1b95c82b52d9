#include "sipua/wire_message.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <string>
#include <utility>

namespace callcast::sipua {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// RFC 3261 §7.3.3 compact header names.
std::string_view full_name(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 9> kCompact{{
      {"i", "Call-ID"},
      {"v", "Via"},
      {"c", "Content-Type"},
      {"k", "Supported"},
      {"l", "Content-Length"},
      {"f", "From"},
      {"t", "To"},
      {"m", "Contact"},
      {"e", "Content-Encoding"},
  }};
  for (const auto& [compact, full] : kCompact) {
    if (iequals(name, compact)) return full;
  }
  return name;
}

// Calls `visit(name, value)` for each header line of `text` (the part before the empty line).
template <class Visit>
void for_each_header(std::string_view text, Visit visit) {
  std::size_t pos = text.find('\n');  // skip the start line
  while (pos != std::string_view::npos && pos + 1 < text.size()) {
    const std::size_t begin = pos + 1;
    const std::size_t end = text.find('\n', begin);
    std::string_view line = text.substr(begin, end == std::string_view::npos ? end : end - begin);
    if (trim(line).empty()) return;  // end of headers
    const std::size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      if (visit(full_name(trim(line.substr(0, colon))), trim(line.substr(colon + 1)))) return;
    }
    pos = end;
  }
}

}  // namespace

std::optional<WireMessage> WireMessage::parse(Direction direction, std::string_view text) {
  WireMessage message;
  message.direction_ = direction;
  // Normalise line ends to CRLF so text() looks like the wire whatever the log did.
  message.text_.reserve(text.size() + 64);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') continue;
    if (text[i] == '\n') message.text_ += '\r';
    message.text_ += text[i];
  }
  const std::string_view all = message.text_;
  const std::string_view first = trim(all.substr(0, all.find('\n')));
  message.start_line_ = std::string(first);
  if (first.starts_with("SIP/2.0 ")) {
    std::string_view code = first.substr(8, 3);
    int status = 0;
    const auto [ptr, ec] = std::from_chars(code.data(), code.data() + code.size(), status);
    if (ec != std::errc() || ptr != code.data() + code.size() || status < 100 || status > 699) {
      return std::nullopt;
    }
    message.status_ = status;
  } else {
    const std::size_t space = first.find(' ');
    if (space == std::string_view::npos || space == 0 || !first.ends_with(" SIP/2.0")) {
      return std::nullopt;
    }
    message.method_ = std::string(first.substr(0, space));
  }
  bool have_cseq = false;
  for_each_header(all, [&](std::string_view name, std::string_view value) {
    if (iequals(name, "Call-ID") && message.call_id_.empty()) {
      message.call_id_ = std::string(value);
    } else if (iequals(name, "CSeq") && !have_cseq) {
      const std::size_t space = value.find(' ');
      if (space == std::string_view::npos) return false;
      const auto [ptr, ec] = std::from_chars(value.data(), value.data() + space, message.cseq_);
      if (ec != std::errc() || ptr != value.data() + space) return false;
      message.cseq_method_ = std::string(trim(value.substr(space + 1)));
      have_cseq = true;
    }
    return false;
  });
  if (!have_cseq || message.call_id_.empty()) return std::nullopt;
  return message;
}

std::optional<std::string> WireMessage::header(std::string_view name) const {
  std::optional<std::string> found;
  const std::string_view wanted = full_name(name);
  for_each_header(std::string_view(text_), [&](std::string_view n, std::string_view value) {
    if (!iequals(n, wanted)) return false;
    found = std::string(value);
    return true;
  });
  return found;
}

std::string WireMessage::body() const {
  const std::size_t end = text_.find("\r\n\r\n");
  return end == std::string::npos ? std::string() : text_.substr(end + 4);
}

std::string WireMessage::label() const {
  std::string label(1, direction_ == Direction::sent ? '>' : '<');
  if (is_request()) return label + method_;
  label += std::to_string(status_);
  if (cseq_method_ != "INVITE") label += " " + cseq_method_;
  return label;
}

std::string WireMessage::retransmission_key() const {
  std::string branch;
  if (auto via = header("Via")) {
    const std::size_t at = via->find("branch=");
    if (at != std::string::npos) branch = via->substr(at, via->find_first_of(";,", at) - at);
  }
  return label() + '|' + start_line_ + '|' + std::to_string(cseq_) + '|' +
         header("RSeq").value_or("") + '|' + branch;
}

}  // namespace callcast::sipua
