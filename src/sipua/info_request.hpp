#pragma once
// An INFO request received inside a call's dialog, for a package the user agent takes
// (RFC 6086: the INVITE said so in Recv-Info; the request names it in Info-Package).
#include <string>

namespace callcast::sipua {

struct InfoRequest {
  std::string package;       // the Info-Package value, e.g. "callcast-audience"
  std::string content_type;  // empty without a body
  std::string body;
};

}  // namespace callcast::sipua
