#pragma once
// A SIP response as nua reported it, with the parts a caller of the user agent looks at.
#include <optional>
#include <string>
#include <vector>

namespace callcast::sipua {

struct Response {
  std::string method;  // the request it answers (CSeq method): "INVITE", "PRACK", "REGISTER"...
  int status = 0;      // nua also reports local failures this way (408 timeout, 503 transport)
  std::string phrase;
  std::string content_type;  // empty without a body
  std::string body;          // e.g. the SDP of a 183 or 200 OK
  // Header values as they came (without the header name), when present.
  std::optional<std::string> reason;
  std::optional<std::string> warning;
  std::optional<std::string> retry_after;
  // RFC 3581: where the server saw the request come from (the top Via's received and rport),
  // when it differs from what we wrote. Behind a NAT this is our public address.
  std::optional<std::string> via_received;
  std::optional<std::string> via_rport;
  // Call-Info headers (RFC 3261 §20.9): each URI with its purpose parameter, e.g. the network
  // side's Ut server, <http://host:port>;purpose=callcast-ut.
  struct CallInfo {
    std::string uri;
    std::string purpose;
  };
  std::vector<CallInfo> call_info;
};

}  // namespace callcast::sipua
