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

#include "core/config.hpp"
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
  unavailable,         // 503 with Retry-After: the store itself failed (a cluster's Redis down)
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

// The limits a node's configuration sets (sip.max_registrations, ...).
RegistrarLimits registrar_limits(const core::SipConfig& config);

// The bindings of one user after `request`, from its current ones (none of them expired): the
// rules of RFC 3261 §10.3 steps 6-8 and the per-user cap, the same for every store. A wildcard
// removal gives no bindings.
Result<std::vector<ContactBinding>, RegisterError> plan_bindings(
    const std::vector<ContactBinding>& current, const RegisterRequest& request,
    Clock::time_point now, const RegistrarLimits& limits);

// Where the bindings are kept: this process's memory (Registrar, the single node's default) or a
// cluster's Redis (cluster::RedisRegistrar, issue 15), so that a terminal registered through one
// signaling node is known to all of them. Both answer alike; a store that cannot reach its
// backend says so (RegisterErrorCode::unavailable, a 503 to the terminal), never silently.
class RegistrationStore {
 public:
  virtual ~RegistrationStore() = default;

  // Applies one REGISTER; returns the user's bindings afterwards (a query when it has no Contact).
  // Either the whole request applies or none of it does.
  virtual Result<std::vector<ContactBinding>, RegisterError> apply(const RegisterRequest& request,
                                                                   Clock::time_point now) = 0;
  // Drops expired bindings; returns how many (a store that expires them itself: 0).
  virtual std::size_t sweep(Clock::time_point now) = 0;

  // For the node's stats: the bindings and users known (a cluster store: as of its last sweep).
  virtual std::size_t binding_count() const = 0;
  virtual std::size_t user_count() const = 0;
  virtual const RegistrarLimits& limits() const = 0;
};

class Registrar final : public RegistrationStore {
 public:
  explicit Registrar(RegistrarLimits limits) : limits_(limits) {}

  Result<std::vector<ContactBinding>, RegisterError> apply(const RegisterRequest& request,
                                                           Clock::time_point now) override;
  std::vector<ContactBinding> bindings(const std::string& aor, Clock::time_point now);
  std::size_t sweep(Clock::time_point now) override;

  std::size_t binding_count() const override { return total_; }
  std::size_t user_count() const override { return by_aor_.size(); }
  const RegistrarLimits& limits() const override { return limits_; }

 private:
  void drop_expired(std::vector<ContactBinding>& list, Clock::time_point now);

  RegistrarLimits limits_;
  std::map<std::string, std::vector<ContactBinding>, std::less<>> by_aor_;
  std::size_t total_ = 0;
};

}  // namespace callcast::sip
