#pragma once
// Why a call ended, as the user agent saw it.
#include <string>

namespace callcast::sipua {

enum class EndCause {
  remote_bye,    // the peer sent BYE
  local_bye,     // we hung up an answered call
  local_cancel,  // we hung up before the answer (CANCEL, then 487)
  rejected,      // a final response >= 300 to the INVITE
  error,         // no final response, transport failure, or a failed BYE
  shutdown,      // the user agent was destroyed with the call still up
};

struct CallEnd {
  EndCause cause = EndCause::error;
  int status = 0;      // the status that ended it (487, 486, 200 to BYE...), 0 if none
  std::string phrase;  // its phrase
  // The text of the peer BYE's Reason header (RFC 3326), unquoted: for
  // `Reason: SIP;cause=503;text="the streaming server restarted"` the words in quotes. Empty
  // when it had none.
  std::string reason_text = {};  // (an initializer: aggregates written without it stay valid)

  // "BYE from remote", "BYE sent", "CANCEL sent", "rejected: 486 Busy Here",
  // "error: 408 Request Timeout", "user agent shut down".
  std::string describe() const;
};

}  // namespace callcast::sipua
