#include "sip/registrar.hpp"

#include <gtest/gtest.h>

namespace callcast::sip {
namespace {

using namespace std::chrono_literals;

class RegistrarTest : public ::testing::Test {
 protected:
  RegisterRequest request(std::vector<ContactRequest> contacts, std::uint32_t cseq = 1,
                          std::string call_id = "call-1") {
    RegisterRequest r;
    r.aor = "13800000001";
    r.contacts = std::move(contacts);
    r.call_id = std::move(call_id);
    r.cseq = cseq;
    return r;
  }
  Clock::time_point now = Clock::time_point{} + 1000s;
  Registrar registrar{RegistrarLimits{5, 3, 60s, 3600s, 3600s}};
};

TEST_F(RegistrarTest, BindsAContactWithTheAskedExpiry) {
  auto result = registrar.apply(request({{"sip:a@127.0.0.1:5099", 600s}}), now);
  ASSERT_TRUE(result);
  ASSERT_EQ(result->size(), 1u);
  EXPECT_EQ((*result)[0].expires, now + 600s);
  EXPECT_EQ(registrar.binding_count(), 1u);
}

TEST_F(RegistrarTest, CutsLongExpiriesDownAndUsesTheExpiresHeader) {
  auto r = request({{"sip:a@h", std::nullopt}});
  r.expires = 100000s;
  auto result = registrar.apply(r, now);
  ASSERT_TRUE(result);
  EXPECT_EQ((*result)[0].expires, now + 3600s);
}

TEST_F(RegistrarTest, RefusesTooBriefExpiryWith423AndChangesNothing) {
  ASSERT_TRUE(registrar.apply(request({{"sip:a@h", 600s}}), now));
  auto result = registrar.apply(request({{"sip:b@h", 10s}}, 2), now);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, RegisterErrorCode::interval_too_brief);
  EXPECT_EQ(registrar.binding_count(), 1u);
}

TEST_F(RegistrarTest, RefreshReplacesTheBindingOfTheSameContact) {
  ASSERT_TRUE(registrar.apply(request({{"sip:a@h", 600s}}, 1), now));
  auto result = registrar.apply(request({{"sip:a@h", 900s}}, 2), now + 100s);
  ASSERT_TRUE(result);
  ASSERT_EQ(result->size(), 1u);
  EXPECT_EQ((*result)[0].expires, now + 1000s);
}

TEST_F(RegistrarTest, KeepsSeveralContactsOfOneUser) {
  ASSERT_TRUE(registrar.apply(request({{"sip:a@h", 600s}}, 1, "x"), now));
  auto result = registrar.apply(request({{"sip:b@h", 600s}}, 1, "y"), now);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->size(), 2u);
  EXPECT_EQ(registrar.user_count(), 1u);
}

TEST_F(RegistrarTest, ExpiresZeroRemovesOneContact) {
  ASSERT_TRUE(registrar.apply(request({{"sip:a@h", 600s}, {"sip:b@h", 600s}}, 1), now));
  auto result = registrar.apply(request({{"sip:a@h", 0s}}, 2), now);
  ASSERT_TRUE(result);
  ASSERT_EQ(result->size(), 1u);
  EXPECT_EQ((*result)[0].uri, "sip:b@h");
  EXPECT_EQ(registrar.binding_count(), 1u);
}

TEST_F(RegistrarTest, WildcardWithExpiresZeroRemovesEverything) {
  ASSERT_TRUE(registrar.apply(request({{"sip:a@h", 600s}, {"sip:b@h", 600s}}, 1), now));
  auto r = request({}, 2);
  r.wildcard = true;
  r.expires = 0s;
  auto result = registrar.apply(r, now);
  ASSERT_TRUE(result);
  EXPECT_TRUE(result->empty());
  EXPECT_EQ(registrar.binding_count(), 0u);
  EXPECT_EQ(registrar.user_count(), 0u);
}

TEST_F(RegistrarTest, WildcardNeedsExpiresZeroAndNoOtherContact) {
  auto r = request({{"sip:a@h", 600s}}, 1);
  r.wildcard = true;
  r.expires = 0s;
  auto result = registrar.apply(r, now);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, RegisterErrorCode::bad_request);
  r.contacts.clear();
  r.expires = 60s;
  EXPECT_FALSE(registrar.apply(r, now));
  EXPECT_EQ(registrar.user_count(), 0u);
}

TEST_F(RegistrarTest, RefusesAnOlderCSeqOfTheSameCallId) {
  ASSERT_TRUE(registrar.apply(request({{"sip:a@h", 600s}}, 5), now));
  auto result = registrar.apply(request({{"sip:a@h", 900s}}, 5), now);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, RegisterErrorCode::out_of_order);
}

TEST_F(RegistrarTest, AQueryReturnsTheBindingsWithoutChangingThem) {
  ASSERT_TRUE(registrar.apply(request({{"sip:a@h", 600s}}, 1), now));
  auto result = registrar.apply(request({}, 2), now);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->size(), 1u);
}

TEST_F(RegistrarTest, CapsContactsPerUser) {
  auto result = registrar.apply(
      request({{"sip:a@h", 600s}, {"sip:b@h", 600s}, {"sip:c@h", 600s}, {"sip:d@h", 600s}}), now);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, RegisterErrorCode::too_many);
  EXPECT_EQ(registrar.binding_count(), 0u);
}

TEST_F(RegistrarTest, CapsBindingsInAllSoAFloodCannotGrowMemory) {
  for (int i = 0; i < 5; ++i) {
    auto r = request({{"sip:a@h", 600s}});
    r.aor = "1000" + std::to_string(i);
    ASSERT_TRUE(registrar.apply(r, now));
  }
  auto r = request({{"sip:a@h", 600s}});
  r.aor = "2000";
  auto result = registrar.apply(r, now);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, RegisterErrorCode::too_many);
  EXPECT_EQ(registrar.binding_count(), 5u);
  EXPECT_EQ(registrar.user_count(), 5u);
  // A refresh of an existing binding still passes at the cap.
  auto refresh = request({{"sip:a@h", 900s}}, 2);
  refresh.aor = "10000";
  EXPECT_TRUE(registrar.apply(refresh, now));
}

TEST_F(RegistrarTest, ExpiredBindingsDisappear) {
  ASSERT_TRUE(registrar.apply(request({{"sip:a@h", 60s}}), now));
  EXPECT_EQ(registrar.bindings("13800000001", now + 59s).size(), 1u);
  EXPECT_EQ(registrar.sweep(now + 61s), 1u);
  EXPECT_EQ(registrar.binding_count(), 0u);
  EXPECT_TRUE(registrar.bindings("13800000001", now + 61s).empty());
}

}  // namespace
}  // namespace callcast::sip
