#pragma once
// What the SIP stack's adapter tells the network side's call logic (see sip_stack.hpp). `call`
// is what SipStack::bind attached to the dialog, 0 when nothing was.
#include "sip/sip_request.hpp"
#include "sip/sip_stack.hpp"

namespace callcast::sip {

class SipStackEvents {
 public:
  virtual ~SipStackEvents() = default;
  virtual void on_invite(StackHandle handle, const SipRequest& request) = 0;
  // The handle is gone once this returns: answer inside it.
  virtual void on_register(StackHandle handle, const SipRequest& request) = 0;
  // CANCEL or BYE received, or the stack terminated the dialog ("CANCEL", "BYE", "terminated").
  virtual void on_call_ended(CallId call, const char* why) = 0;
  // The ACK of our 2xx came: the caller has the answer (a phone's media starts now).
  virtual void on_call_confirmed(CallId call) = 0;
  virtual void on_info_answered(CallId call, int status) = 0;
};

}  // namespace callcast::sip
