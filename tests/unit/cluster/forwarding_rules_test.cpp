// One behaviour for every keeper of the forwarding rules (patent step [0154]): the same tests
// run against the single node's SQLite file (forwarding::ForwardingStore) and the cluster's
// Redis (RedisForwardingRules), so that the network side and the Ut API cannot tell them apart.
// What only one of them has (durability on disk, a Redis that goes away) is tested beside.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "cluster/redis_forwarding_rules.hpp"
#include "forwarding/forwarding_store.hpp"
#include "redis_test.hpp"

namespace callcast::cluster {
namespace {

using forwarding::ForwardingRules;
using ::testing::HasSubstr;

struct SqliteRules {
  static std::unique_ptr<ForwardingRules> open(const test::TempDir& dir, const test::RedisServer&) {
    auto store = forwarding::ForwardingStore::open(dir / "forwarding.sqlite");
    EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error());
    return store.ok() ? std::move(store).value() : nullptr;
  }
};

struct RedisRules {
  static std::unique_ptr<ForwardingRules> open(const test::TempDir&,
                                               const test::RedisServer& redis) {
    return std::make_unique<RedisForwardingRules>(redis.address());
  }
};

template <class Keeper>
class ForwardingRulesTest : public test::RedisTest {
 protected:
  void SetUp() override {
    test::RedisTest::SetUp();
    rules_ = Keeper::open(dir_, redis_);
    ASSERT_NE(rules_, nullptr);
  }

  // The rule of `number`; "<none>" without one, "<error> ..." on failure.
  std::string target_of(std::string_view number) {
    auto target = rules_->unconditional_target(number);
    if (!target.ok()) return "<error> " + target.error();
    return target->value_or("<none>");
  }

