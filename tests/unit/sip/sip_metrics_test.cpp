#include "sip/sip_metrics.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace callcast::sip::sip_metrics_test {
namespace {

using namespace std::chrono_literals;
using Kind = SipMetrics::InviteKind;

TEST(SipMetrics, FinalResponsesAreCountedByKindAndStatusAndProvisionalOnesIgnored) {
  SipMetrics metrics;
  metrics.invite_answered(Kind::service, 183);
  metrics.invite_answered(Kind::service, 200);
  metrics.invite_answered(Kind::viewer, 486);
  metrics.invite_answered(Kind::viewer, 486);
  metrics.invite_answered(Kind::unclassified, 401);
  EXPECT_EQ(metrics.answered(Kind::service, 183), 0U);
  EXPECT_EQ(metrics.answered(Kind::service, 200), 1U);
  EXPECT_EQ(metrics.answered(Kind::viewer, 486), 2U);
  EXPECT_EQ(metrics.answered(Kind::unclassified, 401), 1U);
  EXPECT_EQ(metrics.answered(Kind::viewer, 200), 0U);

  stats::Exposition out;
  metrics.expose(out);
  const std::string text = out.text();
  EXPECT_NE(text.find("callcast_sip_invite_responses_total{kind=\"service\",status=\"200\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("callcast_sip_invite_responses_total{kind=\"viewer\",status=\"486\"} 2\n"),
            std::string::npos);
  EXPECT_NE(
      text.find("callcast_sip_invite_responses_total{kind=\"unclassified\",status=\"401\"} 1\n"),
      std::string::npos);
  EXPECT_EQ(text.find("status=\"183\""), std::string::npos);
}

TEST(SipMetrics, SetUpTimesGoToTheHistogramOfTheirKind) {
  SipMetrics metrics;
  metrics.call_set_up(Kind::service, 1500ms);
  metrics.call_set_up(Kind::viewer, 20ms);
  metrics.call_set_up(Kind::viewer, 40ms);
  EXPECT_EQ(metrics.setup_times(Kind::service).count(), 1U);
  EXPECT_DOUBLE_EQ(metrics.setup_times(Kind::service).sum(), 1.5);
  EXPECT_EQ(metrics.setup_times(Kind::viewer).count(), 2U);
  EXPECT_DOUBLE_EQ(metrics.setup_times(Kind::viewer).sum(), 0.06);

  stats::Exposition out;
  metrics.expose(out);
  const std::string text = out.text();
  EXPECT_NE(text.find("callcast_sip_setup_seconds_count{kind=\"service\"} 1\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("callcast_sip_setup_seconds_bucket{kind=\"viewer\",le=\"0.025\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("callcast_sip_setup_seconds_bucket{kind=\"viewer\",le=\"0.05\"} 2\n"),
            std::string::npos);
}

TEST(SipMetrics, WithoutAnswersTheFamiliesAreStillListed) {
  stats::Exposition out;
  SipMetrics().expose(out);
  const std::string text = out.text();
  EXPECT_NE(text.find("# TYPE callcast_sip_invite_responses_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("callcast_sip_setup_seconds_count{kind=\"viewer\"} 0\n"), std::string::npos);
}

}  // namespace
}  // namespace callcast::sip::sip_metrics_test
