#include "sipwire/viewer_answer.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "unit/sipwire/phone_offers.hpp"

namespace callcast::sip {
namespace {

using ::testing::HasSubstr;
using testing::offer_from;
using testing::real_offer;

const ServerMedia kServer{{false, "10.77.0.2"}, 30000, 30002, true};

GroupVideo video_of(std::string_view profile_level_id, int mode = 1) {
  return GroupVideo{*H264ProfileLevelId::parse(profile_level_id), mode, 96, ""};
}

const GroupAudio kOpus{AudioCodec::opus, 48000, 2, 97, "sprop-stereo=1"};
const GroupAudio kAac{AudioCodec::aac_mpeg4_generic, 44100, 2, 97,
                      "streamtype=5;profile-level-id=15;mode=AAC-hbr;config=1210;sizelength=13;"
                      "indexlength=3;indexdeltalength=3"};
const GroupCodecs kTerminalGroup{video_of("42e01f"), kAac};
const GroupCodecs kOpusGroup{video_of("42e01f"), kOpus};

AnswerPlan planned(const PhoneOffer& offer, const GroupCodecs& group,
                   const ServerMedia& server = kServer) {
  auto plan = plan_viewer_answer(offer, group, server);
  EXPECT_TRUE(plan) << plan.error().warning;
  return plan ? *plan : AnswerPlan{};
}

Refusal refused(const PhoneOffer& offer, const GroupCodecs& group) {
  auto plan = plan_viewer_answer(offer, group, kServer);
  EXPECT_FALSE(plan);
  return plan ? Refusal{} : plan.error();
}

const std::string kHead = "v=0\r\no=- 1 1 IN IP4 10.0.0.2\r\ns=-\r\nc=IN IP4 10.0.0.2\r\nt=0 0\r\n";

PhoneOffer video_offer(const std::string& lines) {
  return offer_from(kHead + "m=video 4002 RTP/AVP 96 98\r\n" + lines);
}

TEST(ViewerAnswer, BaresipGetsH264Mode1AndTranscodedPcmuFromAnAacGroup) {
  const auto plan = planned(real_offer("baresip_1.0_audio_video.sdp"), kTerminalGroup);
  ASSERT_EQ(plan.lines.size(), 2u);
  EXPECT_TRUE(plan.notes.empty());

  const auto& audio_line = plan.lines[0];
  EXPECT_EQ(audio_line.port, 30000);
  EXPECT_EQ(audio_line.proto, "RTP/AVP");
  EXPECT_EQ(audio_line.direction, MediaDirection::sendonly);
  ASSERT_TRUE(audio_line.format);
  EXPECT_EQ(audio_line.format->payload_type, 0);  // baresip lists PCMU first
  EXPECT_EQ(audio_line.format->encoding, "PCMU");
  EXPECT_EQ(audio_line.format->fmtp, "");
  EXPECT_EQ(audio_line.ptime, 20u);
  EXPECT_FALSE(audio_line.rtcp_mux);
  ASSERT_TRUE(plan.audio);
  EXPECT_EQ(plan.audio->codec, AudioCodec::pcmu);
  EXPECT_EQ(plan.audio->transcode_from, AudioCodec::aac_mpeg4_generic);
  EXPECT_EQ(plan.audio->phone.address, (ConnectionAddress{false, "10.77.0.1"}));
  EXPECT_EQ(plan.audio->phone.rtp_port, 13162);
  EXPECT_EQ(plan.audio->phone.rtcp_port, 13163);

  const auto& video_line = plan.lines[1];
  EXPECT_EQ(video_line.port, 30002);
  ASSERT_TRUE(video_line.format);
  EXPECT_EQ(video_line.format->payload_type, 97);  // 96 is packetization-mode 0
  EXPECT_EQ(video_line.format->fmtp, "packetization-mode=1;profile-level-id=42e01f");
  EXPECT_EQ(video_line.format->feedback, (std::vector<RtcpFeedback>{{"nack", "pli"}}));
  ASSERT_TRUE(plan.video);
  EXPECT_EQ(plan.video->payload_type, 97);
  EXPECT_EQ(plan.video->line, 1u);
  EXPECT_FALSE(plan.video->level_exceeds_phone);
  EXPECT_EQ(plan.video->feedback, (FeedbackUse{false, true, false}));
  EXPECT_EQ(plan.video->phone.rtp_port, 2080);
}

TEST(ViewerAnswer, TakesTheGroupsOpusWithoutTranscoding) {
  const auto plan = planned(real_offer("baresip_1.0_audio_video.sdp"), kOpusGroup);
  ASSERT_TRUE(plan.audio);
  EXPECT_EQ(plan.audio->payload_type, 96);
  EXPECT_EQ(plan.audio->codec, AudioCodec::opus);
  EXPECT_FALSE(plan.audio->transcode_from);
  ASSERT_TRUE(plan.lines[0].format);
  EXPECT_EQ(plan.lines[0].format->channels, 2u);
  EXPECT_EQ(plan.lines[0].format->fmtp, "sprop-stereo=1");
  EXPECT_FALSE(plan.lines[0].ptime);
}

TEST(ViewerAnswer, TakesTheGroupsAacWhenThePhoneOffersIt) {
  const auto plan = planned(offer_from(kHead + "m=audio 4000 RTP/AVP 0 100\r\n"
                                               "a=rtpmap:100 mpeg4-generic/44100/2\r\n"),
                            kTerminalGroup);
  ASSERT_TRUE(plan.audio);
  EXPECT_EQ(plan.audio->payload_type, 100);
  EXPECT_FALSE(plan.audio->transcode_from);
  EXPECT_EQ(plan.lines[0].format->fmtp, kAac.fmtp);
}

TEST(ViewerAnswer, LinphoneGetsAudioAndANoteSayingWhyThereIsNoPicture) {
  const auto plan = planned(real_offer("linphonec_5.1_audio_video.sdp"), kOpusGroup);
  ASSERT_EQ(plan.lines.size(), 2u);
  ASSERT_TRUE(plan.audio);
  EXPECT_EQ(plan.audio->payload_type, 96);
  EXPECT_FALSE(plan.audio->transcode_from);
  EXPECT_FALSE(plan.video);
  EXPECT_EQ(plan.lines[1].port, 0);
  EXPECT_EQ(plan.lines[1].format_tokens, (std::vector<std::string>{"96", "97"}));
  ASSERT_EQ(plan.notes.size(), 1u);
  EXPECT_EQ(plan.notes[0],
            "no picture: the group's video is H264 (42e01f, packetization-mode=1) and the phone "
            "offers only VP8, H264 (42801f, packetization-mode=0)");
}

TEST(ViewerAnswer, LinphoneTranscodesAacToItsFirstChoiceOpus) {
  const auto plan = planned(real_offer("linphonec_5.1_audio_only.sdp"), kTerminalGroup);
  ASSERT_TRUE(plan.audio);
  EXPECT_EQ(plan.audio->codec, AudioCodec::opus);
  EXPECT_EQ(plan.audio->transcode_from, AudioCodec::aac_mpeg4_generic);
  EXPECT_EQ(plan.lines[0].format->encoding, "opus");
  EXPECT_EQ(plan.lines[0].format->fmtp, "");
  EXPECT_TRUE(plan.notes.empty());  // no video offered: nothing to explain
}

TEST(ViewerAnswer, EchoesAvpfAndAnswersRtcpMuxOnlyWhenTheServerCan) {
  const auto offer = real_offer("linphonec_5.1_avpf_rtcp_mux.sdp");
  const auto plan = planned(offer, kOpusGroup);
  EXPECT_EQ(plan.lines[0].proto, "RTP/AVPF");
  EXPECT_EQ(plan.lines[1].proto, "RTP/AVPF");
  EXPECT_TRUE(plan.lines[0].rtcp_mux);
  EXPECT_EQ(plan.audio->phone.rtcp_port, plan.audio->phone.rtp_port);

  ServerMedia no_mux = kServer;
  no_mux.rtcp_mux_possible = false;
  const auto without = planned(offer, kOpusGroup, no_mux);
  EXPECT_FALSE(without.lines[0].rtcp_mux);
  EXPECT_EQ(without.audio->phone.rtcp_port, without.audio->phone.rtp_port + 1);
}

TEST(ViewerAnswer, AudioOnlyPhoneGetsAudioOnly) {
  const auto plan = planned(real_offer("baresip_1.0_audio_only.sdp"), kTerminalGroup);
  ASSERT_EQ(plan.lines.size(), 1u);
  EXPECT_TRUE(plan.audio);
  EXPECT_FALSE(plan.video);
  EXPECT_TRUE(plan.notes.empty());
}

TEST(ViewerAnswer, RefusesAPhoneThatOffersOnlySecureRtp) {
  const auto refusal = refused(real_offer("baresip_1.0_srtp_mandatory.sdp"), kTerminalGroup);
  EXPECT_EQ(refusal.status, 488);
  EXPECT_THAT(refusal.warning, HasSubstr("plain RTP only"));
  EXPECT_THAT(refusal.warning, HasSubstr("RTP/SAVP"));
}

TEST(ViewerAnswer, RefusesWithTheGroupsCodecsWhenNothingIsInCommon) {
  const auto refusal = refused(offer_from(kHead + "m=audio 4000 RTP/AVP 97 101\r\n"
                                                  "a=rtpmap:97 speex/16000\r\n"
                                                  "a=rtpmap:101 telephone-event/8000\r\n"
                                                  "m=video 4002 RTP/AVP 100\r\n"
                                                  "a=rtpmap:100 VP8/90000\r\n"),
                               kOpusGroup);
  EXPECT_EQ(refusal.status, 488);
  EXPECT_EQ(refusal.warning,
            "no common codec: group sends H264 (42e01f, packetization-mode=1) and opus/48000/2; "
            "offer has speex/16000, VP8");
}

TEST(ViewerAnswer, AnswersTheGroupsLowerLevelInThePhonesProfile) {
  const auto plan = planned(video_offer("a=rtpmap:96 H264/90000\r\n"
                                        "a=fmtp:96 packetization-mode=1;profile-level-id=64001f\r\n"
                                        "a=rtpmap:98 VP8/90000\r\n"),
                            GroupCodecs{video_of("42e01e"), std::nullopt});
  ASSERT_TRUE(plan.video);
  // RFC 6184 §8.2.2: the profile part is the phone's, the level the stream's (3.0 <= 3.1).
  EXPECT_EQ(plan.lines[0].format->fmtp, "packetization-mode=1;profile-level-id=64001e");
  EXPECT_FALSE(plan.video->level_exceeds_phone);
}

TEST(ViewerAnswer, AGroupAboveThePhonesLevelIsAnsweredAtThePhonesLevelAndNoted) {
  const auto plan = planned(video_offer("a=rtpmap:96 H264/90000\r\n"
                                        "a=fmtp:96 packetization-mode=1;profile-level-id=42e01e;"
                                        "level-asymmetry-allowed=1\r\n"),
                            GroupCodecs{video_of("42e028"), kOpus});
  ASSERT_TRUE(plan.video);
  EXPECT_EQ(plan.lines[0].format->fmtp, "packetization-mode=1;profile-level-id=42e01e");
  EXPECT_TRUE(plan.video->level_exceeds_phone);
  ASSERT_EQ(plan.notes.size(), 1u);
  EXPECT_EQ(plan.notes[0],
            "the group's video is H264 level 4 (42e028), above the level 3 the phone offers "
            "(42e01e); it may not play");
}

TEST(ViewerAnswer, PrefersATypeWhoseLevelReachesTheGroups) {
  const auto plan =
      planned(video_offer("a=rtpmap:96 H264/90000\r\n"
                          "a=fmtp:96 packetization-mode=1;profile-level-id=42e00d\r\n"
                          "a=rtpmap:98 H264/90000\r\n"
                          "a=fmtp:98 packetization-mode=1;profile-level-id=42e01f\r\n"),
              kOpusGroup);
  ASSERT_TRUE(plan.video);
  EXPECT_EQ(plan.video->payload_type, 98);
  EXPECT_FALSE(plan.video->level_exceeds_phone);
}

TEST(ViewerAnswer, APhoneThatCannotDecodeTheGroupsProfileGetsNoPicture) {
  const auto plan =
      planned(offer_from(kHead + "m=audio 4000 RTP/AVP 0\r\n"
                                 "m=video 4002 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
                                 "a=fmtp:96 packetization-mode=1;profile-level-id=42e01f\r\n"),
              GroupCodecs{video_of("640028"), kOpus});
  EXPECT_FALSE(plan.video);
  EXPECT_EQ(plan.lines[1].port, 0);
  ASSERT_EQ(plan.notes.size(), 1u);
  EXPECT_THAT(plan.notes[0], HasSubstr("H264 (640028, packetization-mode=1)"));
}

TEST(ViewerAnswer, Mode0PhonesTakeOnlyAMode0Group) {
  const auto offer = video_offer("a=rtpmap:96 H264/90000\r\na=fmtp:96 profile-level-id=42e01f\r\n");
  EXPECT_FALSE(
      plan_viewer_answer(offer, GroupCodecs{video_of("42e01f", 1), std::nullopt}, kServer));
  const auto plan = planned(offer, GroupCodecs{video_of("42e01f", 0), std::nullopt});
  ASSERT_TRUE(plan.video);
  EXPECT_EQ(plan.video->packetization_mode, 0);
  EXPECT_EQ(plan.lines[0].format->fmtp, "packetization-mode=0;profile-level-id=42e01f");
}

TEST(ViewerAnswer, AnswersASendonlyOrInactiveLineInactive) {
  const std::string h264 = "a=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1\r\n";
  EXPECT_EQ(planned(video_offer(h264 + "a=recvonly\r\n"), kOpusGroup).lines[0].direction,
            MediaDirection::sendonly);
  EXPECT_EQ(planned(video_offer(h264 + "a=sendonly\r\n"), kOpusGroup).lines[0].direction,
            MediaDirection::inactive);
  EXPECT_EQ(planned(video_offer(h264 + "a=inactive\r\n"), kOpusGroup).video->direction,
            MediaDirection::inactive);
}

TEST(ViewerAnswer, AnswersEveryOfferedLineInOrder) {
  const auto plan =
      planned(offer_from(kHead + "m=audio 0 RTP/AVP 0\r\n"
                                 "m=application 9 TCP iptv_rtsp\r\n"
                                 "m=video 4002 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
                                 "a=fmtp:96 packetization-mode=1\r\n"
                                 "m=video 4004 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
                                 "a=fmtp:96 packetization-mode=1\r\n"
                                 "m=audio 4006 RTP/SAVP 0\r\n"
                                 "m=audio 4008 RTP/AVP 8\r\n"),
              GroupCodecs{video_of("42000a"), kOpus});
  ASSERT_EQ(plan.lines.size(), 6u);
  EXPECT_EQ(plan.lines[0].port, 0);
  EXPECT_EQ(plan.lines[1].port, 0);
  EXPECT_EQ(plan.lines[1].format_tokens, std::vector<std::string>{"iptv_rtsp"});
  EXPECT_EQ(plan.lines[2].port, 30002);
  EXPECT_EQ(plan.lines[3].port, 0);  // one video stream
  EXPECT_EQ(plan.lines[4].port, 0);  // secure
  EXPECT_THAT(plan.lines[4].rejection, HasSubstr("secure RTP"));
  EXPECT_EQ(plan.lines[5].port, 30000);
  EXPECT_EQ(plan.audio->line, 5u);
  EXPECT_EQ(plan.audio->codec, AudioCodec::pcma);
}

TEST(ViewerAnswer, AnswersTheCallcastFeedbackTheOfferHasIncludingWildcards) {
  const auto plan = planned(video_offer("a=rtpmap:96 H264/90000\r\n"
                                        "a=fmtp:96 packetization-mode=1\r\n"
                                        "a=rtcp-fb:* nack\r\n"
                                        "a=rtcp-fb:96 ccm fir\r\n"
                                        "a=rtcp-fb:96 goog-remb\r\n"
                                        "a=rtcp-fb:98 nack pli\r\n"),
                            GroupCodecs{video_of("42000a"), std::nullopt});
  ASSERT_TRUE(plan.video);
  EXPECT_EQ(plan.lines[0].format->feedback,
            (std::vector<RtcpFeedback>{{"nack", ""}, {"ccm", "fir"}}));
  EXPECT_EQ(plan.video->feedback, (FeedbackUse{true, false, true}));
}

TEST(ViewerAnswer, AGroupWithoutAudioRejectsThePhonesAudioLine) {
  const auto plan = planned(real_offer("baresip_1.0_audio_video.sdp"),
                            GroupCodecs{video_of("42e01f"), std::nullopt});
  EXPECT_EQ(plan.lines[0].port, 0);
  EXPECT_EQ(plan.lines[0].rejection, "the group has no audio");
  EXPECT_TRUE(plan.video);
}

}  // namespace
}  // namespace callcast::sip
