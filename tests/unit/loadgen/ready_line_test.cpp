// callcastd's ready line as the load generator and the e2e fixture read it (loadgen/ready_line).
#include "loadgen/ready_line.hpp"

#include <gtest/gtest.h>

namespace callcast::loadgen {
namespace {

TEST(ReadyLine, ReadsEveryFieldOfTheAllRole) {
  const auto ready = parse_ready_line(
      "callcastd ready rtsp=127.0.0.1:41234 http=127.0.0.1:40111 rtp=50000-50001 "
      "sip=127.0.0.1:45060");
  ASSERT_TRUE(ready) << ready.error();
  EXPECT_EQ(ready->http, (core::HostPort{"127.0.0.1", 40111}));
  ASSERT_TRUE(ready->rtsp);
  EXPECT_EQ(*ready->rtsp, (core::HostPort{"127.0.0.1", 41234}));
  EXPECT_EQ(ready->rtp_port, 50000);
  EXPECT_EQ(ready->rtcp_port, 50001);
  ASSERT_TRUE(ready->sip);
  EXPECT_EQ(*ready->sip, (core::HostPort{"127.0.0.1", 45060}));
}

TEST(ReadyLine, ReadsTheSignalingRoleWithoutMedia) {
  const auto ready = parse_ready_line("callcastd ready http=[::1]:8080 sip=[::1]:5060");
  ASSERT_TRUE(ready) << ready.error();
  EXPECT_EQ(ready->http.host, "::1");
  EXPECT_FALSE(ready->rtsp);
  EXPECT_EQ(ready->rtp_port, 0);
  ASSERT_TRUE(ready->sip);
  EXPECT_EQ(ready->sip->port, 5060);
}

TEST(ReadyLine, ReadsTheMediaRoleWithoutSip) {
  const auto ready =
      parse_ready_line("callcastd ready rtsp=127.0.0.1:8554 http=127.0.0.1:8080 rtp=8000-8001");
  ASSERT_TRUE(ready) << ready.error();
  EXPECT_FALSE(ready->sip);
}

TEST(ReadyLine, RejectsWhatCallcastdNeverPrints) {
  for (const char* line : {
           "callcast ready http=127.0.0.1:1",                             // another program
           "callcastd ready",                                             // no http=
           "callcastd ready http=127.0.0.1:0",                            // port 0
           "callcastd ready http=127.0.0.1:1 tls=127.0.0.1:2",            // unknown field
           "callcastd ready http=127.0.0.1:1 http=127.0.0.1:2",           // twice
           "callcastd ready http=127.0.0.1:1 rtsp=127.0.0.1:2",           // rtsp= without rtp=
           "callcastd ready http=127.0.0.1:1 rtp=8000-8001",              // rtp= without rtsp=
           "callcastd ready http=127.0.0.1:1 rtsp=127.0.0.1:2 rtp=8000",  // not a pair
           "callcastd ready http=127.0.0.1:1 rtsp=127.0.0.1:2 rtp=0-1",   // port 0
           "callcastd ready http",                                        // no '='
       }) {
    EXPECT_FALSE(parse_ready_line(line)) << line;
  }
}

}  // namespace
}  // namespace callcast::loadgen
