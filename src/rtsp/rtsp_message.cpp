// RTSP/1.0 message framing (RFC 2326 §4, §6, §7), which borrows HTTP/1.1's:
//
//   SETUP rtsp://h:8554/groups/G/trackID=1 RTSP/1.0 CRLF   Method SP Request-URI SP RTSP-Version
//   RTSP/1.0 200 OK CRLF                                   RTSP-Version SP Status-Code SP Reason
//   CSeq: 3 CRLF                                           field-name ":" OWS field-value OWS
//   Content-Length: 460 CRLF
//   CRLF                                                   end of the header section
//   <Content-Length bytes of body>                         no Content-Length: no body
//
// Lines may end in LF alone. A header line starting with SP or HT continues the previous one
// (RFC 2616 §2.2 LWS); it is folded into that value with one space, as RFC 7230 §3.2.4 allows a
// recipient to do. Empty lines before a start line are skipped (RFC 7230 §3.5) and counted in
// `consumed`.
#include "rtsp/rtsp_message.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "rtsp/text.hpp"

namespace callcast::rtsp {
namespace {

constexpr std::string_view kSupportedVersion = "RTSP/1.0";

// RFC 2326 §7.1.1, in the table's order.
constexpr std::pair<int, std::string_view> kReasonPhrases[] = {
    {100, "Continue"},
    {200, "OK"},
    {201, "Created"},
    {250, "Low on Storage Space"},
    {300, "Multiple Choices"},
    {301, "Moved Permanently"},
    {302, "Moved Temporarily"},
    {303, "See Other"},
    {304, "Not Modified"},
    {305, "Use Proxy"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {402, "Payment Required"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {406, "Not Acceptable"},
    {407, "Proxy Authentication Required"},
    {408, "Request Timeout"},
    {410, "Gone"},
    {411, "Length Required"},
    {412, "Precondition Failed"},
    {413, "Request Entity Too Large"},
    {414, "Request-URI Too Large"},
    {415, "Unsupported Media Type"},
    {451, "Parameter Not Understood"},
    {452, "Conference Not Found"},
    {453, "Not Enough Bandwidth"},
    {454, "Session Not Found"},
    {455, "Method Not Valid in This State"},
    {456, "Header Field Not Valid for Resource"},
    {457, "Invalid Range"},
    {458, "Parameter Is Read-Only"},
    {459, "Aggregate Operation Not Allowed"},
    {460, "Only Aggregate Operation Allowed"},
    {461, "Unsupported Transport"},
    {462, "Destination Unreachable"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
    {505, "RTSP Version Not Supported"},
    {551, "Option not supported"},
};

// Reads LF-terminated lines from the part of the buffer a message may occupy.
class LineReader {
 public:
  explicit LineReader(std::string_view window) : window_(window) {}

  // The next complete line without its LF or CR LF; nullopt when no LF has arrived yet.
  std::optional<std::string_view> next() {
    const auto lf = window_.find('\n', position_);
    if (lf == std::string_view::npos) return std::nullopt;
    auto line = window_.substr(position_, lf - position_);
    position_ = lf + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
  }
  std::size_t position() const { return position_; }
  std::string_view rest() const { return window_.substr(position_); }

 private:
  std::string_view window_;
  std::size_t position_ = 0;
};

enum class StartLineVerdict { ok, wrong_version, malformed };

struct StartLineOutcome {
  StartLineVerdict verdict = StartLineVerdict::ok;
  std::string error;
};

StartLineOutcome malformed(std::string why) {
  return {StartLineVerdict::malformed, std::move(why)};
}

// Shaped like a protocol version ("RTSP/2.0", "HTTP/1.1") without being RTSP/1.0: answered with
// 505 rather than 400, since the client did speak a versioned protocol.
bool looks_like_version(std::string_view version) {
  const auto slash = version.find('/');
  if (slash == std::string_view::npos || !text::is_token(version.substr(0, slash))) return false;
  const auto numbers = version.substr(slash + 1);
  const auto dot = numbers.find('.');
  if (dot == std::string_view::npos) return false;
  return text::parse_decimal(numbers.substr(0, dot), 999).has_value() &&
         text::parse_decimal(numbers.substr(dot + 1), 999).has_value();
}

StartLineOutcome check_version(std::string_view version) {
  if (version == kSupportedVersion) return {};
  if (looks_like_version(version)) {
    return {StartLineVerdict::wrong_version,
            "version " + std::string(version) + " is not supported, only RTSP/1.0"};
  }
  return malformed("start line has no RTSP version");
}

StartLineOutcome parse_start_line(std::string_view line, RtspRequest& request) {
  const auto first_space = line.find(' ');
  const auto last_space = line.rfind(' ');
  if (first_space == std::string_view::npos || first_space == last_space) {
    return malformed("request line is not 'METHOD URI RTSP/1.0'");
  }
  const auto method = line.substr(0, first_space);
  const auto uri = line.substr(first_space + 1, last_space - first_space - 1);
  const auto version = line.substr(last_space + 1);
  if (!text::is_token(method)) return malformed("method is not a token");
  // A URI is visible characters only; this also rejects a second space inside the line.
  if (uri.empty() ||
      std::any_of(uri.begin(), uri.end(), [](char c) { return c == ' ' || text::is_control(c); })) {
    return malformed("request URI is empty or has spaces or control characters");
  }
  request.method = method;
  request.uri = uri;
  request.version = version;
  return check_version(version);
}

StartLineOutcome parse_start_line(std::string_view line, RtspResponse& response) {
  const auto space = line.find(' ');
  const auto version = line.substr(0, space);
  if (space == std::string_view::npos) return malformed("status line has no status code");
  const auto rest = line.substr(space + 1);
  const auto code = rest.substr(0, 3);
  if (code.size() != 3 || !std::all_of(code.begin(), code.end(), text::is_digit) ||
      code[0] == '0' || (rest.size() > 3 && rest[3] != ' ')) {
    return malformed("status code is not three digits");
  }
  const auto reason = text::trim(rest.substr(std::min<std::size_t>(rest.size(), 4)));
  if (std::any_of(reason.begin(), reason.end(),
                  [](char c) { return c != '\t' && text::is_control(c); })) {
    return malformed("reason phrase has control characters");
  }
  response.version = version;
  response.status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
  response.reason = reason;
  return check_version(version);
}

// Whether bytes of a start line whose LF has not arrived yet can still become a valid one, so
// that binary garbage is refused at once instead of after max_message_bytes.
bool plausible_partial_start_line(std::string_view partial) {
  if (partial.empty()) return true;
  if (!text::is_token_char(partial.front())) return false;
  for (std::size_t i = 0; i < partial.size(); ++i) {
    const char c = partial[i];
    const bool cr_before_lf = c == '\r' && i + 1 == partial.size();
    if (text::is_control(c) && c != '\t' && !cr_before_lf) return false;
  }
  return true;
}

bool valid_field_value(std::string_view value) {
  return std::none_of(value.begin(), value.end(),
                      [](char c) { return c != '\t' && text::is_control(c); });
}

// Adds one header line (or folds a continuation line); returns why the line is bad, "" if not.
std::string add_header_line(std::string_view line, std::vector<Header>& headers) {
  if (line.front() == ' ' || line.front() == '\t') {
    if (headers.empty()) return "continuation line before the first header";
    const auto more = text::trim(line);
    if (!valid_field_value(more)) return "header value has control characters";
    auto& value = headers.back().value;
    if (!more.empty()) {
      if (!value.empty()) value += ' ';
      value += more;
    }
    return {};
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return "header line without ':'";
  const auto name = line.substr(0, colon);
  if (!text::is_token(name)) return "header name is empty or not a token";
  const auto value = text::trim(line.substr(colon + 1));
  if (!valid_field_value(value)) return "header value has control characters";
  headers.push_back({std::string(name), std::string(value)});
  return {};
}

template <class Message>
ParseResult<Message> failure(ParseResult<Message>&& partial, int status, std::string why) {
  partial.status = ParseStatus::error;
  partial.error_status = status;
  partial.error = std::move(why);
  partial.consumed = 0;
  return std::move(partial);
}

std::string too_large(const ParserLimits& limits) {
  return "message exceeds " + std::to_string(limits.max_message_bytes) + " bytes";
}

template <class Message>
ParseResult<Message> parse_message(std::string_view buffer, const ParserLimits& limits) {
  ParseResult<Message> result;
  // Nothing of a message lies beyond max_message_bytes, so its header section must end inside
  // this window; once the buffer fills the window without one, waiting longer cannot help.
  const auto window = buffer.substr(0, std::min(buffer.size(), limits.max_message_bytes));
  const bool window_full = buffer.size() >= limits.max_message_bytes;
  LineReader reader(window);

  std::optional<std::string_view> line;
  do {
    line = reader.next();
  } while (line && line->empty());
  if (!line) {
    if (!plausible_partial_start_line(reader.rest())) {
      return failure(std::move(result), 400, "start line has binary or control characters");
    }
    if (window_full) return failure(std::move(result), 413, too_large(limits));
    return {};
  }
  auto start = parse_start_line(*line, result.message);
  if (start.verdict == StartLineVerdict::malformed) {
    return failure(std::move(result), 400, std::move(start.error));
  }

  std::size_t header_lines = 0;
  while (true) {
    line = reader.next();
    if (!line) {
      if (window_full) return failure(std::move(result), 413, too_large(limits));
      return {};
    }
    if (line->empty()) break;
    const bool continuation = line->front() == ' ' || line->front() == '\t';
    if (!continuation && ++header_lines > limits.max_headers) {
      return failure(std::move(result), 400,
                     "more than " + std::to_string(limits.max_headers) + " headers");
    }
    auto why = add_header_line(*line, result.message.headers);
    if (!why.empty()) return failure(std::move(result), 400, std::move(why));
  }
  const std::size_t header_bytes = reader.position();

  std::size_t body_bytes = 0;
  bool seen_length = false;
  for (const auto& header : result.message.headers) {
    if (!text::iequals(header.name, "Content-Length")) continue;
    // Two lengths could frame the message two ways (request smuggling): refuse.
    if (seen_length) return failure(std::move(result), 400, "more than one Content-Length");
    seen_length = true;
    const auto& value = header.value;
    if (value.empty() || !std::all_of(value.begin(), value.end(), text::is_digit)) {
      return failure(std::move(result), 400, "Content-Length is not a decimal number");
    }
    const auto length = text::parse_decimal(value, limits.max_message_bytes - header_bytes);
    if (!length) return failure(std::move(result), 413, too_large(limits));
    body_bytes = static_cast<std::size_t>(*length);
  }
  if (buffer.size() - header_bytes < body_bytes) return {};

  result.message.body = buffer.substr(header_bytes, body_bytes);
  result.consumed = header_bytes + body_bytes;
  if (start.verdict == StartLineVerdict::wrong_version) {
    // Framed completely, so the caller can answer 505 with the CSeq and go on reading.
    result.status = ParseStatus::error;
    result.error_status = 505;
    result.error = std::move(start.error);
    return result;
  }
  result.status = ParseStatus::complete;
  return result;
}

// A header value must not end the line it is written on, whoever built it.
void append_single_line(std::string& out, std::string_view s) {
  for (const char c : s) {
    out += (c == '\r' || c == '\n') ? ' ' : c;
  }
}

void append_header(std::string& out, std::string_view name, std::string_view value) {
  append_single_line(out, name);
  out += ": ";
  append_single_line(out, value);
  out += "\r\n";
}

}  // namespace

std::optional<std::string_view> find_header(const std::vector<Header>& headers,
                                            std::string_view name) {
  for (const auto& header : headers) {
    if (text::iequals(header.name, name)) return header.value;
  }
  return std::nullopt;
}

std::optional<std::uint32_t> RtspRequest::cseq() const {
  const auto value = header("CSeq");
  if (!value) return std::nullopt;
  const auto number = text::parse_decimal(*value, UINT32_MAX);
  if (!number) return std::nullopt;
  return static_cast<std::uint32_t>(*number);
}

std::string RtspResponse::serialize() const {
  std::string out;
  out.reserve(128 + body.size());
  append_single_line(out, version);
  out += ' ';
  out += std::to_string(status);
  out += ' ';
  append_single_line(out, reason.empty() ? reason_phrase(status) : std::string_view(reason));
  out += "\r\n";
  const auto body_length = std::to_string(body.size());
  bool wrote_length = false;
  for (const auto& header : headers) {
    if (!text::iequals(header.name, "Content-Length")) {
      append_header(out, header.name, header.value);
      continue;
    }
    // The caller's Content-Length keeps its place and spelling, but never lies or repeats.
    if (wrote_length) continue;
    wrote_length = true;
    const bool right = text::parse_decimal(header.value, UINT64_MAX) == body.size();
    append_header(out, header.name, right ? std::string_view(header.value) : body_length);
  }
  if (!wrote_length && !body.empty()) append_header(out, "Content-Length", body_length);
  out += "\r\n";
  out += body;
  return out;
}

std::string_view reason_phrase(int status) {
  for (const auto& [code, phrase] : kReasonPhrases) {
    if (code == status) return phrase;
  }
  return "Unknown";
}

ParseResult<RtspRequest> parse_request(std::string_view buffer, const ParserLimits& limits) {
  return parse_message<RtspRequest>(buffer, limits);
}

ParseResult<RtspResponse> parse_response(std::string_view buffer, const ParserLimits& limits) {
  return parse_message<RtspResponse>(buffer, limits);
}

}  // namespace callcast::rtsp
