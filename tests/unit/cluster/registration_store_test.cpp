// One behaviour for every keeper of the registrar's bindings (RFC 3261 §10.3): the same tests run
// against the single node's memory (sip::Registrar) and the cluster's Redis (RedisRegistrar), so
// that REGISTER cannot tell them apart. What only one of them has (the in-memory cap on bindings
// in all, Redis's own expiry, a Redis that goes away, two nodes at once) is tested beside.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cluster/cluster_keys.hpp"
#include "cluster/redis_registrar.hpp"
#include "redis_test.hpp"
#include "sip/registrar.hpp"

namespace callcast::cluster {
namespace registration_store {

using namespace std::chrono_literals;
using sip::Clock;
using sip::ContactBinding;
using sip::ContactRequest;
using sip::RegisterErrorCode;
using sip::RegisterRequest;
using sip::RegistrarLimits;
using ::testing::HasSubstr;

const RegistrarLimits kLimits{5, 3, 60s, 3600s, 3600s};
const std::string kUser = "13800000001";

struct MemoryStore {
  static std::unique_ptr<sip::RegistrationStore> open(const test::RedisServer&) {
    return std::make_unique<sip::Registrar>(kLimits);
  }
};

struct RedisStore {
  static std::unique_ptr<sip::RegistrationStore> open(const test::RedisServer& redis) {
    return std::make_unique<RedisRegistrar>(redis.address(), kLimits);
  }
};

// Redis counts its expiries on its own clock, between the test's calls: a few ms apart.
::testing::AssertionResult expires_at(const ContactBinding& binding, Clock::time_point expected) {
  const auto off =
      binding.expires > expected ? binding.expires - expected : expected - binding.expires;
  if (off <= 1s) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << binding.uri << " expires "
         << std::chrono::duration_cast<std::chrono::milliseconds>(binding.expires - expected)
                .count()
         << " ms off";
}

template <class Keeper>
class RegistrationStoreTest : public test::RedisTest {
 protected:
  void SetUp() override {
    test::RedisTest::SetUp();
    store_ = Keeper::open(redis_);
  }

  RegisterRequest request(std::vector<ContactRequest> contacts, std::uint32_t cseq = 1,
                          std::string call_id = "call-1") {
    RegisterRequest r;
    r.aor = kUser;
    r.contacts = std::move(contacts);
    r.call_id = std::move(call_id);
    r.cseq = cseq;
    return r;
  }
  // The user's bindings now, by a query REGISTER (no Contact), as a terminal asks.
  std::vector<ContactBinding> query(std::uint32_t cseq = 100) {
    auto result = store_->apply(request({}, cseq, "query"), now);
    EXPECT_TRUE(result);
    return result ? *result : std::vector<ContactBinding>{};
  }

  Clock::time_point now = Clock::now();
  std::unique_ptr<sip::RegistrationStore> store_;
};

using Stores = ::testing::Types<MemoryStore, RedisStore>;
class StoreNames {
 public:
  template <class T>
  static std::string GetName(int) {
    return std::is_same_v<T, MemoryStore> ? "Memory" : "Redis";
  }
};
TYPED_TEST_SUITE(RegistrationStoreTest, Stores, StoreNames);

TYPED_TEST(RegistrationStoreTest, BindsAContactWithTheAskedExpiry) {
  auto result = this->store_->apply(this->request({{"sip:a@127.0.0.1:5099", 600s}}), this->now);
  ASSERT_TRUE(result);
  ASSERT_EQ(result->size(), 1u);
  EXPECT_TRUE(expires_at((*result)[0], this->now + 600s));
  const auto found = this->query();
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].uri, "sip:a@127.0.0.1:5099");
  EXPECT_EQ(found[0].call_id, "call-1");
  EXPECT_EQ(found[0].cseq, 1u);
  EXPECT_TRUE(expires_at(found[0], this->now + 600s));
}

TYPED_TEST(RegistrationStoreTest, CutsLongExpiriesDownAndUsesTheExpiresHeader) {
  auto r = this->request({{"sip:a@h", std::nullopt}});
  r.expires = 100000s;
  auto result = this->store_->apply(r, this->now);
  ASSERT_TRUE(result);
  EXPECT_TRUE(expires_at((*result)[0], this->now + 3600s));
}

TYPED_TEST(RegistrationStoreTest, RefusesTooBriefExpiryWith423AndChangesNothing) {
  ASSERT_TRUE(this->store_->apply(this->request({{"sip:a@h", 600s}}), this->now));
  auto result = this->store_->apply(this->request({{"sip:b@h", 10s}}, 2), this->now);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, RegisterErrorCode::interval_too_brief);
  EXPECT_EQ(this->query().size(), 1u);
}

