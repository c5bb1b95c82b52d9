// The line a terminal's user reads for each way the network side can refuse (issue 4: "bad
// password, server unreachable, 486/480/503 with the reason").
#include "terminal/sip_outcome.hpp"

#include <gtest/gtest.h>

namespace callcast::terminal {
namespace {

sipua::Response response(int status, std::string phrase,
                         std::optional<std::string> warning = std::nullopt,
                         std::optional<std::string> retry_after = std::nullopt) {
  sipua::Response r;
  r.method = "INVITE";
  r.status = status;
  r.phrase = std::move(phrase);
  r.warning = std::move(warning);
  r.retry_after = std::move(retry_after);
  return r;
}

TEST(SipOutcome, TheServersOwnWordsComeFirst) {
  EXPECT_EQ(describe_call_failure(response(480, "Temporarily Unavailable",
                                           "399 callcast \"1001 is not broadcasting\""),
                                  "1001", "127.0.0.1:5060"),
            "1001 is not broadcasting (480 Temporarily Unavailable)");
  EXPECT_EQ(describe_call_failure(
                response(486, "Busy Here", "399 callcast \"1001 is already broadcasting\""), "777",
                "127.0.0.1:5060"),
            "1001 is already broadcasting (486 Busy Here)");
  EXPECT_EQ(describe_call_failure(response(503, "Service Unavailable",
                                           "399 callcast \"media side: no free group\"", "5"),
                                  "777", "s"),
            "media side: no free group (503 Service Unavailable, retry after 5 s)");
}

TEST(SipOutcome, WithoutWordsTheStatusSaysIt) {
  EXPECT_EQ(describe_call_failure(response(404, "Not Found"), "1009", "s"),
            "1009 is not a known number (404 Not Found)");
  EXPECT_EQ(describe_call_failure(response(480, "Temporarily Unavailable"), "1001", "s"),
            "1001 is not broadcasting (480 Temporarily Unavailable)");
  EXPECT_EQ(describe_call_failure(response(486, "Busy Here"), "1001", "s"),
            "1001 is busy (486 Busy Here)");
  EXPECT_EQ(describe_call_failure(response(403, "Forbidden"), "1001", "s"),
            "the server refused our credentials (403 Forbidden)");
  EXPECT_EQ(describe_call_failure(response(488, "Not Acceptable Here"), "777", "s"),
            "the call to 777 failed (488 Not Acceptable Here)");
}

TEST(SipOutcome, NoAnswerFromTheServerIsUnreachable) {
  EXPECT_TRUE(is_local_failure(response(408, "Request Timeout")));
  EXPECT_TRUE(is_local_failure(response(503, "Service Unavailable")));
  EXPECT_FALSE(is_local_failure(response(503, "Service Unavailable", std::nullopt, "5")));
  EXPECT_FALSE(is_local_failure(response(408, "Request Timeout", "399 callcast \"media\"")));
  EXPECT_EQ(describe_call_failure(response(408, "Request Timeout"), "777", "127.0.0.1:5999"),
            "the SIP server 127.0.0.1:5999 did not answer");
  // The network side's own 408 (the master's media never connected) carries its words.
  EXPECT_EQ(describe_call_failure(
                response(408, "Request Timeout",
                         "399 callcast \"the broadcast's media did not connect within 15 s\""),
                "777", "s"),
            "the broadcast's media did not connect within 15 s (408 Request Timeout)");
}

TEST(SipOutcome, RegisterFailuresNameTheAccount) {
  sipua::Response forbidden = response(403, "Forbidden");
  forbidden.method = "REGISTER";
  EXPECT_EQ(describe_register_failure(forbidden, "1001", "s"),
            "wrong password for 1001, or no such user (403 Forbidden)");
  EXPECT_EQ(describe_register_failure(response(503, "Service Unavailable"), "1001", "h:1"),
            "the SIP server h:1 cannot be reached (refused or unreachable)");
  sipua::Response internal = response(904, "No matching challenge");
  EXPECT_EQ(describe_register_failure(internal, "1001", "h:1"),
            "the SIP server h:1 cannot be reached (904 No matching challenge)");
  EXPECT_EQ(describe_register_failure(response(503, "Service Unavailable",
                                               "399 callcast \"too many registrations\"", "30"),
                                      "1001", "s"),
            "registration of 1001 refused: too many registrations (503 Service Unavailable, "
            "retry after 30 s)");
}

}  // namespace
}  // namespace callcast::terminal
