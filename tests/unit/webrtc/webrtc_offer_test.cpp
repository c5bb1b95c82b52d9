#include "webrtc/webrtc_offer.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "unit/webrtc/webrtc_offers.hpp"

namespace callcast::webrtc::webrtc_offer_test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::kGstreamerWhipOffer;
using testing::kWhepOffer;
using testing::kWhipOffer;
using testing::real_offer;

std::vector<std::uint8_t> payload_types(const OfferedMedia& media) {
  std::vector<std::uint8_t> types;
  for (const auto& codec : media.codecs)
    types.push_back(codec.payload_type);
  return types;
}

const OfferedCodec& codec_with(const OfferedMedia& media, std::uint8_t payload_type) {
  const auto found =
      std::find_if(media.codecs.begin(), media.codecs.end(),
                   [&](const OfferedCodec& codec) { return codec.payload_type == payload_type; });
  EXPECT_NE(found, media.codecs.end()) << "no payload type " << int{payload_type};
  static const OfferedCodec kNone;
  return found == media.codecs.end() ? kNone : *found;
}

// A minimal offer as a browser would make it; each error test breaks one thing of it.
constexpr std::string_view kFingerprint =
    "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:"
    "89";

std::string session_part(std::string_view group = "a=group:BUNDLE 0 1") {
  std::string text = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";
  if (!group.empty()) text += std::string(group) + "\r\n";
  return text;
}

std::string media_part(std::string_view kind, std::string_view mid,
                       std::string_view replace_from = "", std::string_view replace_to = "") {
  std::string text = std::string("m=") + std::string(kind) + " 9 UDP/TLS/RTP/SAVPF " +
                     (kind == "video" ? "102 103" : "111") +
                     "\r\n"
                     "c=IN IP4 0.0.0.0\r\n"
                     "a=ice-ufrag:abcd\r\n"
                     "a=ice-pwd:0123456789abcdefghijklmn\r\n"
                     "a=fingerprint:sha-256 " +
                     std::string(kFingerprint) +
                     "\r\n"
                     "a=setup:actpass\r\n"
                     "a=mid:" +
                     std::string(mid) +
                     "\r\n"
                     "a=recvonly\r\n"
                     "a=rtcp-mux\r\n";
  if (kind == "video") {
    text +=
        "a=rtpmap:102 H264/90000\r\n"
        "a=fmtp:102 packetization-mode=1;profile-level-id=42e01f\r\n"
        "a=rtpmap:103 rtx/90000\r\n"
        "a=fmtp:103 apt=102\r\n";
  } else {
    text += "a=rtpmap:111 opus/48000/2\r\n";
  }
  if (!replace_from.empty()) {
    const auto at = text.find(replace_from);
    EXPECT_NE(at, std::string::npos) << replace_from;
    if (at != std::string::npos) text.replace(at, replace_from.size(), replace_to);
  }
  return text;
}

std::string error_of(const std::string& sdp) {
  auto offer = parse_webrtc_offer(sdp);
  EXPECT_FALSE(offer) << "accepted: " << sdp;
  return offer ? std::string() : offer.error();
}

