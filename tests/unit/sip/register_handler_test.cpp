// REGISTER on the network side (RegisterHandler through SignalingCore): bindings, every refusal,
// and expiry on simulated time.
#include <gmock/gmock.h>

#include "signaling_core_fixture.hpp"

namespace callcast::sip::test {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

TEST_F(SignalingCoreTest, RegisterIsAnsweredWithTheBindingAndItsExpiry) {
  const auto handle = receive_register(kMaster, 600);
  EXPECT_EQ(expect_final_answer(handle, 200).contact,
            "<sip:" + kMaster + "@192.0.2.7:5062>;expires=600");
  EXPECT_EQ(core_->stats().registrations, 1u);
  EXPECT_EQ(core_->stats().registered_users, 1u);
}

TEST_F(SignalingCoreTest, BindingsExpireAndTheSweepDropsThem) {
  receive_register(kMaster, 60);
  time_.advance(59s);
  EXPECT_EQ(core_->stats().registrations, 1u);
  time_.advance(31s);  // past the expiry and a sweep (every 30 s)
  EXPECT_EQ(core_->stats().registrations, 0u);
}

TEST_F(SignalingCoreTest, RegisterTooBriefGets423WithMinExpires) {
  EXPECT_EQ(expect_final_answer(receive_register(kMaster, 10), 423).min_expires, "60");
}

TEST_F(SignalingCoreTest, RegisteringAnotherUsersNumberIsForbidden) {
  // Signed by kViewer, for kMaster's address of record.
  SipRequest request = invite(kMaster, kViewer, "");
  request.credentials.front().response = auth::digest_response(
      auth::DigestAlgorithm::md5,
      auth::digest_ha1(auth::DigestAlgorithm::md5, kViewer, "callcast", kPassword),
      request.credentials.front(), "REGISTER");
  core_->on_register(9000, request);
  EXPECT_THAT(expect_final_answer(9000, 403).warning, HasSubstr("its own number"));
  EXPECT_EQ(core_->stats().registrations, 0u);
}

// RFC 3261 §10.3 step 7: a REGISTER older than the binding's (same Call-ID, CSeq not higher).
TEST_F(SignalingCoreTest, RegisterOutOfOrderGets500) {
  const SipRequest request = register_request(kMaster, 600);
  expect_final_answer(receive_register(request), 200);
  EXPECT_FALSE(expect_final_answer(receive_register(request), 500).warning.empty());
}

TEST_F(SignalingCoreTest, RegisterWithoutCallIdIsABadRequest) {
  SipRequest request = invite(kMaster, kMaster, "");
  request.call_id.reset();
  core_->on_register(9002, request);
  expect_final_answer(9002, 400);
}

TEST_F(SignalingCoreTest, RegisterWithoutCredentialsIsChallenged) {
  SipRequest request = invite(kMaster, kMaster, "", "");
  core_->on_register(9002, request);
  EXPECT_FALSE(expect_final_answer(9002, 401).www_authenticate.empty());
}

TEST_F(SignalingCoreTest, RegistrationsOverTheCapGet503WithRetryAfter) {
  config_.max_registrations = 1;
  make_core();
  expect_final_answer(receive_register(kMaster, 600), 200);
  const auto answer = expect_final_answer(receive_register(kViewer, 600), 503);
  EXPECT_EQ(answer.retry_after_s, 5);
  EXPECT_EQ(core_->stats().rejected_over_cap, 1u);
}

// A cluster's registrations in a Redis that does not answer (issue 15): the terminal hears why
// and when to retry, at once.
class UnreachableRegistrations final : public RegistrationStore {
 public:
  Result<std::vector<ContactBinding>, RegisterError> apply(const RegisterRequest& request,
                                                           Clock::time_point) override {
    ++applied;
    return fail(RegisterError{
        RegisterErrorCode::unavailable,
        "redis 10.0.0.9:6379: WATCH callcast:reg:" + request.aor + ": no reply within 250 ms"});
  }
  std::size_t sweep(Clock::time_point) override { return 0; }
  std::size_t binding_count() const override { return 0; }
  std::size_t user_count() const override { return 0; }
  const RegistrarLimits& limits() const override { return limits_; }

  int applied = 0;

 private:
  RegistrarLimits limits_;
};

TEST_F(SignalingCoreTest, RegistrationStoreDownGets503WithRetryAfterAndWhy) {
  UnreachableRegistrations store;
  registrations_ = &store;
  make_core();
  const auto answer = expect_final_answer(receive_register(kMaster, 600), 503);
  EXPECT_EQ(store.applied, 1);
  EXPECT_THAT(
      answer.warning,
      HasSubstr("registrations unavailable: redis 10.0.0.9:6379: WATCH callcast:reg:" + kMaster));
  EXPECT_GT(answer.retry_after_s, 0);
  core_.reset();  // before the store it uses
}

}  // namespace
}  // namespace callcast::sip::test
