#pragma once
// The network side's view of the SIP stack: the narrow adapter its call logic talks to, so that
// the logic (steps 701-714, the registrar, every error answer) is driven in unit tests by a fake
// and in production by SofiaSipStack (sofia-sip's nua). Requests come in through SipStackEvents.
//
// A StackHandle names one server transaction or dialog of the stack; it is opaque to the logic
// and valid until the stack reports the dialog's end.
#include <cstdint>
#include <functional>
#include <string>

#include "sip/sip_answer.hpp"

namespace callcast::sip {

using StackHandle = std::uintptr_t;
using CallId = std::uint64_t;

class SipStack {
 public:
  virtual ~SipStack() = default;
  // Answers the request of `handle` (provisional or final).
  virtual void respond(StackHandle handle, const SipAnswer& answer) = 0;
  // Ends the answered dialog with a BYE carrying this Reason header value (RFC 3326).
  virtual void bye(StackHandle handle, const std::string& reason) = 0;
  // An INFO request inside the dialog (RFC 6086); its final status comes back through
  // SipStackEvents::on_info_answered.
  virtual void info(StackHandle handle, const std::string& info_package,
                    const std::string& content_type, const std::string& body) = 0;
  // Later events of this handle's dialog carry `call`.
  virtual void bind(StackHandle handle, CallId call) = 0;
};

}  // namespace callcast::sip
