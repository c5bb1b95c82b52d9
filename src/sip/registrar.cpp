#include "sip/registrar.hpp"

#include <algorithm>

namespace callcast::sip {

void Registrar::drop_expired(std::vector<ContactBinding>& list, Clock::time_point now) {
  const auto before = list.size();
  std::erase_if(list, [now](const ContactBinding& b) { return b.expires <= now; });
  total_ -= before - list.size();
}

Result<std::vector<ContactBinding>, RegisterError> Registrar::apply(const RegisterRequest& request,
                                                                    Clock::time_point now) {
  auto& list = by_aor_[request.aor];
  drop_expired(list, now);

  if (request.wildcard) {
    // RFC 3261 §10.3 step 6: "*" only alone and with Expires: 0.
    if (!request.contacts.empty() || !request.expires || request.expires->count() != 0) {
      if (list.empty()) by_aor_.erase(request.aor);
      return fail(RegisterError{RegisterErrorCode::bad_request,
                                "Contact: * needs Expires: 0 and no other contact"});
    }
    total_ -= list.size();
    by_aor_.erase(request.aor);
    return std::vector<ContactBinding>{};
  }

  // Validate every contact before changing anything.
  std::vector<ContactBinding> next = list;
  for (const auto& contact : request.contacts) {
    const auto asked =
        contact.expires ? *contact.expires : request.expires.value_or(limits_.default_expires);
    auto it = std::find_if(next.begin(), next.end(),
                           [&](const ContactBinding& b) { return b.uri == contact.uri; });
    if (it != next.end() && it->call_id == request.call_id && request.cseq <= it->cseq) {
      if (list.empty()) by_aor_.erase(request.aor);
      return fail(RegisterError{RegisterErrorCode::out_of_order,
                                "CSeq is not above the one that registered this contact"});
    }
    if (asked.count() == 0) {
      if (it != next.end()) next.erase(it);
      continue;
    }
    if (asked < limits_.min_expires) {
      if (list.empty()) by_aor_.erase(request.aor);
      return fail(
          RegisterError{RegisterErrorCode::interval_too_brief,
                        "expiry below " + std::to_string(limits_.min_expires.count()) + " s"});
    }
    const auto granted = std::min(asked, limits_.max_expires);
    ContactBinding binding{contact.uri, request.call_id, request.cseq, now + granted};
    if (it != next.end()) {
      *it = std::move(binding);
    } else {
      next.push_back(std::move(binding));
    }
  }
  const std::size_t others = total_ - list.size();
  if (next.size() > limits_.max_contacts_per_user) {
    if (list.empty()) by_aor_.erase(request.aor);
    return fail(RegisterError{
        RegisterErrorCode::too_many,
        "more than " + std::to_string(limits_.max_contacts_per_user) + " contacts for one user"});
  }
  if (others + next.size() > limits_.max_bindings && next.size() > list.size()) {
    if (list.empty()) by_aor_.erase(request.aor);
    return fail(RegisterError{RegisterErrorCode::too_many, "registrar full"});
  }
  total_ = others + next.size();
  list = std::move(next);
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
