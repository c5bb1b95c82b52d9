#pragma once
// RTSP/1.0 messages (RFC 2326 §6, §7): requests parsed from a connection's buffered bytes under
// hard limits, responses built and serialised. No I/O here.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace callcast::rtsp {

struct Header {
  std::string name;
  std::string value;
};

struct ParserLimits {
  std::size_t max_message_bytes = std::size_t{16} * 1024;  // start line + headers + body
  std::size_t max_headers = 64;
};

// Case-insensitive header lookup shared by requests and responses.
std::optional<std::string_view> find_header(const std::vector<Header>& headers,
                                            std::string_view name);

struct RtspRequest {
  std::string method;   // as sent, e.g. "SETUP"
  std::string uri;      // "*" or an absolute rtsp:// URL (a bare path is accepted too)
  std::string version;  // "RTSP/1.0"
  std::vector<Header> headers;
  std::string body;

  std::optional<std::string_view> header(std::string_view name) const {
    return find_header(headers, name);
  }
  // The CSeq header as a number, nullopt when absent or not a number.
  std::optional<std::uint32_t> cseq() const;
};

struct RtspResponse {
  std::string version = "RTSP/1.0";
  int status = 200;
  std::string reason;  // empty: the standard phrase for `status`
  std::vector<Header> headers;
  std::string body;

  RtspResponse& add(std::string name, std::string value) {
    headers.push_back({std::move(name), std::move(value)});
    return *this;
  }
  std::optional<std::string_view> header(std::string_view name) const {
    return find_header(headers, name);
  }
  // Start line, headers, Content-Length when there is a body, blank line, body.
  std::string serialize() const;
};

// The standard reason phrase of RFC 2326 §7.1.1 ("Unknown" for others).
std::string_view reason_phrase(int status);

enum class ParseStatus { complete, need_more, error };

template <class Message>
struct ParseResult {
  ParseStatus status = ParseStatus::need_more;
  Message message;           // on error: what was read before it (the CSeq to echo, if any)
  std::size_t consumed = 0;  // bytes of the buffer the complete message used
  int error_status = 0;      // 400, 413 (too large), 431-like limits map to 400, 505 (version)
  std::string error;         // why, for the Warning header and the log
  // A 505 comes only once the whole message is buffered, with `consumed` set, so the connection
  // can answer it and go on; after any other error the stream cannot be framed any more.
};

// Parses one request from the start of `buffer` (which must not start with '$'). Lines end in
// CRLF or LF. Header names are tokens; values are trimmed; Content-Length bounds the body.
// A continuation line (leading SP or HT) is folded into the previous header's value with one
// space. Empty lines before the start line are skipped and counted in `consumed`.
ParseResult<RtspRequest> parse_request(std::string_view buffer, const ParserLimits& limits);
// The same for a response (used by clients: tests, benchmarks, the terminal).
ParseResult<RtspResponse> parse_response(std::string_view buffer, const ParserLimits& limits);

}  // namespace callcast::rtsp
