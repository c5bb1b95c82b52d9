// Fuzzes the RTSP request and response parsers (RFC 2326 §6, §7).
// Invariants: a complete message consumes no more than the input and parses the same from
// exactly its own bytes (nothing after it matters); a complete response serialises to bytes
// that parse back to the same status, reason, headers and body.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "rtsp/rtsp_message.hpp"

using namespace callcast::rtsp;

namespace {

template <class Message>
void check_framing(const ParseResult<Message>& result, std::string_view input,
                   ParseResult<Message> (*parse)(std::string_view, const ParserLimits&),
                   const ParserLimits& limits) {
  if (result.status == ParseStatus::need_more && result.consumed != 0) __builtin_trap();
  if (result.status == ParseStatus::error && result.error_status == 0) __builtin_trap();
  if (result.status != ParseStatus::complete) return;
  if (result.consumed == 0 || result.consumed > input.size()) __builtin_trap();
  if (result.consumed > limits.max_message_bytes) __builtin_trap();
  if (result.message.headers.size() > limits.max_headers) __builtin_trap();
  const auto alone = parse(input.substr(0, result.consumed), limits);
  if (alone.status != ParseStatus::complete || alone.consumed != result.consumed) {
    __builtin_trap();
  }
}

std::string_view effective_reason(const RtspResponse& response) {
  return response.reason.empty() ? reason_phrase(response.status)
                                 : std::string_view(response.reason);
}

void check_response_round_trip(const RtspResponse& response) {
  const auto bytes = response.serialize();
  ParserLimits roomy;
  roomy.max_message_bytes = bytes.size();
  roomy.max_headers = response.headers.size();
  const auto again = parse_response(bytes, roomy);
  if (again.status != ParseStatus::complete || again.consumed != bytes.size()) __builtin_trap();
  const auto& copy = again.message;
  if (copy.status != response.status || copy.version != response.version ||
      effective_reason(copy) != effective_reason(response) || copy.body != response.body ||
      copy.headers.size() != response.headers.size()) {
    __builtin_trap();
  }
  for (std::size_t i = 0; i < copy.headers.size(); ++i) {
    if (copy.headers[i].name != response.headers[i].name ||
        copy.headers[i].value != response.headers[i].value) {
      __builtin_trap();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  // The defaults, and tight limits so that inputs of fuzzer size reach the limit checks.
  ParserLimits tight;
  tight.max_message_bytes = 256;
  tight.max_headers = 4;
  for (const auto& limits : {ParserLimits{}, tight}) {
    const auto request = parse_request(input, limits);
    check_framing(request, input, &parse_request, limits);
    if (request.status == ParseStatus::complete) (void)request.message.cseq();

    const auto response = parse_response(input, limits);
    check_framing(response, input, &parse_response, limits);
    if (response.status == ParseStatus::complete) check_response_round_trip(response.message);
  }
  return 0;
}
