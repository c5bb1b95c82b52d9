#include "rtsp/group_url.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace callcast::rtsp {
namespace {

GroupUrl parse_ok(std::string_view uri) {
  auto url = parse_group_url(uri);
  EXPECT_TRUE(url.ok()) << uri << ": " << (url.ok() ? "" : url.error());
  return url.ok() ? url.value() : GroupUrl{};
}

std::string error_of(std::string_view uri) {
  const auto url = parse_group_url(uri);
  EXPECT_FALSE(url.ok()) << uri << " was accepted";
  return url.ok() ? std::string() : url.error();
}

// --- the URLs real clients request ------------------------------------------------------------

TEST(GroupUrlParse, AggregateUrlWithToken) {
  EXPECT_EQ(parse_ok("rtsp://127.0.0.1:8554/groups/13800000001?token=abc.def"),
            (GroupUrl{"13800000001", "", "abc.def"}));
}

TEST(GroupUrlParse, GstreamerPutsTheControlBeforeTheQuery) {
  EXPECT_EQ(parse_ok("rtsp://127.0.0.1:8554/groups/13800000001/trackID=1?token=abc"),
            (GroupUrl{"13800000001", "trackID=1", "abc"}));
  EXPECT_EQ(parse_ok("rtsp://127.0.0.1:18555/groups/13800000001/stream=0?token="
                     "eyJnIjoiMTM4MDAwMDAwMDEifQ.c2lnbmF0dXJl"),
            (GroupUrl{"13800000001", "stream=0", "eyJnIjoiMTM4MDAwMDAwMDEifQ.c2lnbmF0dXJl"}));
}

TEST(GroupUrlParse, FfmpegAppendsTheControlAfterTheQuery) {
  EXPECT_EQ(parse_ok("rtsp://127.0.0.1:8554/groups/13800000001?token=abc/streamid=0"),
            (GroupUrl{"13800000001", "streamid=0", "abc"}));
}

TEST(GroupUrlParse, TrailingSlashMeansTheAggregate) {
  EXPECT_EQ(parse_ok("rtsp://[::1]:8554/groups/G/?token=t"), (GroupUrl{"G", "", "t"}));
  // ffmpeg and GStreamer PLAY the Content-Base, which ends in '/'.
  EXPECT_EQ(parse_ok("rtsp://127.0.0.1:18554/groups/13800000001/"),
            (GroupUrl{"13800000001", "", ""}));
}

TEST(GroupUrlParse, FfmpegControlAfterTrailingSlashAndQuery) {
  EXPECT_EQ(parse_ok("rtsp://h/groups/G/?token=t/streamid=1"), (GroupUrl{"G", "streamid=1", "t"}));
}

TEST(GroupUrlParse, BarePathIsAccepted) {
  EXPECT_EQ(parse_ok("/groups/G/stream=0?token=t"), (GroupUrl{"G", "stream=0", "t"}));
}

TEST(GroupUrlParse, TokenIsFoundAmongOtherQueryParameters) {
  EXPECT_EQ(parse_ok("rtsp://h/groups/G?x=1&token=t&y=2").token, "t");
  EXPECT_EQ(parse_ok("rtsp://h/groups/G?x=1&mytoken=u&token=t").token, "t");
}

TEST(GroupUrlParse, MissingTokenIsEmpty) {
  EXPECT_EQ(parse_ok("rtsp://h/groups/G").token, "");
  EXPECT_EQ(parse_ok("rtsp://h/groups/G?").token, "");
  EXPECT_EQ(parse_ok("rtsp://h/groups/G?x=1").token, "");
}

TEST(GroupUrlParse, SchemeIsCaseInsensitiveAndRtspsIsAccepted) {
  EXPECT_EQ(parse_ok("RTSP://h:1/groups/G?token=t").group, "G");
  EXPECT_EQ(parse_ok("rtsps://h:322/groups/G?token=t").group, "G");
}

TEST(GroupUrlParse, GroupTakesEveryTerminalNumberCharacter) {
  EXPECT_EQ(parse_ok("rtsp://h/groups/+86.138_0-0A").group, "+86.138_0-0A");
}

// --- refused
// --------------------------------------------------------------------------------------

TEST(GroupUrlParse, PathOutsideGroupsIsRefused) {
  EXPECT_EQ(error_of("rtsp://h:8554/live/G?token=t"), "not under /groups/");
  EXPECT_EQ(error_of("rtsp://h:8554/groups"), "not under /groups/");
  EXPECT_EQ(error_of("rtsp://h:8554"), "not under /groups/");
  EXPECT_EQ(error_of("*"), "not under /groups/");
  EXPECT_EQ(error_of("rtsp://h//groups/G"), "not under /groups/");
  EXPECT_EQ(error_of("rtsp://h/GROUPS/G"), "not under /groups/");
}

TEST(GroupUrlParse, UrlWithoutHostIsRefused) {
  EXPECT_FALSE(parse_group_url("rtsp:///groups/G").ok());
  EXPECT_FALSE(parse_group_url("rtsp://").ok());
}

TEST(GroupUrlParse, EmptyGroupIsRefused) {
  EXPECT_EQ(error_of("rtsp://h/groups/"), "empty group");
  EXPECT_EQ(error_of("rtsp://h/groups/?token=t"), "empty group");
  EXPECT_EQ(error_of("rtsp://h/groups//trackID=1"), "empty group");
}

TEST(GroupUrlParse, GroupWithOtherCharactersIsRefused) {
  for (const std::string_view uri :
       {"rtsp://h/groups/a%20b", "rtsp://h/groups/a b", "rtsp://h/groups/a#b",
        "rtsp://h/groups/a;b", "/groups/\xc3\xa9"}) {
    EXPECT_NE(error_of(uri).find("group has characters"), std::string::npos) << uri;
  }
}

TEST(GroupUrlParse, ControlOfMoreThanOneSegmentIsRefused) {
  EXPECT_EQ(error_of("rtsp://h/groups/G/a/b"), "control has more than one path segment");
  EXPECT_EQ(error_of("rtsp://h/groups/G/trackID=1/"), "control has more than one path segment");
  EXPECT_EQ(error_of("rtsp://h/groups/G?token=t/a/b"), "control has more than one path segment");
}

TEST(GroupUrlParse, ControlBothBeforeAndAfterTheQueryIsRefused) {
  EXPECT_FALSE(parse_group_url("rtsp://h/groups/G/trackID=1?token=t/streamid=0").ok());
}

TEST(GroupUrlParse, ControlWithOddCharactersIsRefused) {
  EXPECT_FALSE(parse_group_url("rtsp://h/groups/G/track%201").ok());
  EXPECT_FALSE(parse_group_url("rtsp://h/groups/G?x=a/b&token=t").ok());
}

TEST(GroupUrlParse, UrlOver2048BytesIsRefused) {
  const std::string prefix = "rtsp://h/groups/G?token=";
  const std::string at_limit = prefix + std::string(2048 - prefix.size(), 'a');
  EXPECT_TRUE(parse_group_url(at_limit).ok());
  EXPECT_FALSE(parse_group_url(at_limit + "a").ok());
}

TEST(GroupUrlParse, PercentEncodedTokenIsRefusedWithoutDecoding) {
  EXPECT_FALSE(parse_group_url("rtsp://h/groups/G?token=ab%2Ecd").ok());
  EXPECT_FALSE(parse_group_url("rtsp://h/groups/G?token=%").ok());
  EXPECT_FALSE(parse_group_url("rtsp://h/groups/G?token=%zz").ok());
}

TEST(GroupUrlParse, TwoTokensAreRefused) {
  EXPECT_EQ(error_of("rtsp://h/groups/G?token=a&token=b"), "more than one token");
}

// --- building
// ---------------------------------------------------------------------------------------

TEST(GroupUrlMake, AggregateUrlGivesGoldenText) {
  EXPECT_EQ(make_group_url("127.0.0.1", 8554, "13800000001", "abc.def"),
            "rtsp://127.0.0.1:8554/groups/13800000001?token=abc.def");
}

TEST(GroupUrlMake, ControlGoesBeforeTheQuery) {
  EXPECT_EQ(make_group_url("media.example", 554, "G", "t", "trackID=1"),
            "rtsp://media.example:554/groups/G/trackID=1?token=t");
}

TEST(GroupUrlMake, Ipv6HostGetsBracketsOnce) {
  EXPECT_EQ(make_group_url("::1", 8554, "G", "t"), "rtsp://[::1]:8554/groups/G?token=t");
  EXPECT_EQ(make_group_url("[::1]", 8554, "G", "t"), "rtsp://[::1]:8554/groups/G?token=t");
}

TEST(GroupUrlMake, EmptyTokenLeavesNoQuery) {
  EXPECT_EQ(make_group_url("h", 1, "G", ""), "rtsp://h:1/groups/G");
}

TEST(GroupUrlMake, MadeUrlsParseBack) {
  for (const auto& expected : {GroupUrl{"13800000001", "", "eyJn.c2ln"},
                               GroupUrl{"G", "streamid=1", "t"}, GroupUrl{"+86-1", "", ""}}) {
    for (const std::string_view host : {"127.0.0.1", "::1", "media.example"}) {
      EXPECT_EQ(
          parse_ok(make_group_url(host, 8554, expected.group, expected.token, expected.control)),
          expected);
    }
  }
}

}  // namespace
}  // namespace callcast::rtsp
