#include "sip/request_authenticator.hpp"

#include <spdlog/spdlog.h>

#include <string_view>

#include "sipwire/warning_text.hpp"

namespace callcast::sip {

SipAnswer refusal(int status, const char* phrase, const std::string& why, int retry_after_s) {
  SipAnswer answer;
  answer.status = status;
  answer.phrase = phrase;
  if (!why.empty()) answer.warning = make_warning_value(why);
  answer.retry_after_s = retry_after_s;
  return answer;
}

std::optional<std::string> RequestAuthenticator::authenticate(StackHandle handle,
                                                              const SipRequest& request,
                                                              const char* method) {
  auth::DigestCheck check{auth::DigestVerdict::malformed, {}};
  bool found = false;
  for (const auto& credentials : request.credentials) {
    if (credentials.realm != authenticator_.realm()) continue;
    found = true;
    check = authenticator_.verify(credentials, method, users_);
    spdlog::debug("sip: terminal={} digest verdict={} algorithm={}", check.user,
                  auth::to_string(check.verdict), credentials.algorithm);
    break;
  }
  if (found && check.verdict == auth::DigestVerdict::ok) return check.user;
  if (found && (check.verdict == auth::DigestVerdict::wrong_password ||
                check.verdict == auth::DigestVerdict::unknown_user)) {
    ++counters_.auth_failures;
    spdlog::info("sip: terminal={} event=auth_failed method={} verdict={}", check.user, method,
                 auth::to_string(check.verdict));
    send(handle, refusal(403, "Forbidden", "wrong user name or password"), method);
    return std::nullopt;
  }
  ++counters_.auth_challenges;
  SipAnswer challenge;
  challenge.status = 401;
  challenge.phrase = "Unauthorized";
  const auto challenges =
      authenticator_.challenges(check.verdict == auth::DigestVerdict::stale_nonce);
  // At most two WWW-Authenticate headers, as before the adapter (MD5 and SHA-256).
  for (std::size_t i = 0; i < challenges.size() && i < 2; ++i)
    challenge.www_authenticate.push_back(challenges[i]);
  send(handle, challenge, method);
  return std::nullopt;
}

void RequestAuthenticator::send(StackHandle handle, const SipAnswer& answer, const char* method) {
  // Refused before the dialled number was looked at: neither a broadcast nor a viewer call yet.
  if (std::string_view(method) == "INVITE")
    counters_.metrics.invite_answered(SipMetrics::InviteKind::unclassified, answer.status);
  stack_.respond(handle, answer);
}

}  // namespace callcast::sip