  std::unique_ptr<ForwardingRules> rules_;
};

using Keepers = ::testing::Types<SqliteRules, RedisRules>;
class KeeperNames {
 public:
  template <class T>
  static std::string GetName(int) {
    return std::is_same_v<T, SqliteRules> ? "Sqlite" : "Redis";
  }
};
TYPED_TEST_SUITE(ForwardingRulesTest, Keepers, KeeperNames);

TYPED_TEST(ForwardingRulesTest, NumberWithoutRuleHasNoTarget) {
  EXPECT_EQ(this->target_of("1001"), "<none>");
  EXPECT_EQ(*this->rules_->count(), 0U);
}

TYPED_TEST(ForwardingRulesTest, SetRuleReadsBack) {
  auto created = this->rules_->set_unconditional("1001", "777");
  ASSERT_TRUE(created.ok()) << created.error();
  EXPECT_FALSE(*created) << "a first rule is created, not replaced";
  EXPECT_EQ(this->target_of("1001"), "777");
  EXPECT_EQ(this->target_of("1002"), "<none>") << "rules are per number";
  EXPECT_EQ(*this->rules_->count(), 1U);
}

TYPED_TEST(ForwardingRulesTest, SetReplacesTheRuleAndSaysSo) {
  ASSERT_TRUE(this->rules_->set_unconditional("1001", "777").ok());
  auto replaced = this->rules_->set_unconditional("1001", "1005");
  ASSERT_TRUE(replaced.ok()) << replaced.error();
  EXPECT_TRUE(*replaced);
  EXPECT_EQ(this->target_of("1001"), "1005");
  EXPECT_EQ(*this->rules_->count(), 1U) << "one rule per number";
}

TYPED_TEST(ForwardingRulesTest, ClearRemovesTheRuleOnceAndSaysSo) {
  ASSERT_TRUE(this->rules_->set_unconditional("1001", "777").ok());
  ASSERT_TRUE(this->rules_->set_unconditional("1002", "777").ok());
  EXPECT_TRUE(*this->rules_->clear_unconditional("1001"));
  EXPECT_FALSE(*this->rules_->clear_unconditional("1001")) << "nothing left to clear";
  EXPECT_EQ(this->target_of("1001"), "<none>");
  EXPECT_EQ(this->target_of("1002"), "777") << "other numbers keep their rules";
  EXPECT_EQ(*this->rules_->count(), 1U);
}

TYPED_TEST(ForwardingRulesTest, ClearIfKeepsARuleTheUserChangedMeanwhile) {
  ASSERT_TRUE(this->rules_->set_unconditional("1001", "777").ok());    // 708: the master's rule
  ASSERT_TRUE(this->rules_->set_unconditional("1001", "1005").ok());   // the user changed it
  auto cleared = this->rules_->clear_unconditional_if("1001", "777");  // the broadcast ends
  ASSERT_TRUE(cleared.ok()) << cleared.error();
  EXPECT_FALSE(*cleared);
  EXPECT_EQ(this->target_of("1001"), "1005");

  EXPECT_TRUE(*this->rules_->clear_unconditional_if("1001", "1005"));
  EXPECT_EQ(this->target_of("1001"), "<none>");
  EXPECT_FALSE(*this->rules_->clear_unconditional_if("1001", "1005"));
  EXPECT_FALSE(*this->rules_->clear_unconditional_if("1009", "777")) << "no rule at all";
}

TYPED_TEST(ForwardingRulesTest, TargetsAreKeptAsWritten) {
  for (const std::string target :
       {"sip:1005@example.org;user=phone", "+33 1 23 45 67 89", "%s%n"}) {
    ASSERT_TRUE(this->rules_->set_unconditional("1001", target).ok());
    EXPECT_EQ(this->target_of("1001"), target);
  }
}

TYPED_TEST(ForwardingRulesTest, CountCoversManyRules) {
  for (int i = 0; i < 150; ++i) {
    ASSERT_TRUE(this->rules_->set_unconditional(std::to_string(3000 + i), "777").ok());
  }
  EXPECT_EQ(*this->rules_->count(), 150U);
}

// The SIP thread reads while the HTTP thread writes: every read sees a whole rule.
TYPED_TEST(ForwardingRulesTest, ReadsDuringWritesSeeWholeRules) {
  std::atomic<bool> writing{true};
  std::atomic<int> bad_reads{0};
  std::thread reader([&] {
    while (writing.load()) {
      const std::string target = this->target_of("1001");
      if (target != "<none>" && target != "777" && target != "1005") ++bad_reads;
    }
  });
  for (int i = 0; i < 40; ++i) {
    EXPECT_TRUE(this->rules_->set_unconditional("1001", i % 2 == 0 ? "777" : "1005").ok());
    if (i % 5 == 0) {
      EXPECT_TRUE(this->rules_->clear_unconditional("1001").ok());
    }
  }
  writing = false;
  reader.join();
  EXPECT_EQ(bad_reads.load(), 0);
}

// ---- Redis only ------------------------------------------------------------------------------

class RedisForwardingRulesTest : public test::RedisTest {
 protected:
  RedisForwardingRules rules_{redis_.address()};
};

TEST_F(RedisForwardingRulesTest, RuleIsAStringKeyEveryNodeReads) {
  ASSERT_TRUE(rules_.set_unconditional("1001", "777").ok());
  RedisForwardingRules other_node(redis_.address());
  EXPECT_EQ(other_node.unconditional_target("1001")->value_or(""), "777");
  RedisClient inspector(redis_.address());
  EXPECT_EQ(inspector.string_or_nil({"GET", "callcast:fwd:1001"})->value_or(""), "777");
  EXPECT_EQ(*inspector.integer({"PTTL", "callcast:fwd:1001"}), -1) << "rules do not expire";
}

// The user's change lands between the master's broadcast ending and its clear: many rounds of
// the race, and the user's rule is never erased.
TEST_F(RedisForwardingRulesTest, ConditionalClearNeverErasesAConcurrentChange) {
  RedisForwardingRules user(redis_.address());
  for (int round = 0; round < 100; ++round) {
    ASSERT_TRUE(rules_.set_unconditional("1001", "777").ok());
    std::thread change([&] { EXPECT_TRUE(user.set_unconditional("1001", "1005").ok()); });
    auto cleared = rules_.clear_unconditional_if("1001", "777");
    change.join();
    ASSERT_TRUE(cleared.ok()) << cleared.error();
    const auto target = rules_.unconditional_target("1001");
    ASSERT_TRUE(target.ok());
    // Either the clear came first (and the user's rule was written after) or the change did
    // (and the clear left it): the user's rule is there in both cases.
    EXPECT_EQ(target->value_or("<none>"), "1005") << "round " << round;
  }
}

TEST_F(RedisForwardingRulesTest, RedisDownFailsNamingItAndRecovers) {
  ASSERT_TRUE(rules_.set_unconditional("1001", "777").ok());
  redis_.stop();
  const std::string server = "redis 127.0.0.1:" + std::to_string(redis_.port());
  auto read = rules_.unconditional_target("1001");
  ASSERT_FALSE(read.ok());
  EXPECT_THAT(read.error(), HasSubstr(server + ": GET callcast:fwd:1001: "));
  auto write = rules_.set_unconditional("1001", "1005");
  ASSERT_FALSE(write.ok());
  EXPECT_THAT(write.error(), HasSubstr(server + ": SET callcast:fwd:1001: cannot connect"));
  EXPECT_THAT(rules_.clear_unconditional_if("1001", "777").error(),
              HasSubstr(server + ": EVALSHA forwarding-clear-if"));
  EXPECT_THAT(rules_.count().error(), HasSubstr(server + ": SCAN callcast:fwd:*"));

  ASSERT_TRUE(redis_.start()) << redis_.error();
  ASSERT_TRUE(rules_.set_unconditional("1001", "1005").ok());
  EXPECT_TRUE(*rules_.clear_unconditional_if("1001", "1005"));
}

}  // namespace
}  // namespace callcast::cluster
