#include "sip/register_handler.hpp"

#include <spdlog/spdlog.h>

namespace callcast::sip {
namespace {

constexpr int kRegisterRetryAfterSeconds = 5;

}  // namespace

void RegisterHandler::on_register(StackHandle handle, const SipRequest& request) {
  ++counters_.registers;
  if (!request.has_to || !request.call_id || !request.cseq) {
    stack_.respond(handle, refusal(400, "Bad Request", "REGISTER without To, Call-ID or CSeq"));
    return;
  }
  if (request.body_cut_short) {
    stack_.respond(handle,
                   refusal(400, "Bad Request", "the body is shorter than its Content-Length"));
    return;
  }
  auto user = authenticator_.authenticate(handle, request, "REGISTER");
  if (!user) return;
  if (!request.to_user || *user != *request.to_user) {
    ++counters_.auth_failures;
    stack_.respond(handle, refusal(403, "Forbidden", "a user may only register its own number"));
    return;
  }
  RegisterRequest apply;
  apply.aor = *user;
  apply.call_id = *request.call_id;
  apply.cseq = *request.cseq;
  apply.expires = request.expires;
  apply.wildcard = request.wildcard_contact;
  for (const auto& contact : request.contacts)
    apply.contacts.push_back({contact.uri, contact.expires});
  const auto now = time_.now();
  auto applied = registrar_.apply(apply, now);
  if (!applied) {
    const auto& error = applied.error();
    switch (error.code) {
      case RegisterErrorCode::bad_request:
        stack_.respond(handle, refusal(400, "Bad Request", error.message));
        break;
      case RegisterErrorCode::interval_too_brief: {
        SipAnswer too_brief;
        too_brief.status = 423;
        too_brief.phrase = "Interval Too Brief";
        too_brief.min_expires = std::to_string(registrar_.limits().min_expires.count());
        stack_.respond(handle, too_brief);
        break;
      }
      case RegisterErrorCode::out_of_order:
        stack_.respond(handle, refusal(500, "Server Internal Error", error.message));
        break;
      case RegisterErrorCode::too_many:
        ++counters_.rejected_over_cap;
        stack_.respond(
            handle, refusal(503, "Service Unavailable", error.message, kRegisterRetryAfterSeconds));
        break;
      case RegisterErrorCode::unavailable:
        // A cluster's Redis that did not answer within its timeout: the terminal retries later
        // (its registration, if any, stays as it was).
        spdlog::error("sip: terminal={} event=registrar_unavailable error=\"{}\"", *user,
                      error.message);
        stack_.respond(handle, refusal(503, "Service Unavailable",
                                       "registrations unavailable: " + error.message,
                                       kRegisterRetryAfterSeconds));
        break;
    }
    spdlog::info("sip: terminal={} event=register_refused reason=\"{}\"", *user, error.message);
    return;
  }
  SipAnswer ok;
  ok.status = 200;
  ok.phrase = "OK";
  for (const auto& binding : *applied) {
    const auto left = std::chrono::duration_cast<std::chrono::seconds>(binding.expires - now);
    if (!ok.contact.empty()) ok.contact += ", ";
    ok.contact += "<" + binding.uri + ">;expires=" + std::to_string(left.count());
  }
  stack_.respond(handle, ok);
  spdlog::info("sip: terminal={} event=registered contacts={}", *user, applied->size());
}

}  // namespace callcast::sip
