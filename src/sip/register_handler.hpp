#pragma once
// REGISTER on the network side (RFC 3261 §10): authenticated, applied to the Registrar, answered
// with the bindings (200), or refused (400, 403, 423 with Min-Expires, 500 out of order, 503 over
// the cap or with the store unreachable, with Retry-After and a Warning saying which).
#include "core/time_source.hpp"
#include "sip/registrar.hpp"
#include "sip/request_authenticator.hpp"

namespace callcast::sip {

class RegisterHandler {
 public:
  RegisterHandler(RegistrationStore& registrar, RequestAuthenticator& authenticator,
                  SipStack& stack, const core::TimeSource& time, SignalingStats& counters)
      : registrar_(registrar),
        authenticator_(authenticator),
        stack_(stack),
        time_(time),
        counters_(counters) {}

  void on_register(StackHandle handle, const SipRequest& request);

 private:
  RegistrationStore& registrar_;
  RequestAuthenticator& authenticator_;
  SipStack& stack_;
  const core::TimeSource& time_;
  SignalingStats& counters_;
};

}  // namespace callcast::sip