TYPED_TEST(RegistrationStoreTest, RefreshReplacesTheBindingOfTheSameContact) {
  ASSERT_TRUE(this->store_->apply(this->request({{"sip:a@h", 600s}}, 1), this->now));
  auto result = this->store_->apply(this->request({{"sip:a@h", 900s}}, 2), this->now);
  ASSERT_TRUE(result);
  ASSERT_EQ(result->size(), 1u);
  EXPECT_TRUE(expires_at((*result)[0], this->now + 900s));
  EXPECT_EQ(this->query().at(0).cseq, 2u);
}

TYPED_TEST(RegistrationStoreTest, KeepsSeveralContactsOfOneUserAndUsersApart) {
  ASSERT_TRUE(this->store_->apply(this->request({{"sip:a@h", 600s}}, 1, "x"), this->now));
  auto result = this->store_->apply(this->request({{"sip:b@h", 600s}}, 1, "y"), this->now);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->size(), 2u);
  auto other = this->request({{"sip:c@h", 600s}});
  other.aor = "13800000002";
  auto alone = this->store_->apply(other, this->now);
  ASSERT_TRUE(alone);
  EXPECT_EQ(alone->size(), 1u) << "bindings are per user";
  EXPECT_EQ(this->query().size(), 2u);
}

TYPED_TEST(RegistrationStoreTest, ExpiresZeroRemovesOneContact) {
  ASSERT_TRUE(
      this->store_->apply(this->request({{"sip:a@h", 600s}, {"sip:b@h", 600s}}, 1), this->now));
  auto result = this->store_->apply(this->request({{"sip:a@h", 0s}}, 2), this->now);
  ASSERT_TRUE(result);
  ASSERT_EQ(result->size(), 1u);
  EXPECT_EQ((*result)[0].uri, "sip:b@h");
  EXPECT_EQ(this->query().size(), 1u);
}

TYPED_TEST(RegistrationStoreTest, WildcardWithExpiresZeroRemovesEverything) {
  ASSERT_TRUE(
      this->store_->apply(this->request({{"sip:a@h", 600s}, {"sip:b@h", 600s}}, 1), this->now));
  auto r = this->request({}, 2);
  r.wildcard = true;
  r.expires = 0s;
  auto result = this->store_->apply(r, this->now);
  ASSERT_TRUE(result);
  EXPECT_TRUE(result->empty());
  EXPECT_TRUE(this->query().empty());
}

TYPED_TEST(RegistrationStoreTest, WildcardNeedsExpiresZeroAndNoOtherContact) {
  auto r = this->request({{"sip:a@h", 600s}}, 1);
  r.wildcard = true;
  r.expires = 0s;
  auto result = this->store_->apply(r, this->now);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, RegisterErrorCode::bad_request);
  r.contacts.clear();
  r.expires = 60s;
  EXPECT_FALSE(this->store_->apply(r, this->now));
  EXPECT_TRUE(this->query().empty());
}

TYPED_TEST(RegistrationStoreTest, RefusesAnOlderCSeqOfTheSameCallId) {
  ASSERT_TRUE(this->store_->apply(this->request({{"sip:a@h", 600s}}, 5), this->now));
  auto result = this->store_->apply(this->request({{"sip:a@h", 900s}}, 5), this->now);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, RegisterErrorCode::out_of_order);
}

TYPED_TEST(RegistrationStoreTest, CapsContactsPerUser) {
  auto result = this->store_->apply(
      this->request({{"sip:a@h", 600s}, {"sip:b@h", 600s}, {"sip:c@h", 600s}, {"sip:d@h", 600s}}),
      this->now);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, RegisterErrorCode::too_many);
  EXPECT_TRUE(this->query().empty());
}

TYPED_TEST(RegistrationStoreTest, StatsCountUsersAndBindingsAfterASweep) {
  ASSERT_TRUE(
      this->store_->apply(this->request({{"sip:a@h", 600s}, {"sip:b@h", 600s}}), this->now));
  auto other = this->request({{"sip:c@h", 600s}});
  other.aor = "13800000002";
  ASSERT_TRUE(this->store_->apply(other, this->now));
  this->store_->sweep(this->now);
  EXPECT_EQ(this->store_->binding_count(), 3u);
  EXPECT_EQ(this->store_->user_count(), 2u);
}

// Redis alone: what the cluster needs beyond the shared behaviour.
class RedisRegistrarTest : public test::RedisTest {
 protected:
  RegisterRequest request(const std::string& uri, std::chrono::seconds expires,
                          std::uint32_t cseq = 1, const std::string& call_id = "call-1") {
    RegisterRequest r;
    r.aor = kUser;
    r.contacts = {{uri, expires}};
    r.call_id = call_id;
    r.cseq = cseq;
    return r;
  }
};

