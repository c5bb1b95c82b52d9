#include "sipwire/phone_offer.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "unit/sipwire/phone_offers.hpp"

namespace callcast::sip {
namespace {

using ::testing::HasSubstr;
using testing::offer_from;
using testing::real_offer;

std::vector<std::uint8_t> payload_types(const OfferedMedia& media) {
  std::vector<std::uint8_t> types;
  for (const auto& format : media.formats)
    types.push_back(format.payload_type);
  return types;
}

std::string error_of(std::string_view sdp) {
  auto offer = parse_phone_offer(sdp);
  EXPECT_FALSE(offer) << "accepted: " << sdp;
  return offer ? std::string() : offer.error();
}

const std::string kHead = "v=0\r\no=- 1 1 IN IP4 10.0.0.2\r\ns=-\r\nc=IN IP4 10.0.0.2\r\nt=0 0\r\n";

TEST(PhoneOffer, ReadsBaresipsAudioAndVideoOffer) {
  const auto offer = real_offer("baresip_1.0_audio_video.sdp");
  EXPECT_EQ(offer.tool, "baresip 1.0.0");
  ASSERT_EQ(offer.session_connection, (ConnectionAddress{false, "10.77.0.1"}));
  ASSERT_EQ(offer.media.size(), 2u);

  const auto& audio = offer.media[0];
  EXPECT_EQ(audio.kind, MediaKind::audio);
  EXPECT_EQ(audio.port, 13162);
  EXPECT_EQ(audio.profile, RtpProfile::avp);
  EXPECT_EQ(audio.connection, offer.session_connection);
  EXPECT_EQ(audio.direction, MediaDirection::sendrecv);
  EXPECT_FALSE(audio.rtcp_mux);
  EXPECT_EQ(audio.phone_rtcp_port(), 13163);
  EXPECT_EQ(payload_types(audio), (std::vector<std::uint8_t>{0, 8, 9, 96, 101}));
  EXPECT_EQ(audio.formats[0].encoding, "PCMU");
  EXPECT_EQ(audio.formats[2].encoding, "G722");
  EXPECT_EQ(audio.formats[3].encoding, "opus");
  EXPECT_EQ(audio.formats[3].clock_rate, 48000u);
  EXPECT_EQ(audio.formats[3].channels, 2u);
  EXPECT_EQ(audio.formats[3].fmtp, "stereo=1;sprop-stereo=1");
  EXPECT_EQ(audio.formats[4].encoding, "telephone-event");

  const auto& video = offer.media[1];
  EXPECT_EQ(video.kind, MediaKind::video);
  EXPECT_EQ(payload_types(video), (std::vector<std::uint8_t>{96, 97, 34, 98, 99, 100}));
  EXPECT_EQ(video.formats[0].fmtp, "packetization-mode=0;profile-level-id=42e01f");
  EXPECT_EQ(video.formats[1].fmtp, "packetization-mode=1;profile-level-id=42e01f");
  EXPECT_EQ(video.formats[2].encoding, "H263");
  EXPECT_EQ(video.formats[5].encoding, "VP8");
  // baresip's one "a=rtcp-fb:* nack pli" applies to every type.
  EXPECT_EQ(video.wildcard_feedback, (std::vector<RtcpFeedback>{{"nack", "pli"}}));
  for (const auto& format : video.formats) {
    EXPECT_EQ(format.feedback, (std::vector<RtcpFeedback>{{"nack", "pli"}}));
  }
}

TEST(PhoneOffer, ReadsBaresipsRtcpMux) {
  const auto offer = real_offer("baresip_1.0_rtcp_mux.sdp");
  ASSERT_EQ(offer.media.size(), 2u);
  EXPECT_TRUE(offer.media[0].rtcp_mux);
  EXPECT_TRUE(offer.media[1].rtcp_mux);
  EXPECT_EQ(offer.media[1].phone_rtcp_port(), offer.media[1].port);
}

TEST(PhoneOffer, ReadsBaresipsAudioOnlyOffer) {
  const auto offer = real_offer("baresip_1.0_audio_only.sdp");
  ASSERT_EQ(offer.media.size(), 1u);
  EXPECT_EQ(offer.media[0].kind, MediaKind::audio);
}

TEST(PhoneOffer, ReadsSecureRtpAsNotPlainRtp) {
  const auto offer = real_offer("baresip_1.0_srtp_mandatory.sdp");
  ASSERT_EQ(offer.media.size(), 2u);
  EXPECT_EQ(offer.media[0].proto, "RTP/SAVP");
  EXPECT_EQ(offer.media[0].profile, RtpProfile::other);
  EXPECT_TRUE(offer.media[0].is_secure_rtp());
  EXPECT_FALSE(offer.media[0].is_rtp());
  EXPECT_EQ(offer.media[0].formats.size(), 5u);  // still read, to name them in answers
}

TEST(PhoneOffer, ReadsLinphonesStaticTypesWithoutRtpmapAndPerTypeFeedback) {
  const auto offer = real_offer("linphonec_5.1_audio_video.sdp");
  EXPECT_EQ(offer.tool, "linphone");
  ASSERT_EQ(offer.media.size(), 2u);
  const auto& audio = offer.media[0];
  EXPECT_EQ(payload_types(audio), (std::vector<std::uint8_t>{96, 97, 98, 0, 8, 18, 99, 100, 101}));
  EXPECT_EQ(audio.formats[0].encoding, "opus");
  EXPECT_EQ(audio.formats[0].fmtp, "useinbandfec=1");
  EXPECT_EQ(audio.formats[3].encoding, "PCMU");  // RFC 3551 static, no a=rtpmap
  EXPECT_EQ(audio.formats[3].clock_rate, 8000u);
  EXPECT_EQ(audio.formats[4].encoding, "PCMA");
  EXPECT_EQ(audio.formats[5].encoding, "G729");
  EXPECT_EQ(audio.formats[5].fmtp, "annexb=yes");

  const auto& video = offer.media[1];
  ASSERT_EQ(video.formats.size(), 2u);
  EXPECT_EQ(video.formats[0].encoding, "VP8");
  EXPECT_EQ(video.formats[1].encoding, "H264");
  EXPECT_EQ(video.formats[1].fmtp, "profile-level-id=42801F");
  // Own lines first, then the "*" ones.
  EXPECT_EQ(video.formats[1].feedback,
            (std::vector<RtcpFeedback>{
                {"nack", "pli"}, {"ccm", "fir"}, {"trr-int", "5000"}, {"ccm", "tmmbr"}}));
  EXPECT_EQ(video.formats[0].feedback.size(), 6u);
}

TEST(PhoneOffer, ReadsLinphonesAvpfAndRtcpMux) {
  const auto offer = real_offer("linphonec_5.1_avpf_rtcp_mux.sdp");
  ASSERT_EQ(offer.media.size(), 2u);
  EXPECT_EQ(offer.media[0].profile, RtpProfile::avpf);
  EXPECT_EQ(offer.media[1].profile, RtpProfile::avpf);
  EXPECT_TRUE(offer.media[1].rtcp_mux);
}

TEST(PhoneOffer, MediaLevelAddressAndDirectionOverrideTheSessions) {
  const auto offer = offer_from(
      "v=0\r\no=- 1 1 IN IP4 10.0.0.2\r\ns=-\r\nc=IN IP4 10.0.0.2\r\nt=0 0\r\na=recvonly\r\n"
      "m=audio 4000 RTP/AVP 0\r\n"
      "m=video 4002 RTP/AVPF 96\r\nc=IN IP6 2001:db8::7\r\na=rtpmap:96 H264/90000\r\n"
      "a=inactive\r\na=rtcp:5000 IN IP6 2001:db8::7\r\n");
  ASSERT_EQ(offer.media.size(), 2u);
  EXPECT_EQ(offer.media[0].direction, MediaDirection::recvonly);
  EXPECT_EQ(offer.media[0].connection, (ConnectionAddress{false, "10.0.0.2"}));
  EXPECT_EQ(offer.media[1].direction, MediaDirection::inactive);
  EXPECT_EQ(offer.media[1].connection, (ConnectionAddress{true, "2001:db8::7"}));
  EXPECT_EQ(offer.media[1].rtcp_port, 5000);
  EXPECT_EQ(offer.media[1].phone_rtcp_port(), 5000);
}

TEST(PhoneOffer, KeepsOtherMediaAndProtosWithTheirFormatsAsWritten) {
  const auto offer =
      offer_from(kHead + "m=application 9 TCP iptv_rtsp\r\nm=video 4002 UDP/TLS/RTP/SAVPF 96\r\n");
  ASSERT_EQ(offer.media.size(), 2u);
  EXPECT_EQ(offer.media[0].kind, MediaKind::other);
  EXPECT_EQ(offer.media[0].format_tokens, std::vector<std::string>{"iptv_rtsp"});
  EXPECT_TRUE(offer.media[0].formats.empty());
  EXPECT_TRUE(offer.media[1].is_secure_rtp());
}

TEST(PhoneOffer, AnUnmappedDynamicTypeHasNoEncoding) {
  const auto offer = offer_from(kHead + "m=video 4002 RTP/AVP 96 97\r\na=rtpmap:97 VP8/90000\r\n");
  ASSERT_EQ(offer.media[0].formats.size(), 2u);
  EXPECT_EQ(offer.media[0].formats[0].encoding, "");
  EXPECT_EQ(offer.media[0].formats[1].encoding, "VP8");
}

TEST(PhoneOffer, RejectsMalformedOffersWithTheLineToBlame) {
  EXPECT_THAT(error_of(""), HasSubstr("not SDP"));
  EXPECT_THAT(error_of("hello"), HasSubstr("not SDP"));
  EXPECT_THAT(error_of("v=0\r\nc=IN IP4 nowhere\r\n"), HasSubstr("IP4 address"));
  EXPECT_THAT(error_of("v=0\r\nc=IN IP4 224.2.1.1/127\r\n"), HasSubstr("multicast"));
  EXPECT_THAT(error_of("v=0\r\nc=IN IP6 10.0.0.1\r\n"), HasSubstr("IP6 address"));
  EXPECT_THAT(error_of("v=0\r\nc=IN\r\n"), HasSubstr("IN IP4"));
  EXPECT_THAT(error_of(kHead + "m=audio 4000 RTP/AVP 0 x\r\n"), HasSubstr("not an RTP type"));
  EXPECT_THAT(error_of(kHead + "m=audio 4000 RTP/AVP 128\r\n"), HasSubstr("not an RTP type"));
  EXPECT_THAT(error_of(kHead + "m=audio 4000 RTP/AVP 0 0\r\n"), HasSubstr("twice"));
  EXPECT_THAT(error_of(kHead + "m=audio 4000 RTP/AVP 96\r\na=rtpmap:96 opus\r\n"),
              HasSubstr("a=rtpmap:'96 opus' is malformed"));
  EXPECT_THAT(error_of(kHead + "m=audio 4000 RTP/AVP 96\r\na=rtpmap:96 opus/0\r\n"),
              HasSubstr("malformed"));
  EXPECT_THAT(error_of(kHead + "m=audio 4000 RTP/AVP 96\r\na=rtpmap:96 opus/48000/0\r\n"),
              HasSubstr("malformed"));
  EXPECT_THAT(error_of(kHead + "m=video 4000 RTP/AVP 96\r\na=rtcp-fb:96\r\n"),
              HasSubstr("no feedback type"));
  EXPECT_THAT(error_of(kHead + "m=video 4000 RTP/AVP 96\r\na=rtcp-fb:x nack\r\n"),
              HasSubstr("no payload type"));
  EXPECT_THAT(error_of(kHead + "m=video 4000 RTP/AVP 96\r\na=rtcp:abc\r\n"), HasSubstr("no port"));
  EXPECT_THAT(error_of(kHead + "m=video 4000 RTP/AVP 96\r\na=sendonly\r\na=recvonly\r\n"),
              HasSubstr("more than one direction"));
  EXPECT_THAT(
      error_of(kHead + "m=video 4000 RTP/AVP 96\r\nc=IN IP4 1.2.3.4\r\nc=IN IP4 1.2.3.5\r\n"),
      HasSubstr("more than one c="));
  EXPECT_THAT(
      error_of("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"),
      HasSubstr("m=audio (media 1) has no c= address"));
}

TEST(PhoneOffer, ALineThePhoneRejectedNeedsNoAddress) {
  const auto offer = offer_from(
      "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n"
      "m=audio 0 RTP/AVP 0\r\n");
  ASSERT_EQ(offer.media.size(), 1u);
  EXPECT_FALSE(offer.media[0].connection);
}

TEST(PhoneOffer, IsBounded) {
  std::string formats;
  for (int pt = 96; pt < 96 + 33; ++pt)
    formats += " " + std::to_string(pt);
  EXPECT_THAT(error_of(kHead + "m=video 4000 RTP/AVP" + formats + "\r\n"),
              HasSubstr("more than 32 formats"));
  std::string feedback = kHead + "m=video 4000 RTP/AVP 96\r\n";
  for (int i = 0; i < 33; ++i)
    feedback += "a=rtcp-fb:96 nack\r\n";
  EXPECT_THAT(error_of(feedback), HasSubstr("more than 32 a=rtcp-fb"));
  EXPECT_THAT(error_of(std::string(70000, 'x')), HasSubstr("larger than"));
}

}  // namespace
}  // namespace callcast::sip
