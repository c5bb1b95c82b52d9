#include "sipwire/iptv_sdp.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sdp/session_description.hpp"

namespace callcast::sip {
namespace {

using ::testing::HasSubstr;

const std::string kUrl = "rtsp://127.0.0.1:8554/groups/13800000001?token=abc.def";

sdp::SessionDescription parsed(const std::string& text) {
  auto description = sdp::SessionDescription::parse(text);
  EXPECT_TRUE(description) << description.error();
  return description ? *description : sdp::SessionDescription{};
}

TEST(IptvSdp, WithoutAnOfferCarriesTheUriOnAnIptvRtspLine) {
  auto body = make_iptv_sdp("", {kUrl, 42});
  ASSERT_TRUE(body);
  const auto sdp = parsed(*body);
  ASSERT_EQ(sdp.media.size(), 1u);
  EXPECT_EQ(sdp.media[0].media, "application");
  EXPECT_EQ(sdp.media[0].port, 8554);
  EXPECT_EQ(sdp.media[0].proto, "TCP");
  EXPECT_EQ(sdp.media[0].formats, std::vector<std::string>{"iptv_rtsp"});
  EXPECT_EQ(sdp.media[0].attribute("setup"), "passive");
  EXPECT_EQ(sdp.media[0].attribute("fmtp"), "iptv_rtsp h-uri=" + kUrl);
  EXPECT_EQ(sdp.attribute("rtsp-uri"), kUrl);
  EXPECT_THAT(*body, HasSubstr("c=IN IP4 127.0.0.1\r\n"));
  EXPECT_THAT(*body, HasSubstr("o=callcast 42 42 IN IP4 127.0.0.1\r\n"));
  EXPECT_EQ(rtsp_uri_from_sdp(*body), kUrl);
}

TEST(IptvSdp, AnswersAnIptvOfferLineForLine) {
  const std::string offer = make_iptv_offer("127.0.0.1");
  EXPECT_THAT(offer, HasSubstr("m=application 9 TCP iptv_rtsp\r\n"));
  EXPECT_THAT(offer, HasSubstr("a=setup:active\r\n"));
  auto body = make_iptv_sdp(offer, {kUrl, 1});
  ASSERT_TRUE(body);
  const auto sdp = parsed(*body);
  ASSERT_EQ(sdp.media.size(), 1u);
  EXPECT_EQ(sdp.media[0].port, 8554);
  EXPECT_EQ(rtsp_uri_from_sdp(*body), kUrl);
}

TEST(IptvSdp, RejectsAudioAndVideoOfAPhoneWithPortZeroAndKeepsTheUriAtSessionLevel) {
  const std::string offer =
      "v=0\r\no=- 1 1 IN IP4 10.0.0.2\r\ns=-\r\nc=IN IP4 10.0.0.2\r\nt=0 0\r\n"
      "m=audio 4000 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\n"
      "m=video 4002 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n";
  auto body = make_iptv_sdp(offer, {kUrl, 1});
  ASSERT_TRUE(body);
  const auto sdp = parsed(*body);
  ASSERT_EQ(sdp.media.size(), 2u);  // RFC 3264: one m= line per offered m= line
  EXPECT_EQ(sdp.media[0].media, "audio");
  EXPECT_EQ(sdp.media[0].port, 0);
  EXPECT_EQ(sdp.media[0].formats, (std::vector<std::string>{"0", "8"}));
  EXPECT_EQ(sdp.media[1].media, "video");
  EXPECT_EQ(sdp.media[1].port, 0);
  EXPECT_EQ(rtsp_uri_from_sdp(*body), kUrl);  // from a=rtsp-uri
}

TEST(IptvSdp, AcceptsOnlyTheFirstIptvLineAndKeepsTheOrderOfTheOffer) {
  const std::string offer =
      "v=0\r\no=- 1 1 IN IP4 10.0.0.2\r\ns=-\r\nt=0 0\r\n"
      "m=audio 4000 RTP/AVP 0\r\n"
      "m=application 9 TCP iptv_rtsp\r\n"
      "m=application 9 TCP iptv_rtsp\r\n";
  auto body = make_iptv_sdp(offer, {kUrl, 1});
  ASSERT_TRUE(body);
  const auto sdp = parsed(*body);
  ASSERT_EQ(sdp.media.size(), 3u);
  EXPECT_EQ(sdp.media[0].port, 0);
  EXPECT_EQ(sdp.media[1].port, 8554);
  EXPECT_EQ(sdp.media[2].port, 0);
}

TEST(IptvSdp, RefusesIptvOverAnotherTransport) {
  const std::string offer =
      "v=0\r\no=- 1 1 IN IP4 10.0.0.2\r\ns=-\r\nt=0 0\r\nm=application 9 UDP iptv_rtsp\r\n";
  auto body = make_iptv_sdp(offer, {kUrl, 1});
  ASSERT_FALSE(body);
  EXPECT_THAT(body.error().reason, HasSubstr("TCP"));
}

TEST(IptvSdp, RefusesTextThatIsNotSdp) {
  auto body = make_iptv_sdp("hello world\r\n", {kUrl, 1});
  ASSERT_FALSE(body);
  EXPECT_THAT(body.error().reason, HasSubstr("malformed SDP"));
}

TEST(IptvSdp, WritesIpv6HostsAsIp6) {
  auto body = make_iptv_sdp("", {"rtsp://[::1]:8554/groups/1?token=x", 1});
  ASSERT_TRUE(body);
  EXPECT_THAT(*body, HasSubstr("c=IN IP6 ::1\r\n"));
}

TEST(IptvSdp, UsesTheRtspDefaultPortWhenTheUrlHasNone) {
  auto body = make_iptv_sdp("", {"rtsp://media.example/groups/1?token=x", 1});
  ASSERT_TRUE(body);
  EXPECT_THAT(*body, HasSubstr("m=application 554 TCP iptv_rtsp\r\n"));
}

TEST(IptvSdp, FindsNoUriInSdpWithoutOne) {
  EXPECT_EQ(rtsp_uri_from_sdp("v=0\r\ns=-\r\nm=audio 0 RTP/AVP 0\r\n"), "");
  EXPECT_EQ(rtsp_uri_from_sdp("garbage"), "");
}

TEST(IptvSdp, TheTerminalsOfferSaysWhichWayItGoes) {
  const std::string broadcast = make_iptv_offer("127.0.0.1", IptvDirection::sendonly);
  const std::string watch = make_iptv_offer("127.0.0.1", IptvDirection::recvonly);
  EXPECT_THAT(broadcast, HasSubstr("m=application 9 TCP iptv_rtsp\r\n"));
  EXPECT_EQ(parsed(broadcast).media[0].attribute("sendonly"), "");
  EXPECT_EQ(parsed(watch).media[0].attribute("recvonly"), "");
  EXPECT_EQ(make_iptv_offer("127.0.0.1").find("only"), std::string::npos)
      << "the old form has no direction";
}

TEST(IptvSdp, SummarizesTheDirectionOfTheIptvLine) {
  auto sendonly = summarize_iptv_offer(make_iptv_offer("127.0.0.1", IptvDirection::sendonly));
  ASSERT_TRUE(sendonly);
  EXPECT_TRUE(sendonly->has_offer);
  EXPECT_TRUE(sendonly->has_iptv);
  EXPECT_EQ(sendonly->direction, IptvDirection::sendonly);
  auto recvonly = summarize_iptv_offer(make_iptv_offer("127.0.0.1", IptvDirection::recvonly));
  ASSERT_TRUE(recvonly);
  EXPECT_EQ(recvonly->direction, IptvDirection::recvonly);
  auto old_form = summarize_iptv_offer(make_iptv_offer("127.0.0.1"));
  ASSERT_TRUE(old_form);
  EXPECT_TRUE(old_form->has_iptv);
  EXPECT_EQ(old_form->direction, IptvDirection::unspecified) << "still accepted";
}

TEST(IptvSdp, ASessionLevelDirectionAppliesWhenTheLineHasNone) {
  const std::string offer =
      "v=0\r\no=- 1 1 IN IP4 10.0.0.2\r\ns=-\r\nt=0 0\r\na=recvonly\r\n"
      "m=application 9 TCP iptv_rtsp\r\na=setup:active\r\n";
  auto summary = summarize_iptv_offer(offer);
  ASSERT_TRUE(summary);
  EXPECT_EQ(summary->direction, IptvDirection::recvonly);
  // The media level wins over the session level (RFC 4566 §6).
  const std::string overridden =
      "v=0\r\no=- 1 1 IN IP4 10.0.0.2\r\ns=-\r\nt=0 0\r\na=recvonly\r\n"
      "m=application 9 TCP iptv_rtsp\r\na=sendonly\r\n";
  EXPECT_EQ(summarize_iptv_offer(overridden)->direction, IptvDirection::sendonly);
}

TEST(IptvSdp, APhonesAudioVideoOfferHasNoIptvLine) {
  const std::string offer =
      "v=0\r\no=- 1 1 IN IP4 10.0.0.2\r\ns=-\r\nc=IN IP4 10.0.0.2\r\nt=0 0\r\n"
      "m=audio 4000 RTP/AVP 0\r\nm=video 4002 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n";
  auto summary = summarize_iptv_offer(offer);
  ASSERT_TRUE(summary);
  EXPECT_TRUE(summary->has_offer);
  EXPECT_FALSE(summary->has_iptv);
  // Rejected (port 0) or over UDP does not count as usable either.
  auto rejected = summarize_iptv_offer(
      "v=0\r\no=- 1 1 IN IP4 10.0.0.2\r\ns=-\r\nt=0 0\r\nm=application 0 TCP iptv_rtsp\r\n"
      "m=application 9 UDP iptv_rtsp\r\n");
  ASSERT_TRUE(rejected);
  EXPECT_FALSE(rejected->has_iptv);
}

TEST(IptvSdp, NoOfferAndGarbageAreToldApart) {
  auto none = summarize_iptv_offer(" \r\n");
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_offer);
  auto garbage = summarize_iptv_offer("not sdp");
  ASSERT_FALSE(garbage);
  EXPECT_THAT(garbage.error().reason, HasSubstr("malformed SDP"));
}

TEST(IptvSdp, TheAnswerReversesTheOfferedDirection) {
  auto to_broadcaster =
      make_iptv_sdp(make_iptv_offer("127.0.0.1", IptvDirection::sendonly), {kUrl, 1});
  ASSERT_TRUE(to_broadcaster);
  EXPECT_EQ(parsed(*to_broadcaster).media[0].attribute("recvonly"), "");
  auto to_viewer = make_iptv_sdp(make_iptv_offer("127.0.0.1", IptvDirection::recvonly), {kUrl, 1});
  ASSERT_TRUE(to_viewer);
  EXPECT_EQ(parsed(*to_viewer).media[0].attribute("sendonly"), "");
  EXPECT_EQ(rtsp_uri_from_sdp(*to_viewer), kUrl);
  auto old_form = make_iptv_sdp(make_iptv_offer("127.0.0.1"), {kUrl, 1});
  ASSERT_TRUE(old_form);
  EXPECT_EQ(old_form->find("only"), std::string::npos) << *old_form;
}

}  // namespace
}  // namespace callcast::sip
