#include "sip/audience_pacer.hpp"

#include <gtest/gtest.h>

namespace callcast::sip::audience_pacer_test {
namespace {

using namespace std::chrono_literals;
using Kind = AudiencePacer::Action::Kind;

class AudiencePacerTest : public ::testing::Test {
 protected:
  AudiencePacer::Clock::time_point at(std::chrono::milliseconds offset) const {
    return start_ + offset;
  }

  AudiencePacer pacer_{1s};
  AudiencePacer::Clock::time_point start_ = AudiencePacer::Clock::now();
};

TEST_F(AudiencePacerTest, TheFirstChangeGoesAtOnce) {
  const auto action = pacer_.on_count(1, at(0ms));
  EXPECT_EQ(action.kind, Kind::send);
  EXPECT_EQ(action.viewers, 1u);
}

TEST_F(AudiencePacerTest, NoChangeFromZeroSendsNothing) {
  EXPECT_EQ(pacer_.on_count(0, at(0ms)).kind, Kind::none);
}

TEST_F(AudiencePacerTest, OneOutstandingAtATimeAndTheLatestCountWins) {
  ASSERT_EQ(pacer_.on_count(1, at(0ms)).kind, Kind::send);
  // Joins while the first INFO is out: nothing goes until it is answered.
  EXPECT_EQ(pacer_.on_count(2, at(100ms)).kind, Kind::none);
  EXPECT_EQ(pacer_.on_count(3, at(200ms)).kind, Kind::none);
  // Answered within the second: wait out the rest of it.
  const auto wait = pacer_.on_answered(200, at(300ms));
  ASSERT_EQ(wait.kind, Kind::wait);
  EXPECT_EQ(wait.wait, 700ms);
  EXPECT_EQ(pacer_.on_count(4, at(500ms)).kind, Kind::none) << "already waiting";
  const auto sent = pacer_.on_timer(at(1000ms));
  ASSERT_EQ(sent.kind, Kind::send);
  EXPECT_EQ(sent.viewers, 4u) << "one INFO with the count after the burst";
}

TEST_F(AudiencePacerTest, AtMostOnePerInterval) {
  ASSERT_EQ(pacer_.on_count(1, at(0ms)).kind, Kind::send);
  EXPECT_EQ(pacer_.on_answered(200, at(10ms)).kind, Kind::none) << "nothing new to say";
  const auto wait = pacer_.on_count(2, at(400ms));
  ASSERT_EQ(wait.kind, Kind::wait);
  EXPECT_EQ(wait.wait, 600ms);
  EXPECT_EQ(pacer_.on_timer(at(1000ms)).viewers, 2u);
  EXPECT_EQ(pacer_.on_answered(200, at(1010ms)).kind, Kind::none);
  // Long after the last one: at once.
  const auto later = pacer_.on_count(1, at(5000ms));
  EXPECT_EQ(later.kind, Kind::send);
  EXPECT_EQ(later.viewers, 1u);
}

TEST_F(AudiencePacerTest, AChangeAndItsReversalWithinTheWaitSendNothing) {
  ASSERT_EQ(pacer_.on_count(1, at(0ms)).kind, Kind::send);
  pacer_.on_answered(200, at(10ms));
  ASSERT_EQ(pacer_.on_count(2, at(100ms)).kind, Kind::wait);
  pacer_.on_count(1, at(200ms));
  EXPECT_EQ(pacer_.on_timer(at(1000ms)).kind, Kind::none) << "the terminal already shows 1";
  EXPECT_EQ(pacer_.reported(), 1u);
}

TEST_F(AudiencePacerTest, AFailedInfoStopsTheReports) {
  ASSERT_EQ(pacer_.on_count(1, at(0ms)).kind, Kind::send);
  EXPECT_EQ(pacer_.on_answered(469, at(10ms)).kind, Kind::none);
  EXPECT_TRUE(pacer_.stopped());
  EXPECT_EQ(pacer_.on_count(5, at(5000ms)).kind, Kind::none);
}

}  // namespace
}  // namespace callcast::sip::audience_pacer_test
