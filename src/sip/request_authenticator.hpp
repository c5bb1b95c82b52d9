#pragma once
// Digest authentication of the network side's requests (RFC 3261 §22, RFC 8760): the user a
// request proves, or the answer that refuses it (401 with fresh challenges, 403 for a wrong
// password or an unknown user), sent through the stack.
#include <optional>
#include <string>

#include "auth/digest.hpp"
#include "auth/user_directory.hpp"
#include "sip/signaling_stats.hpp"
#include "sip/sip_request.hpp"
#include "sip/sip_stack.hpp"

namespace callcast::sip {

class RequestAuthenticator {
 public:
  RequestAuthenticator(const auth::DigestAuthenticator& authenticator, auth::UserDirectory& users,
                       SipStack& stack, SignalingStats& counters)
      : authenticator_(authenticator), users_(users), stack_(stack), counters_(counters) {}

  // The authenticated user, or nullopt once the refusal has been sent.
  std::optional<std::string> authenticate(StackHandle handle, const SipRequest& request,
                                          const char* method);

 private:
  // Sends a refusal; one to an INVITE is counted in the metrics (as unclassified).
  void send(StackHandle handle, const SipAnswer& answer, const char* method);

  const auth::DigestAuthenticator& authenticator_;
  auth::UserDirectory& users_;
  SipStack& stack_;
  SignalingStats& counters_;
};

// A response with a Warning carrying `why` (empty: none) and Retry-After when > 0.
SipAnswer refusal(int status, const char* phrase, const std::string& why, int retry_after_s = 0);

}  // namespace callcast::sip
