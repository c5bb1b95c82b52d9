#pragma once
// The location service behind REGISTER (RFC 3261 §10.3): address-of-record -> contacts, each with
// its own expiry. Pure logic: the SIP adapter turns a parsed REGISTER into a RegisterRequest and
// the result into the 200 OK's Contact list. Bounded: a cap on bindings in all and per user, so
// a REGISTER flood cannot grow memory without limit.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace callcast::sip {

using Clock = std::chrono::steady_clock;

struct ContactBinding {
  std::string uri;  // the Contact URI as sent, e.g. "sip:13800000001@127.0.0.1:5099;transport=tcp"
  std::string call_id;
  std::uint32_t cseq = 0;
  Clock::time_point expires;
};

struct ContactRequest {
  std::string uri;
  std::optional<std::chrono::seconds> expires;  // the Contact's ;expires parameter
};

struct RegisterRequest {
  std::string aor;  // the user's number
  std::vector<ContactRequest> contacts;
  bool wildcard = false;                        // "Contact: *"
  std::optional<std::chrono::seconds> expires;  // the Expires header
  std::string call_id;
  std::uint32_t cseq = 0;
};

enum class RegisterErrorCode {
  bad_request,         // 400: "*" with other contacts or with a non-zero expiry
  interval_too_brief,  // 423: with Min-Expires
  out_of_order,        // 500: an older CSeq of the same Call-ID (RFC 3261 §10.3 step 7)
  too_many,            // 503 with Retry-After: a cap is reached
};

struct RegisterError {
  RegisterErrorCode code;
  std::string message;
};

struct RegistrarLimits {
  std::size_t max_bindings = 10000;
  std::size_t max_contacts_per_user = 10;
  std::chrono::seconds min_expires{60};
  std::chrono::seconds max_expires{3600};
  std::chrono::seconds default_expires{3600};
};

class Registrar {
 public:
  explicit Registrar(RegistrarLimits limits) : limits_(limits) {}

  // Applies one REGISTER; returns the user's bindings afterwards (a query when it has no Contact).
  // Either the whole request applies or none of it does.
  Result<std::vector<ContactBinding>, RegisterError> apply(const RegisterRequest& request,
                                                           Clock::time_point now);
  std::vector<ContactBinding> bindings(const std::string& aor, Clock::time_point now);
  // Drops expired bindings; returns how many.
  std::size_t sweep(Clock::time_point now);

  std::size_t binding_count() const { return total_; }
  std::size_t user_count() const { return by_aor_.size(); }
  const RegistrarLimits& limits() const { return limits_; }

 private:
  void drop_expired(std::vector<ContactBinding>& list, Clock::time_point now);

  RegistrarLimits limits_;
  std::map<std::string, std::vector<ContactBinding>, std::less<>> by_aor_;
  std::size_t total_ = 0;
};

}  // namespace callcast::sip
