#include "sip/registrar.hpp"

#include <algorithm>

namespace callcast::sip {

RegistrarLimits registrar_limits(const core::SipConfig& config) {
  return RegistrarLimits{config.max_registrations, config.max_contacts_per_user, config.min_expires,
                         config.max_expires, config.max_expires};
}

void Registrar::drop_expired(std::vector<ContactBinding>& list, Clock::time_point now) {
  const auto before = list.size();
  std::erase_if(list, [now](const ContactBinding& b) { return b.expires <= now; });
  total_ -= before - list.size();
}

Result<std::vector<ContactBinding>, RegisterError> plan_bindings(
    const std::vector<ContactBinding>& current, const RegisterRequest& request,
    Clock::time_point now, const RegistrarLimits& limits) {
  if (request.wildcard) {
    // RFC 3261 §10.3 step 6: "*" only alone and with Expires: 0.
    if (!request.contacts.empty() || !request.expires || request.expires->count() != 0) {
      return fail(RegisterError{RegisterErrorCode::bad_request,
                                "Contact: * needs Expires: 0 and no other contact"});
    }
    return std::vector<ContactBinding>{};
  }
  std::vector<ContactBinding> next = current;
  for (const auto& contact : request.contacts) {
    const auto asked =
        contact.expires ? *contact.expires : request.expires.value_or(limits.default_expires);
    auto it = std::find_if(next.begin(), next.end(),
                           [&](const ContactBinding& b) { return b.uri == contact.uri; });
    if (it != next.end() && it->call_id == request.call_id && request.cseq <= it->cseq) {
      return fail(RegisterError{RegisterErrorCode::out_of_order,
                                "CSeq is not above the one that registered this contact"});
    }
    if (asked.count() == 0) {
      if (it != next.end()) next.erase(it);
      continue;
    }
    if (asked < limits.min_expires) {
      return fail(
          RegisterError{RegisterErrorCode::interval_too_brief,
                        "expiry below " + std::to_string(limits.min_expires.count()) + " s"});
    }
    const auto granted = std::min(asked, limits.max_expires);
    ContactBinding binding{contact.uri, request.call_id, request.cseq, now + granted};
    if (it != next.end()) {
      *it = std::move(binding);
    } else {
      next.push_back(std::move(binding));
    }
  }
  if (next.size() > limits.max_contacts_per_user) {
    return fail(RegisterError{
        RegisterErrorCode::too_many,
        "more than " + std::to_string(limits.max_contacts_per_user) + " contacts for one user"});
  }
  return next;
}

Result<std::vector<ContactBinding>, RegisterError> Registrar::apply(const RegisterRequest& request,
                                                                    Clock::time_point now) {
  auto& list = by_aor_[request.aor];
  drop_expired(list, now);
  auto next = plan_bindings(list, request, now, limits_);
  if (!next) {
    if (list.empty()) by_aor_.erase(request.aor);
    return next;
  }
  const std::size_t others = total_ - list.size();
  if (others + next->size() > limits_.max_bindings && next->size() > list.size()) {
    if (list.empty()) by_aor_.erase(request.aor);
    return fail(RegisterError{RegisterErrorCode::too_many, "registrar full"});
  }
  total_ = others + next->size();
  list = std::move(next).value();
  std::vector<ContactBinding> result = list;
  if (list.empty()) by_aor_.erase(request.aor);
  return result;
}

std::vector<ContactBinding> Registrar::bindings(const std::string& aor, Clock::time_point now) {
  auto it = by_aor_.find(aor);
  if (it == by_aor_.end()) return {};
  drop_expired(it->second, now);
  std::vector<ContactBinding> result = it->second;
  if (it->second.empty()) by_aor_.erase(it);
  return result;
}

std::size_t Registrar::sweep(Clock::time_point now) {
  const auto before = total_;
  for (auto it = by_aor_.begin(); it != by_aor_.end();) {
    drop_expired(it->second, now);
    it = it->second.empty() ? by_aor_.erase(it) : std::next(it);
  }
  return before - total_;
}

}  // namespace callcast::sip
