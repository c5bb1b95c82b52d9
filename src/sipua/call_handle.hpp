#pragma once
// Names one outgoing call of a user agent: the agent's own id, and the SIP Call-ID it put on the
// wire (the key of the message-sequence recorder).
#include <cstdint>
#include <string>

namespace callcast::sipua {

struct CallHandle {
  std::uint64_t id = 0;  // 0: no call
  std::string call_id;

  bool valid() const { return id != 0; }
};

}  // namespace callcast::sipua
