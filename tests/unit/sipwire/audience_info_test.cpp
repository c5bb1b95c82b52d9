#include "sipwire/audience_info.hpp"

#include <gtest/gtest.h>

namespace callcast::sip {
namespace {

TEST(AudienceInfo, TheBodyIsTheViewerCountAsJson) {
  EXPECT_EQ(make_audience_body(0), R"({"viewers":0})");
  EXPECT_EQ(make_audience_body(2), R"({"viewers":2})");
  EXPECT_EQ(make_audience_body(100000), R"({"viewers":100000})");
}

TEST(AudienceInfo, ReadsBackWhatItWrites) {
  for (const std::size_t n : {0u, 1u, 7u, 4096u}) {
    EXPECT_EQ(read_audience_body(make_audience_body(n)), n);
  }
}

TEST(AudienceInfo, IgnoresMembersItDoesNotKnowAndWhiteSpace) {
  EXPECT_EQ(read_audience_body(" { \"peak\": 9, \"viewers\" : 3 }\r\n"), 3u);
}

TEST(AudienceInfo, RefusesAnythingElse) {
  for (const char* body : {"", "viewers=3", "{}", R"({"viewers":-1})", R"({"viewers":1.5})",
                           R"({"viewers":"3"})", R"([3])", R"({"viewers":3)", "null"}) {
    EXPECT_FALSE(read_audience_body(body)) << body;
  }
}

TEST(AudienceInfo, RecvInfoListsThePackageAmongOthersWithParameters) {
  EXPECT_TRUE(recv_info_lists("callcast-audience", kAudiencePackage));
  EXPECT_TRUE(recv_info_lists("foo, Callcast-Audience;x=1 ,bar", kAudiencePackage));
  EXPECT_FALSE(recv_info_lists("", kAudiencePackage)) << "an empty Recv-Info takes nothing";
  EXPECT_FALSE(recv_info_lists("callcast-audiences, callcast", kAudiencePackage));
  EXPECT_FALSE(recv_info_lists(" , ;, ", kAudiencePackage));
}

}  // namespace
}  // namespace callcast::sip
