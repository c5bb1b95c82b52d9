#pragma once
// A response of the network side, as the call logic hands it to the SIP stack's adapter: the
// status line and the few headers it ever sets (values ready for the wire). Empty fields are
// left out of the message.
#include <string>
#include <vector>

namespace callcast::sip {

struct SipAnswer {
  int status = 0;
  // A string literal: sofia's nua_respond keeps the pointer, not a copy, until it sends.
  const char* phrase = "";
  std::string warning;  // a Warning header value (make_warning_value)
  int retry_after_s = 0;
  std::vector<std::string> www_authenticate;  // one header per challenge, in order
  std::string min_expires;
  std::string accept;
  std::string contact;
  std::string call_info;
  std::string content_type;  // with it, `body` goes as the payload (even when empty)
  std::string body;
};

}  // namespace callcast::sip
