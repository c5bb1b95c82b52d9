#pragma once
// What a caller of UserAgent::start_call hears about its call. Every method runs on the user
// agent's sofia thread: keep it short, never block on something that thread must do. Calling
// the UserAgent's own methods from here is fine (they run inline on that thread); destroying the
// UserAgent from here is not.
#include "sipua/call_end.hpp"
#include "sipua/info_request.hpp"
#include "sipua/response.hpp"
#include "sipua/wire_message.hpp"

namespace callcast::sipua {

class CallObserver {
 public:
  virtual ~CallObserver() = default;

  // Every SIP message of the call's dialog sent or received, in wire order (only with
  // UserAgentOptions::record_messages). Retransmissions come too, flagged.
  virtual void on_message(const WireMessage& message) { (void)message; }
  // Every response nua reports for the call: to the INVITE (1xx including 100, 401/407 before the
  // automatic retry, the final one), to PRACK, CANCEL and BYE.
  virtual void on_response(const Response& response) { (void)response; }
  // The 200 OK to the INVITE; nua has already sent the ACK.
  virtual void on_answered(const Response& response) { (void)response; }
  // An INFO of one of UserAgentOptions::info_packages within the call's dialog; the user agent
  // has answered it 200.
  virtual void on_info(const InfoRequest& info) { (void)info; }
  // Once per call, last.
  virtual void on_terminated(const CallEnd& end) { (void)end; }
};

}  // namespace callcast::sipua
