#pragma once
// One SIP message as it crossed the wire (taken from sofia's transport log, see
// transport_log_tap.hpp), with the few header fields the message-sequence recorder needs.
//
// RFC 3261 §7: a start line, then headers "Name: value" (or compact forms "i:", "v:"), then an
// empty line and the body.
//   INVITE sip:777@127.0.0.1:5060 SIP/2.0        SIP/2.0 183 Session Progress
//   Via: SIP/2.0/UDP 127.0.0.1:40001;branch=...  Via: ...
//   Call-ID: ...   CSeq: 1 INVITE                 Call-ID: ...  CSeq: 1 INVITE   RSeq: 1
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace callcast::sipua {

enum class Direction { sent, received };

class WireMessage {
 public:
  // nullopt when `text` has no SIP start line or no CSeq (not a message the recorder can place).
  static std::optional<WireMessage> parse(Direction direction, std::string_view text);

  Direction direction() const { return direction_; }
  bool is_request() const { return status_ == 0; }
  const std::string& method() const { return method_; }  // request method, empty for responses
  int status() const { return status_; }                 // 0 for requests
  const std::string& start_line() const { return start_line_; }
  const std::string& call_id() const { return call_id_; }
  std::uint32_t cseq() const { return cseq_; }
  const std::string& cseq_method() const { return cseq_method_; }
  const std::string& text() const { return text_; }  // the whole message, lines ending in CRLF

  // The first value of header `name` (case-insensitive, compact forms accepted for Call-ID, Via,
  // Content-Type, Supported, Content-Length), trimmed; nullopt when absent.
  std::optional<std::string> header(std::string_view name) const;
  std::string body() const;

  // ">INVITE", "<BYE" for requests; "<183", "<200" for responses to INVITE, "<200 PRACK",
  // ">200 BYE" for responses to other methods. '>' is sent by us, '<' received.
  std::string label() const;
  // Same for a retransmission of this message (same start line, CSeq, RSeq and top Via branch).
  std::string retransmission_key() const;

  bool retransmission = false;  // set by MessageRecorder

 private:
  WireMessage() = default;

  Direction direction_ = Direction::sent;
  std::string method_;
  int status_ = 0;
  std::string start_line_;
  std::string call_id_;
  std::uint32_t cseq_ = 0;
  std::string cseq_method_;
  std::string text_;
};

}  // namespace callcast::sipua
