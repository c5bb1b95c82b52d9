#include "webrtc/webrtc_answer.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>

#include "sdp/session_description.hpp"
#include "unit/webrtc/webrtc_offers.hpp"

namespace callcast::webrtc::webrtc_answer_test {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using testing::kGstreamerWhipOffer;
using testing::kWhepOffer;
using testing::kWhipOffer;
using testing::real_offer;

constexpr std::string_view kServerFingerprint =
    "0F:1E:2D:3C:4B:5A:69:78:87:96:A5:B4:C3:D2:E1:F0:0F:1E:2D:3C:4B:5A:69:78:87:96:A5:B4:C3:D2:"
    "E1:F0";

WebRtcAnswerParams server(std::string address = "192.0.2.1") {
  return WebRtcAnswerParams{"srvu",
                            "server-password-0123456789",
                            std::string(kServerFingerprint),
                            std::move(address),
                            8000,
                            4242,
                            "callcast-cname"};
}

sdp::SessionDescription parsed(const std::string& answer) {
  auto description = sdp::SessionDescription::parse(answer);
  EXPECT_TRUE(description) << description.error() << "\n" << answer;
  return description ? std::move(description).value() : sdp::SessionDescription{};
}

std::vector<std::string> lines_of(const std::vector<sdp::Line>& lines) {
  std::vector<std::string> text;
  for (const auto& line : lines)
    text.push_back(std::string(1, line.type) + "=" + line.value);
  return text;
}

// What a WHEP viewer's answer holds: the group's H.264 42e01f and Opus, sent by the server.
std::vector<AnswerMedia> whep_media(const WebRtcOffer& offer) {
  constexpr std::array<std::string_view, 1> kOpus{"opus"};
  std::vector<AnswerMedia> media;
  for (const auto& line : offer.media) {
    AnswerMedia answer;
    answer.direction = "sendonly";
    answer.msid_stream = "callcast";
    if (line.kind == "video") {
      const auto codec = choose_h264(line, "42e01f");
      EXPECT_TRUE(codec);
      answer.accepted = codec.has_value();
      if (codec) answer.codec = *codec;
      answer.ssrc = 0x11111111;
      answer.rtx_ssrc = 0x22222222;
    } else {
      const auto codec = choose_audio(line, kOpus);
      EXPECT_TRUE(codec);
      answer.accepted = codec.has_value();
      if (codec) answer.codec = *codec;
      answer.ssrc = 0x33333333;
    }
    media.push_back(answer);
  }
  return media;
}

TEST(WebRtcAnswer, AnswersChromiumsWhepOfferLineByLine) {
  const auto offer = real_offer(kWhepOffer);
  const auto media = whep_media(offer);
  const std::string answer = build_webrtc_answer(offer, server(), media);
  EXPECT_EQ(answer.find("\r\n\r\n"), std::string::npos);
  EXPECT_EQ(answer.substr(answer.size() - 2), "\r\n");
  const auto description = parsed(answer);

  EXPECT_THAT(lines_of(description.session),
              ElementsAre("v=0", "o=- 4242 2 IN IP4 192.0.2.1", "s=-", "t=0 0", "a=ice-lite",
                          "a=group:BUNDLE 0 1", "a=msid-semantic: WMS *"));
  ASSERT_EQ(description.media.size(), 2u);
  const auto transport = [](std::string_view mid) {
    return std::vector<std::string>{"c=IN IP4 192.0.2.1",
                                    "a=mid:" + std::string(mid),
                                    "a=ice-ufrag:srvu",
                                    "a=ice-pwd:server-password-0123456789",
                                    "a=fingerprint:sha-256 " + std::string(kServerFingerprint),
                                    "a=setup:passive",
                                    "a=rtcp-mux",
                                    "a=rtcp-rsize",
                                    "a=sendonly"};
  };
  const std::vector<std::string> candidate{"a=candidate:1 1 udp 2130706431 192.0.2.1 8000 typ host",
                                           "a=end-of-candidates"};

  const auto& video = description.media[0];
  EXPECT_EQ(video.media, "video");
  EXPECT_EQ(video.port, 9);
  EXPECT_EQ(video.proto, "UDP/TLS/RTP/SAVPF");
  EXPECT_THAT(video.formats, ElementsAre("108", "109"));
  auto expected = transport("0");
  for (const std::string line :
       {"a=msid:callcast video-0", "a=rtpmap:108 H264/90000",
        "a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
        "a=rtcp-fb:108 goog-remb", "a=rtcp-fb:108 ccm fir", "a=rtcp-fb:108 nack",
        "a=rtcp-fb:108 nack pli", "a=rtpmap:109 rtx/90000", "a=fmtp:109 apt=108",
        "a=ssrc-group:FID 286331153 572662306", "a=ssrc:286331153 cname:callcast-cname",
        "a=ssrc:286331153 msid:callcast video-0", "a=ssrc:572662306 cname:callcast-cname",
        "a=ssrc:572662306 msid:callcast video-0"}) {
    expected.push_back(line);
  }
  expected.insert(expected.end(), candidate.begin(), candidate.end());
  EXPECT_THAT(lines_of(video.lines), ElementsAreArray(expected));

  const auto& audio = description.media[1];
  EXPECT_EQ(audio.media, "audio");
  EXPECT_THAT(audio.formats, ElementsAre("111"));
  expected = transport("1");
  for (const std::string line :
       {"a=msid:callcast audio-1", "a=rtpmap:111 opus/48000/2",
        "a=fmtp:111 minptime=10;useinbandfec=1", "a=ssrc:858993459 cname:callcast-cname",
        "a=ssrc:858993459 msid:callcast audio-1"}) {
    expected.push_back(line);
  }
  expected.insert(expected.end(), candidate.begin(), candidate.end());
  EXPECT_THAT(lines_of(audio.lines), ElementsAreArray(expected));

  // What the browser reads back of the formats.
  const auto rtpmap = sdp::rtpmap_for(audio, 111);
  ASSERT_TRUE(rtpmap);
  EXPECT_EQ(rtpmap->encoding, "opus");
  EXPECT_EQ(rtpmap->channels, 2u);
  EXPECT_EQ(sdp::fmtp_for(video, 109), "apt=108");
}

TEST(WebRtcAnswer, AnswersChromiumsWhipOfferReceivingOnly) {
  const auto offer = real_offer(kWhipOffer);
  constexpr std::array<std::string_view, 1> kOpus{"opus"};
  std::vector<AnswerMedia> media(offer.media.size());
  for (std::size_t i = 0; i < offer.media.size(); ++i) {
    const auto codec = offer.media[i].kind == "video" ? choose_h264_for_ingest(offer.media[i])
                                                      : choose_audio(offer.media[i], kOpus);
    ASSERT_TRUE(codec);
    media[i] = AnswerMedia{true, "recvonly", *codec, std::nullopt, std::nullopt, "callcast"};
  }
  const auto description = parsed(build_webrtc_answer(offer, server(), media));
  EXPECT_EQ(description.attribute("group"), "BUNDLE 0 1");
  ASSERT_EQ(description.media.size(), 2u);
  EXPECT_EQ(description.media[0].media, "audio");  // the offer's order
  EXPECT_EQ(description.media[1].media, "video");
  EXPECT_THAT(description.media[1].formats, ElementsAre("108", "109"));
  for (const auto& line : description.media) {
    EXPECT_TRUE(line.attribute("recvonly"));
    EXPECT_FALSE(line.attribute("sendonly"));
    EXPECT_EQ(line.attribute("setup"), "passive");
    EXPECT_TRUE(line.attributes("ssrc").empty());  // the server names no SSRC it does not send
    EXPECT_FALSE(line.attribute("ssrc-group"));
    EXPECT_FALSE(line.attribute("msid"));
    EXPECT_EQ(line.attribute("candidate"), "1 1 udp 2130706431 192.0.2.1 8000 typ host");
  }
}

TEST(WebRtcAnswer, AcceptsGstreamersBundleOnlyLineOnPortNine) {
  const auto offer = real_offer(kGstreamerWhipOffer);
  constexpr std::array<std::string_view, 1> kOpus{"opus"};
  const std::vector<AnswerMedia> media{
      {true, "recvonly", *choose_h264_for_ingest(offer.media[0]), std::nullopt, std::nullopt, ""},
      {true, "recvonly", *choose_audio(offer.media[1], kOpus), std::nullopt, std::nullopt, ""}};
  const auto description = parsed(build_webrtc_answer(offer, server(), media));
  EXPECT_EQ(description.attribute("group"), "BUNDLE video0 audio1");
  ASSERT_EQ(description.media.size(), 2u);
  EXPECT_EQ(description.media[1].port, 9);  // RFC 8843 §7.3.1: the answer gives it a port
  EXPECT_FALSE(description.media[1].attribute("bundle-only"));
  EXPECT_EQ(description.media[1].attribute("mid"), "audio1");
  EXPECT_THAT(description.media[1].attributes("rtpmap"), ElementsAre("97 OPUS/48000/2"));
  EXPECT_THAT(description.media[0].formats, ElementsAre("96"));
}

TEST(WebRtcAnswer, RejectsALineWithPortZeroOutsideTheBundle) {
  const auto offer = real_offer(kWhepOffer);
  auto media = whep_media(offer);
  media[1].accepted = false;  // e.g. a group without audio
  const auto description = parsed(build_webrtc_answer(offer, server(), media));
  EXPECT_EQ(description.attribute("group"), "BUNDLE 0");
  ASSERT_EQ(description.media.size(), 2u);
  const auto& audio = description.media[1];
  EXPECT_EQ(audio.port, 0);
  EXPECT_EQ(audio.proto, "UDP/TLS/RTP/SAVPF");
  EXPECT_THAT(audio.formats, ElementsAre("111"));
  EXPECT_THAT(lines_of(audio.lines), ElementsAre("c=IN IP4 0.0.0.0", "a=mid:1", "a=inactive"));
  EXPECT_EQ(description.media[0].port, 9);
}

TEST(WebRtcAnswer, RejectsLinesWithoutAnEntryAndOfferedRejectedLines) {
  const auto offer = real_offer(kWhepOffer);
  const auto media = whep_media(offer);
  const auto description = parsed(build_webrtc_answer(offer, server(), std::span(media).first(1)));
  EXPECT_EQ(description.media.at(1).port, 0);
  EXPECT_EQ(description.attribute("group"), "BUNDLE 0");

  auto rejected_offer = offer;
  rejected_offer.media[0].rejected = true;
  const auto again = parsed(build_webrtc_answer(rejected_offer, server(), media));
  EXPECT_EQ(again.media.at(0).port, 0);
  EXPECT_EQ(again.attribute("group"), "BUNDLE 1");
}

TEST(WebRtcAnswer, WritesNoBundleGroupWhenEverythingIsRejected) {
  const auto offer = real_offer(kWhepOffer);
  const auto description = parsed(build_webrtc_answer(offer, server(), {}));
  EXPECT_FALSE(description.attribute("group"));
  EXPECT_EQ(description.media.size(), 2u);
  EXPECT_FALSE(description.media[0].attribute("candidate"));
}

TEST(WebRtcAnswer, WritesAnIpv6Candidate) {
  const auto offer = real_offer(kWhepOffer);
  const auto description =
      parsed(build_webrtc_answer(offer, server("2001:db8::1"), whep_media(offer)));
  EXPECT_EQ(lines_of(description.session).at(1), "o=- 4242 2 IN IP6 2001:db8::1");
  for (const auto& line : description.media) {
    EXPECT_EQ(lines_of(line.lines).front(), "c=IN IP6 2001:db8::1");
    EXPECT_EQ(line.attribute("candidate"), "1 1 udp 2130706431 2001:db8::1 8000 typ host");
  }
}

TEST(WebRtcAnswer, SendsWithoutRtxWhenNoRtxSsrcOrType) {
  const auto offer = real_offer(kWhepOffer);
  auto media = whep_media(offer);
  media[0].rtx_ssrc.reset();
  media[1].msid_stream.clear();
  auto description = parsed(build_webrtc_answer(offer, server(), media));
  EXPECT_FALSE(description.media[0].attribute("ssrc-group"));
  EXPECT_THAT(description.media[0].attributes("ssrc"),
              ElementsAre("286331153 cname:callcast-cname", "286331153 msid:callcast video-0"));
  EXPECT_THAT(description.media[0].formats, ElementsAre("108", "109"));  // rtx still negotiated
  EXPECT_FALSE(description.media[1].attribute("msid"));
  EXPECT_THAT(description.media[1].attributes("ssrc"),
              ElementsAre("858993459 cname:callcast-cname"));

  media[0].codec.rtx_payload_type.reset();
  media[0].rtx_ssrc = 0x22222222;
  description = parsed(build_webrtc_answer(offer, server(), media));
  EXPECT_THAT(description.media[0].formats, ElementsAre("108"));
  EXPECT_FALSE(description.media[0].attribute("ssrc-group"));
  EXPECT_EQ(description.media[0].attributes("ssrc").size(), 2u);
}

TEST(WebRtcAnswer, WritesRtcpRsizeOnlyWhenOffered) {
  auto offer = real_offer(kWhepOffer);
  offer.media[0].rtcp_rsize = false;
  const auto description = parsed(build_webrtc_answer(offer, server(), whep_media(offer)));
  EXPECT_FALSE(description.media[0].attribute("rtcp-rsize"));
  EXPECT_TRUE(description.media[1].attribute("rtcp-rsize"));
}

}  // namespace
}  // namespace callcast::webrtc::webrtc_answer_test