// A terminal registered through one signaling node is found through another.
TEST_F(RedisRegistrarTest, BindingWrittenByOneNodeIsReadByAnother) {
  RedisRegistrar first(redis_.address(), kLimits);
  RedisRegistrar second(redis_.address(), kLimits);
  const auto now = Clock::now();
  ASSERT_TRUE(first.apply(request("sip:13800000001@10.99.0.5:5099", 600s), now));
  auto found = second.bindings(kUser, now);
  ASSERT_TRUE(found) << found.error();
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].uri, "sip:13800000001@10.99.0.5:5099");
  // Its refresh through the second node follows the first's CSeq.
  auto stale = second.apply(request("sip:13800000001@10.99.0.5:5099", 600s, 1), now);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, RegisterErrorCode::out_of_order);
  EXPECT_TRUE(second.apply(request("sip:13800000001@10.99.0.5:5099", 600s, 2), now));
}

// The key lives as long as the registration: Redis drops it at the latest binding's expiry.
TEST_F(RedisRegistrarTest, KeyExpiresWithTheRegistration) {
  RedisRegistrar store(redis_.address(), RegistrarLimits{5, 3, 1s, 3600s, 3600s});
  RedisClient redis(redis_.address());
  const auto now = Clock::now();
  ASSERT_TRUE(store.apply(request("sip:a@h", 1s), now));
  auto left = redis.integer({"PTTL", keys::registration(kUser)});
  ASSERT_TRUE(left) << left.error();
  EXPECT_GT(*left, 0);
  EXPECT_LE(*left, 1000);
  std::this_thread::sleep_for(1200ms);  // Redis's own clock: there is no other to drive
  EXPECT_EQ(*redis.integer({"EXISTS", keys::registration(kUser)}), 0);
  auto found = store.bindings(kUser, Clock::now());
  ASSERT_TRUE(found);
  EXPECT_TRUE(found->empty());
}

// Two nodes registering contacts of one number at once lose none of them (WATCH/EXEC): every
// contact whose REGISTER was answered 200 is there. (A REGISTER that lost the race to the other
// node on every attempt is refused, never half applied; two tight loops may cause that.)
TEST_F(RedisRegistrarTest, ConcurrentRegistrationsOfOneNumberLoseNoContact) {
  RedisRegistrar first(redis_.address(), RegistrarLimits{5, 100, 60s, 3600s, 3600s});
  RedisRegistrar second(redis_.address(), RegistrarLimits{5, 100, 60s, 3600s, 3600s});
  const auto now = Clock::now();
  constexpr int kEach = 20;
  std::vector<std::string> registered[2];
  auto register_many = [&](RedisRegistrar& store, const std::string& host,
                           std::vector<std::string>& done) {
    for (int i = 0; i < kEach; ++i) {
      const std::string uri = "sip:" + host + std::to_string(i) + "@h";
      auto applied = store.apply(request(uri, 600s, 1, host + std::to_string(i)), now);
      if (applied) {
        done.push_back(uri);
      } else {
        EXPECT_THAT(applied.error().message, HasSubstr("changed under every one of"));
      }
    }
  };
  std::thread one([&] { register_many(first, "a", registered[0]); });
  std::thread two([&] { register_many(second, "b", registered[1]); });
  one.join();
  two.join();
  EXPECT_FALSE(registered[0].empty());
  EXPECT_FALSE(registered[1].empty());
  auto found = first.bindings(kUser, now);
  ASSERT_TRUE(found);
  std::vector<std::string> uris;
  for (const auto& binding : *found)
    uris.push_back(binding.uri);
  std::vector<std::string> expected = registered[0];
  expected.insert(expected.end(), registered[1].begin(), registered[1].end());
  EXPECT_THAT(uris, ::testing::UnorderedElementsAreArray(expected));
  std::printf("[measured] %zu of %d concurrent REGISTERs of one number went through\n",
              expected.size(), 2 * kEach);
}

// Redis down: a clear error naming it, quickly (the SIP thread waits for it), and recovery.
TEST_F(RedisRegistrarTest, RedisDownIsUnavailableNamingItAndRecovers) {
  RedisRegistrar store(
      redis_.address(), kLimits,
      RedisClientOptions{std::chrono::milliseconds(200), std::chrono::milliseconds(200)});
  ASSERT_TRUE(store.apply(request("sip:a@h", 600s), Clock::now()));
  redis_.stop();
  const auto started = Clock::now();
  auto result = store.apply(request("sip:a@h", 600s, 2), Clock::now());
  EXPECT_LT(Clock::now() - started, 1s);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, RegisterErrorCode::unavailable);
  EXPECT_THAT(result.error().message,
              HasSubstr("redis 127.0.0.1:" + std::to_string(redis_.port()) + ": WATCH"));
  ASSERT_TRUE(redis_.start()) << redis_.error();
  EXPECT_TRUE(store.apply(request("sip:a@h", 600s, 3), Clock::now()));
}

}  // namespace registration_store
}  // namespace callcast::cluster