TEST(WebRtcOffer, ReadsChromiumsWhepRecvonlyOffer) {
  const auto offer = real_offer(kWhepOffer);
  EXPECT_THAT(offer.bundle_mids, ElementsAre("0", "1"));
  ASSERT_EQ(offer.media.size(), 2u);
  ASSERT_EQ(offer.sdp.media.size(), 2u);

  const auto& video = offer.media[0];
  EXPECT_EQ(video.kind, "video");
  EXPECT_EQ(video.mid, "0");
  EXPECT_EQ(video.direction, "recvonly");
  EXPECT_TRUE(video.rtcp_mux);
  EXPECT_TRUE(video.rtcp_rsize);
  EXPECT_FALSE(video.rejected);
  EXPECT_EQ(video.ice_ufrag, "hgf+");
  EXPECT_EQ(video.ice_pwd, "VlLFBi7mZoO1jQFr98YHpfGO");
  EXPECT_EQ(video.fingerprint_algorithm, "sha-256");
  EXPECT_EQ(video.fingerprint,
            "38:A1:4D:2D:92:C8:89:AE:7C:F6:77:09:B5:57:E8:5C:76:98:F2:2E:9A:25:2D:7A:92:36:0C:D6:"
            "2D:EF:55:25");
  EXPECT_EQ(video.setup, "actpass");
  EXPECT_TRUE(video.ssrcs.empty());  // a receiving browser names no SSRC
  EXPECT_FALSE(video.fid);
  ASSERT_EQ(video.extmaps.size(), 11u);
  EXPECT_EQ(video.extmaps[0],
            (std::pair<int, std::string>{1, "urn:ietf:params:rtp-hdrext:toffset"}));
  EXPECT_EQ(video.extmaps[8],
            (std::pair<int, std::string>{9, "urn:ietf:params:rtp-hdrext:sdes:mid"}));

  // 34 formats, 16 of them rtx: folded into the 18 they repair.
  EXPECT_EQ(offer.sdp.media[0].formats.size(), 34u);
  EXPECT_THAT(payload_types(video), ElementsAre(96, 98, 100, 35, 37, 102, 104, 108, 114, 116, 39,
                                                41, 43, 45, 47, 118, 120, 49));
  const auto& h264 = codec_with(video, 108);
  EXPECT_EQ(h264.encoding, "H264");
  EXPECT_EQ(h264.clock_rate, 90000u);
  EXPECT_EQ(h264.fmtp, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f");
  EXPECT_THAT(h264.feedback,
              ElementsAre("goog-remb", "transport-cc", "ccm fir", "nack", "nack pli"));
  EXPECT_EQ(h264.rtx_payload_type, 109);
  EXPECT_EQ(codec_with(video, 96).rtx_payload_type, 97);
  EXPECT_EQ(codec_with(video, 118).encoding, "red");
  EXPECT_EQ(codec_with(video, 118).rtx_payload_type, 119);
  EXPECT_FALSE(codec_with(video, 120).rtx_payload_type);  // ulpfec has no rtx
  EXPECT_FALSE(codec_with(video, 49).rtx_payload_type);

  const auto& audio = offer.media[1];
  EXPECT_EQ(audio.kind, "audio");
  EXPECT_EQ(audio.mid, "1");
  EXPECT_EQ(audio.direction, "recvonly");
  EXPECT_EQ(audio.ice_ufrag, video.ice_ufrag);
  EXPECT_THAT(payload_types(audio), ElementsAre(111, 63, 9, 0, 8, 13, 110, 126));
  const auto& opus = codec_with(audio, 111);
  EXPECT_EQ(opus.encoding, "opus");
  EXPECT_EQ(opus.clock_rate, 48000u);
  EXPECT_EQ(opus.channels, 2u);
  EXPECT_EQ(opus.fmtp, "minptime=10;useinbandfec=1");
  EXPECT_THAT(opus.feedback, ElementsAre("transport-cc"));
  EXPECT_EQ(codec_with(audio, 0).encoding, "PCMU");
  EXPECT_EQ(audio.codec_named("g722"), &codec_with(audio, 9));
  EXPECT_EQ(audio.codec_named("AAC"), nullptr);
}

TEST(WebRtcOffer, ReadsChromiumsWhipSendonlyOfferWithItsSsrcs) {
  const auto offer = real_offer(kWhipOffer);
  EXPECT_THAT(offer.bundle_mids, ElementsAre("0", "1"));
  ASSERT_EQ(offer.media.size(), 2u);

  // getUserMedia's tracks come audio first.
  const auto& audio = offer.media[0];
  EXPECT_EQ(audio.kind, "audio");
  EXPECT_EQ(audio.direction, "sendonly");
  EXPECT_THAT(audio.ssrcs, ElementsAre(1665991871u));
  EXPECT_FALSE(audio.fid);

  const auto& video = offer.media[1];
  EXPECT_EQ(video.kind, "video");
  EXPECT_EQ(video.mid, "1");
  EXPECT_EQ(video.direction, "sendonly");
  EXPECT_THAT(video.ssrcs, ElementsAre(2451362432u, 1127811213u));
  ASSERT_TRUE(video.fid);
  EXPECT_EQ(*video.fid, (std::pair<std::uint32_t, std::uint32_t>{2451362432u, 1127811213u}));
  EXPECT_EQ(video.ice_ufrag, "QIPS");
  EXPECT_EQ(video.ice_pwd, "gd591LnnNV+2RRN7pAwLFV6k");
  EXPECT_EQ(codec_with(video, 102).fmtp,
            "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f");
  EXPECT_EQ(codec_with(video, 102).rtx_payload_type, 103);
}

TEST(WebRtcOffer, ReadsGstreamersWhipOfferWithABundleOnlyLine) {
  // webrtcbin with bundle-policy max-bundle: the second line has port 0 and a=bundle-only.
  const auto offer = real_offer(kGstreamerWhipOffer);
  EXPECT_THAT(offer.bundle_mids, ElementsAre("video0", "audio1"));
  ASSERT_EQ(offer.media.size(), 2u);
  const auto& video = offer.media[0];
  EXPECT_EQ(video.mid, "video0");
  EXPECT_EQ(video.direction, "sendonly");
  EXPECT_EQ(video.setup, "actpass");
  EXPECT_EQ(video.ice_ufrag, "UR7rt+gi7nCEYt7L8vwFxM1A9iXEWmmd");
  EXPECT_THAT(payload_types(video), ElementsAre(96));
  EXPECT_FALSE(video.codecs[0].rtx_payload_type);
  EXPECT_THAT(video.codecs[0].feedback, ElementsAre("nack pli", "ccm fir", "transport-cc"));
  EXPECT_THAT(video.ssrcs, ElementsAre(2145311108u));
  EXPECT_FALSE(video.fid);

  const auto& audio = offer.media[1];
  EXPECT_FALSE(audio.rejected);
  EXPECT_EQ(offer.sdp.media[1].port, 0);
  EXPECT_EQ(audio.codecs.at(0).encoding, "OPUS");
  EXPECT_EQ(audio.codec_named("opus"), &audio.codecs[0]);
  EXPECT_EQ(audio.fingerprint, video.fingerprint);
}

TEST(WebRtcOffer, AcceptsTheMinimalOffer) {
  const auto offer =
      parse_webrtc_offer(session_part() + media_part("video", "0") + media_part("audio", "1"));
  ASSERT_TRUE(offer) << offer.error();
  ASSERT_EQ(offer->media.size(), 2u);
  EXPECT_FALSE(offer->media[0].rtcp_rsize);
  EXPECT_THAT(payload_types(offer->media[0]), ElementsAre(102));
}

TEST(WebRtcOffer, TakesCredentialsAndFingerprintFromTheSessionLevel) {
  const std::string session = session_part() +
                              "a=ice-ufrag:sess\r\na=ice-pwd:0123456789abcdefghijklmn\r\n"
                              "a=fingerprint:sha-256 " +
                              std::string(kFingerprint) + "\r\na=setup:active\r\n";
  std::string video = media_part("video", "0", "a=ice-ufrag:abcd\r\n", "");
  video = video.replace(video.find("a=ice-pwd:"), 36, "");
  std::string audio = media_part("audio", "1", "a=ice-ufrag:abcd\r\n", "");
  audio = audio.replace(audio.find("a=ice-pwd:"), 36, "");
  for (auto* part : {&video, &audio}) {
    part->replace(part->find("a=fingerprint:"), 22 + kFingerprint.size() + 2, "");
    part->replace(part->find("a=setup:actpass\r\n"), 17, "");
  }
  const auto offer = parse_webrtc_offer(session + video + audio);
  ASSERT_TRUE(offer) << offer.error();
  for (const auto& media : offer->media) {
    EXPECT_EQ(media.ice_ufrag, "sess");
    EXPECT_EQ(media.fingerprint, kFingerprint);
    EXPECT_EQ(media.setup, "active");
  }
}

TEST(WebRtcOffer, PicksTheSha256FingerprintAmongOthers) {
  const auto offer = parse_webrtc_offer(
      session_part("a=group:BUNDLE 0") +
      media_part("audio", "0", "a=fingerprint:",
                 "a=fingerprint:sha-1 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33"
                 "\r\na=fingerprint:"));
  ASSERT_TRUE(offer) << offer.error();
  EXPECT_EQ(offer->media[0].fingerprint, kFingerprint);
}

TEST(WebRtcOffer, RefusesAnOfferWithoutIceCredentials) {
  EXPECT_THAT(error_of(session_part() + media_part("video", "0", "a=ice-ufrag:abcd\r\n", "") +
                       media_part("audio", "1")),
              HasSubstr("no a=ice-ufrag and a=ice-pwd"));
  EXPECT_THAT(error_of(session_part() + media_part("video", "0") +
                       media_part("audio", "1", "a=ice-pwd:0123456789abcdefghijklmn\r\n", "")),
              HasSubstr("m=audio (media 2) has no a=ice-ufrag and a=ice-pwd"));
}

TEST(WebRtcOffer, RefusesAnOfferWithoutSha256Fingerprint) {
  const std::string only_sha1 =
      "a=fingerprint:sha-1 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33";
  EXPECT_THAT(error_of(session_part() +
                       media_part("video", "0",
                                  "a=fingerprint:sha-256 " + std::string(kFingerprint), only_sha1) +
                       media_part("audio", "1")),
              HasSubstr("no a=fingerprint:sha-256"));
  EXPECT_THAT(error_of(session_part() + media_part("video", "0", kFingerprint, "AB:CD") +
                       media_part("audio", "1")),
              HasSubstr("is not 32 hex bytes"));
}

TEST(WebRtcOffer, RefusesSetupOtherThanActpassOrActive) {
  EXPECT_THAT(error_of(session_part() + media_part("video", "0", "actpass", "passive") +
                       media_part("audio", "1")),
              HasSubstr("a=setup:'passive', not actpass or active"));
  EXPECT_THAT(error_of(session_part() + media_part("video", "0", "a=setup:actpass\r\n", "") +
                       media_part("audio", "1")),
              HasSubstr("a=setup:'', not actpass or active"));
  EXPECT_TRUE(parse_webrtc_offer(session_part() + media_part("video", "0", "actpass", "active") +
                                 media_part("audio", "1")));
}

TEST(WebRtcOffer, RefusesAUsedLineWithoutRtcpMux) {
  EXPECT_THAT(error_of(session_part() + media_part("video", "0") +
                       media_part("audio", "1", "a=rtcp-mux\r\n", "")),
              HasSubstr("m=audio (media 2) has no a=rtcp-mux"));
}

TEST(WebRtcOffer, RefusesAProtoOtherThanDtlsSrtp) {
  EXPECT_THAT(error_of(session_part() + media_part("video", "0", "UDP/TLS/RTP/SAVPF", "RTP/SAVPF") +
                       media_part("audio", "1")),
              HasSubstr("'RTP/SAVPF', not UDP/TLS/RTP/SAVPF"));
  EXPECT_THAT(error_of(session_part() + media_part("video", "0") +
                       media_part("audio", "1", "UDP/TLS/RTP/SAVPF", "RTP/AVP")),
              HasSubstr("m=audio (media 2) is 'RTP/AVP'"));
}

TEST(WebRtcOffer, RefusesLinesOutsideOneBundleGroup) {
  EXPECT_THAT(error_of(session_part("") + media_part("video", "0") + media_part("audio", "1")),
              HasSubstr("no a=group:BUNDLE"));
  EXPECT_THAT(error_of(session_part("a=group:BUNDLE 0") + media_part("video", "0") +
                       media_part("audio", "1")),
              HasSubstr("m=audio (media 2) (mid '1') is not in the a=group:BUNDLE"));
  EXPECT_THAT(error_of(session_part("a=group:BUNDLE 0\r\na=group:BUNDLE 1") +
                       media_part("video", "0") + media_part("audio", "1")),
              HasSubstr("two a=group:BUNDLE"));
  EXPECT_THAT(error_of(session_part() + media_part("video", "0", "a=mid:0\r\n", "") +
                       media_part("audio", "1")),
              HasSubstr("has no a=mid"));
  EXPECT_THAT(error_of(session_part() + media_part("video", "0") + media_part("audio", "0")),
              HasSubstr("repeats mid '0'"));
}

TEST(WebRtcOffer, RefusesDifferentCredentialsAcrossTheBundle) {
  EXPECT_THAT(error_of(session_part() + media_part("video", "0") +
                       media_part("audio", "1", "a=ice-ufrag:abcd", "a=ice-ufrag:wxyz")),
              HasSubstr("m=audio (media 2) has other ICE credentials"));
  EXPECT_THAT(
      error_of(session_part() + media_part("video", "0") +
               media_part("audio", "1", "a=fingerprint:sha-256 AB", "a=fingerprint:sha-256 CD")),
      HasSubstr("another fingerprint"));
}

TEST(WebRtcOffer, RefusesAnOfferWithNoLineInUse) {
  EXPECT_THAT(
      error_of(session_part("a=group:BUNDLE") + media_part("video", "0", "m=video 9", "m=video 0")),
      HasSubstr("no a=group:BUNDLE"));
  EXPECT_THAT(error_of(session_part("a=group:BUNDLE 0") +
                       media_part("video", "0", "m=video 9", "m=video 0")),
              HasSubstr("no m= line in use"));
}

TEST(WebRtcOffer, ARejectedLineNeedsNothingOfTheTransport) {
  // Port 0: out of the bundle, no rtcp-mux, its own proto; the answer will reject it too.
  const auto offer =
      parse_webrtc_offer(session_part("a=group:BUNDLE 0") + media_part("video", "0") +
                         "m=audio 0 RTP/AVP 0\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\n");
  ASSERT_TRUE(offer) << offer.error();
  EXPECT_TRUE(offer->media[1].rejected);
  EXPECT_FALSE(offer->media[0].rejected);
}

TEST(WebRtcOffer, ABundleOnlyLineIsInUse) {
  const auto offer =
      parse_webrtc_offer(session_part() + media_part("video", "0") +
                         media_part("audio", "1", "m=audio 9", "m=audio 0") + "a=bundle-only\r\n");
  ASSERT_TRUE(offer) << offer.error();
  EXPECT_FALSE(offer->media[1].rejected);
}

TEST(WebRtcOffer, KeepsADataChannelLineForTheAnswerToReject) {
  const auto offer = parse_webrtc_offer(
      session_part("a=group:BUNDLE 0 1") + media_part("video", "0") +
      "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n"
      "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdefghijklmn\r\n"
      "a=fingerprint:sha-256 " +
      std::string(kFingerprint) + "\r\na=setup:actpass\r\na=mid:1\r\na=sctp-port:5000\r\n");
  ASSERT_TRUE(offer) << offer.error();
  EXPECT_EQ(offer->media[1].kind, "other");
  EXPECT_TRUE(offer->media[1].codecs.empty());
}

TEST(WebRtcOffer, RefusesMalformedSsrcAndExtmapLines) {
  EXPECT_THAT(error_of(session_part() + media_part("video", "0") + "a=ssrc:x cname:a\r\n" +
                       media_part("audio", "1")),
              HasSubstr("a=ssrc:'x cname:a' names no SSRC"));
  EXPECT_THAT(error_of(session_part() + media_part("video", "0") + "a=ssrc-group:FID 1\r\n" +
                       media_part("audio", "1")),
              HasSubstr("is not 'FID <ssrc> <ssrc>'"));
  EXPECT_THAT(error_of(session_part() + media_part("video", "0") + "a=extmap:0 urn:x\r\n" +
                       media_part("audio", "1")),
              HasSubstr("a=extmap:'0 urn:x'"));
  const auto offer = parse_webrtc_offer(session_part() + media_part("video", "0") +
                                        "a=extmap:3/recvonly urn:x\r\n" + media_part("audio", "1"));
  ASSERT_TRUE(offer) << offer.error();
  EXPECT_EQ(offer->media[0].extmaps.at(0), (std::pair<int, std::string>{3, "urn:x"}));
}

TEST(WebRtcOffer, RefusesWhatIsNotSdp) {
  EXPECT_THAT(error_of("hello"), HasSubstr("not SDP"));
  EXPECT_THAT(error_of(""), HasSubstr("not SDP"));
}

TEST(WebRtcOffer, DropsAnRtxWhoseAptNamesNoFormat) {
  const auto offer = parse_webrtc_offer(
      session_part() + media_part("video", "0", "apt=102", "apt=99") + media_part("audio", "1"));
  ASSERT_TRUE(offer) << offer.error();
  EXPECT_THAT(payload_types(offer->media[0]), ElementsAre(102));
  EXPECT_FALSE(offer->media[0].codecs[0].rtx_payload_type);
}

}  // namespace
}  // namespace callcast::webrtc::webrtc_offer_test
