#include "sdp/session_description.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace callcast::sdp {
namespace {

// The ANNOUNCE body of ffmpeg 5.1 (Lavf59.27.100, Debian build) publishing H.264 + AAC.
constexpr std::string_view kFfmpegH264Aac =
    "v=0\r\n"
    "o=- 0 0 IN IP4 127.0.0.1\r\n"
    "s=No Name\r\n"
    "c=IN IP4 127.0.0.1\r\n"
    "t=0 0\r\n"
    "a=tool:libavformat LIBAVFORMAT_VERSION\r\n"
    "m=video 0 RTP/AVP 96\r\n"
    "b=AS:2000\r\n"
    "a=rtpmap:96 H264/90000\r\n"
    "a=fmtp:96 packetization-mode=1; "
    "sprop-parameter-sets=Z0LAHtoCgPbARAAAAwAEAAADAMo8WLqA,aM48gA==; profile-level-id=42C01E\r\n"
    "a=control:streamid=0\r\n"
    "m=audio 0 RTP/AVP 97\r\n"
    "b=AS:128\r\n"
    "a=rtpmap:97 MPEG4-GENERIC/44100/2\r\n"
    "a=fmtp:97 profile-level-id=1;mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3; "
    "config=121056E500\r\n"
    "a=control:streamid=1\r\n";

// The ANNOUNCE body of GStreamer 1.22 rtspclientsink publishing Opus + H.264.
constexpr std::string_view kGstreamerOpusH264 =
    "v=0\r\n"
    "o=- 1646020648 1 IN IP4 127.0.0.1\r\n"
    "s=Session streamed with GStreamer\r\n"
    "i=rtspclientsink\r\n"
    "t=0 0\r\n"
    "a=tool:GStreamer\r\n"
    "m=audio 0 RTP/AVP 96\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "b=AS:64\r\n"
    "a=rtpmap:96 OPUS/48000/2\r\n"
    "a=fmtp:96 sprop-stereo=0;sprop-maxcapturerate=48000\r\n"
    "a=control:stream=1\r\n"
    "a=ts-refclk:local\r\n"
    "a=mediaclk:sender\r\n"
    "a=ssrc:1543597908 cname:user2650438194@host-edf8bd0f\r\n"
    "m=video 0 RTP/AVP 99\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "b=AS:2097\r\n"
    "a=rtpmap:99 H264/90000\r\n"
    "a=framerate:30\r\n"
    "a=fmtp:99 packetization-mode=1;sprop-parameter-sets=Z0LAHtoCgPbAWoMDA1KAAAADAIAAAB5HixdQ,"
    "aM48gA==;profile-level-id=42c01e;level-asymmetry-allowed=1\r\n"
    "a=control:stream=0\r\n"
    "a=ts-refclk:local\r\n"
    "a=mediaclk:sender\r\n"
    "a=ssrc:1307730547 cname:user2650438194@host-edf8bd0f\r\n";

SessionDescription parse_ok(std::string_view text, const SdpLimits& limits = {}) {
  auto description = SessionDescription::parse(text, limits);
  EXPECT_TRUE(description.ok()) << (description.ok() ? "" : description.error());
  return description.ok() ? description.value() : SessionDescription{};
}

std::string error_of(std::string_view text, const SdpLimits& limits = {}) {
  const auto description = SessionDescription::parse(text, limits);
  EXPECT_FALSE(description.ok());
  return description.ok() ? std::string() : description.error();
}

std::string lf_only(std::string_view crlf) {
  std::string out;
  for (const char c : crlf) {
    if (c != '\r') out += c;
  }
  return out;
}

// --- golden parse -------------------------------------------------------------------------------

TEST(SdpParse, FfmpegAnnounceGivesSessionLinesAndTwoMedia) {
  const auto sdp = parse_ok(kFfmpegH264Aac);
  ASSERT_EQ(sdp.session.size(), 6u);
  EXPECT_EQ(sdp.session[0], (Line{'v', "0"}));
  EXPECT_EQ(sdp.session[2], (Line{'s', "No Name"}));
  EXPECT_EQ(sdp.attribute("tool"), "libavformat LIBAVFORMAT_VERSION");

  ASSERT_EQ(sdp.media.size(), 2u);
  const auto& video = sdp.media[0];
  EXPECT_EQ(video.media, "video");
  EXPECT_EQ(video.port, 0);
  EXPECT_EQ(video.proto, "RTP/AVP");
  EXPECT_EQ(video.formats, std::vector<std::string>{"96"});
  ASSERT_EQ(video.lines.size(), 4u);
  EXPECT_EQ(video.lines[0], (Line{'b', "AS:2000"}));
  EXPECT_EQ(video.attribute("control"), "streamid=0");
  EXPECT_EQ(sdp.media[1].media, "audio");
  EXPECT_EQ(sdp.media[1].attribute("control"), "streamid=1");
}

TEST(SdpParse, GstreamerAnnounceKeepsMediaLevelLinesInOrder) {
  const auto sdp = parse_ok(kGstreamerOpusH264);
  ASSERT_EQ(sdp.media.size(), 2u);
  const auto& audio = sdp.media[0];
  ASSERT_EQ(audio.lines.size(), 8u);
  EXPECT_EQ(audio.lines[0], (Line{'c', "IN IP4 0.0.0.0"}));
  EXPECT_EQ(audio.lines[7], (Line{'a', "ssrc:1543597908 cname:user2650438194@host-edf8bd0f"}));
  EXPECT_EQ(audio.attribute("control"), "stream=1");
  EXPECT_EQ(audio.attribute("ts-refclk"), "local");
  EXPECT_EQ(sdp.media[1].attribute("control"), "stream=0");
  EXPECT_EQ(sdp.media[1].formats, std::vector<std::string>{"99"});
}

TEST(SdpParse, LfOnlyParsesLikeCrlf) {
  const auto lf = parse_ok(lf_only(kFfmpegH264Aac));
  const auto crlf = parse_ok(kFfmpegH264Aac);
  EXPECT_EQ(lf.serialize(), crlf.serialize());
}

TEST(SdpParse, LastLineWithoutLineEndAndEmptyLinesAreAccepted) {
  const auto sdp = parse_ok("v=0\r\n\r\ns=x\n\nm=video 0 RTP/AVP 96");
  EXPECT_EQ(sdp.session.size(), 2u);
  ASSERT_EQ(sdp.media.size(), 1u);
  EXPECT_EQ(sdp.media[0].formats, std::vector<std::string>{"96"});
}

TEST(SdpParse, MediaLineWithPortCountAndSeveralFormats) {
  const auto sdp = parse_ok("v=0\r\nm=video 49170/2 RTP/AVP 96 97 98\r\n");
  ASSERT_EQ(sdp.media.size(), 1u);
  EXPECT_EQ(sdp.media[0].port, 49170);
  EXPECT_EQ(sdp.media[0].port_count, 2);
  EXPECT_EQ(sdp.media[0].formats, (std::vector<std::string>{"96", "97", "98"}));
}

TEST(SdpParse, IptvRtspApplicationMediaOfTheSipAnswer) {
  const auto sdp = parse_ok(
      "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
      "m=application 8554 TCP iptv_rtsp\r\n"
      "a=fmtp:iptv_rtsp h-uri=rtsp://192.0.2.1:8554/groups/13800000001?token=abc.def\r\n");
  ASSERT_EQ(sdp.media.size(), 1u);
  EXPECT_EQ(sdp.media[0].port, 8554);
  EXPECT_EQ(sdp.media[0].proto, "TCP");
  EXPECT_EQ(sdp.media[0].formats, std::vector<std::string>{"iptv_rtsp"});
  EXPECT_EQ(sdp.media[0].attribute("fmtp"),
            "iptv_rtsp h-uri=rtsp://192.0.2.1:8554/groups/13800000001?token=abc.def");
}

TEST(SdpParse, WebrtcProtoWithSeveralSlashesIsAccepted) {
  const auto sdp = parse_ok("v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n");
  EXPECT_EQ(sdp.media[0].proto, "UDP/TLS/RTP/SAVPF");
}

// --- malformed ----------------------------------------------------------------------------------

TEST(SdpParse, FirstLineMustBeVersionZero) {
  EXPECT_EQ(error_of("o=- 0 0 IN IP4 127.0.0.1\r\nv=0\r\n"), "SDP does not start with v=0");
  EXPECT_EQ(error_of("v=1\r\n"), "SDP does not start with v=0");
  EXPECT_EQ(error_of("v=0 \r\n"), "SDP does not start with v=0");
}

TEST(SdpParse, EmptyTextIsRejected) {
  EXPECT_FALSE(SessionDescription::parse("").ok());
  EXPECT_FALSE(SessionDescription::parse("\r\n\r\n").ok());
}

TEST(SdpParse, LineMustBeLowerCaseLetterAndEquals) {
  EXPECT_EQ(error_of("v=0\r\nS=x\r\n"), "line 2 is not <letter>=<value>");
  EXPECT_EQ(error_of("v=0\r\ns x\r\n"), "line 2 is not <letter>=<value>");
  EXPECT_EQ(error_of("v=0\r\ns\r\n"), "line 2 is not <letter>=<value>");
  EXPECT_EQ(error_of("v=0\r\n=x\r\n"), "line 2 is not <letter>=<value>");
  EXPECT_FALSE(SessionDescription::parse(std::string_view("v=0\r\n\x80=x\r\n", 10)).ok());
}

TEST(SdpParse, NulOrBareCrInsideALineIsRejected) {
  EXPECT_FALSE(SessionDescription::parse(std::string_view("v=0\r\ns=a\0b\r\n", 12)).ok());
  EXPECT_FALSE(SessionDescription::parse("v=0\r\ns=a\rb\r\n").ok());
}

TEST(SdpParse, MalformedMediaLinesAreRejected) {
  for (const std::string_view m :
       {"m=video 0 RTP/AVP", "m=video", "m=video x RTP/AVP 96", "m=video 65536 RTP/AVP 96",
        "m=video -1 RTP/AVP 96", "m=video 5000/0 RTP/AVP 96", "m=video 5000/ RTP/AVP 96",
        "m=video 0 RTP//AVP 96", "m=video 0 /AVP 96", "m=vi:deo 0 RTP/AVP 96"}) {
    const auto text = "v=0\r\n" + std::string(m) + "\r\n";
    EXPECT_FALSE(SessionDescription::parse(text).ok()) << m;
  }
  EXPECT_EQ(parse_ok("v=0\r\nm=video 65535 RTP/AVP 96\r\n").media[0].port, 65535);
}

// --- limits -------------------------------------------------------------------------------------

TEST(SdpLimits, SizeLimitIsInclusive) {
  SdpLimits limits;
  limits.max_bytes = kFfmpegH264Aac.size();
  EXPECT_TRUE(SessionDescription::parse(kFfmpegH264Aac, limits).ok());
  limits.max_bytes -= 1;
  EXPECT_EQ(error_of(kFfmpegH264Aac, limits),
            "SDP is larger than " + std::to_string(limits.max_bytes) + " bytes");
}

TEST(SdpLimits, TooManyMediaAreRejected) {
  SdpLimits limits;
  limits.max_media = 1;
  EXPECT_EQ(error_of(kFfmpegH264Aac, limits), "SDP has more than 1 media");
  limits.max_media = 2;
  EXPECT_TRUE(SessionDescription::parse(kFfmpegH264Aac, limits).ok());
}

TEST(SdpLimits, TooManyLinesAreRejected) {
  SdpLimits limits;
  limits.max_lines = 15;
  EXPECT_EQ(error_of(kFfmpegH264Aac, limits), "SDP has more than 15 lines");
  limits.max_lines = 16;
  EXPECT_TRUE(SessionDescription::parse(kFfmpegH264Aac, limits).ok());
}

TEST(SdpLimits, EmptyLinesDoNotCountAsLines) {
  SdpLimits limits;
  limits.max_lines = 2;
  EXPECT_TRUE(SessionDescription::parse("v=0\r\n\r\n\r\n\r\ns=x\r\n", limits).ok());
}

// --- serialize ----------------------------------------------------------------------------------

TEST(SdpSerialize, CapturedDescriptionsSerializeByteForByte) {
  EXPECT_EQ(parse_ok(kFfmpegH264Aac).serialize(), kFfmpegH264Aac);
  EXPECT_EQ(parse_ok(kGstreamerOpusH264).serialize(), kGstreamerOpusH264);
}

TEST(SdpSerialize, BuiltDescriptionGivesGoldenText) {
  SessionDescription sdp;
  sdp.session = {{'v', "0"}, {'o', "- 1 1 IN IP4 127.0.0.1"}, {'s', "callcast"}, {'t', "0 0"}};
  MediaDescription video;
  video.media = "video";
  video.proto = "RTP/AVP";
  video.formats = {"96"};
  video.lines = {{'a', "rtpmap:96 H264/90000"}, {'a', "control:trackID=1"}};
  sdp.media.push_back(video);
  EXPECT_EQ(sdp.serialize(),
            "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=callcast\r\nt=0 0\r\n"
            "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:trackID=1\r\n");
}

TEST(SdpSerialize, MediaLineIsRebuiltWithSingleSpacesAndPortCount) {
  EXPECT_EQ(parse_ok("v=0\nm=audio  5000/2   RTP/AVP 0  8\n").serialize(),
            "v=0\r\nm=audio 5000/2 RTP/AVP 0 8\r\n");
}

TEST(SdpSerialize, RoundTripIsStable) {
  const auto once = parse_ok(lf_only(kGstreamerOpusH264)).serialize();
  const auto twice = parse_ok(once).serialize();
  EXPECT_EQ(once, twice);
}

// --- attributes and editing ---------------------------------------------------------------------

TEST(SdpAttributes, FlagAttributeHasEmptyValueAndAbsentIsNullopt) {
  const auto sdp = parse_ok("v=0\r\na=recvonly\r\na=range:npt=0-\r\n");
  EXPECT_EQ(sdp.attribute("recvonly"), "");
  EXPECT_EQ(sdp.attribute("range"), "npt=0-");
  EXPECT_FALSE(sdp.attribute("sendonly").has_value());
  EXPECT_FALSE(sdp.attribute("rang").has_value());
}

TEST(SdpAttributes, AttributesListsEveryValueInOrder) {
  const auto sdp = parse_ok(kGstreamerOpusH264);
  const auto clocks = sdp.media[1].attributes("mediaclk");
  ASSERT_EQ(clocks.size(), 1u);
  EXPECT_EQ(clocks[0], "sender");
  auto media = sdp.media[0];
  media.lines.push_back({'a', "rtpmap:97 telephone-event/8000"});
  EXPECT_EQ(media.attributes("rtpmap"),
            (std::vector<std::string_view>{"96 OPUS/48000/2", "97 telephone-event/8000"}));
}

TEST(SdpAttributes, SetAttributeReplacesTheFirstOrAppends) {
  auto sdp = parse_ok(kFfmpegH264Aac);
  auto& video = sdp.media[0];
  video.set_attribute("control", "trackID=1");
  EXPECT_EQ(video.attribute("control"), "trackID=1");
  EXPECT_EQ(video.lines.size(), 4u);
  video.set_attribute("recvonly", "");
  EXPECT_EQ(video.lines.back(), (Line{'a', "recvonly"}));
  sdp.set_attribute("control", "*");
  EXPECT_EQ(sdp.session.back(), (Line{'a', "control:*"}));
}

TEST(SdpAttributes, RemoveAttributeRemovesEveryCopy) {
  auto sdp = parse_ok(kGstreamerOpusH264);
  auto& audio = sdp.media[0];
  audio.lines.push_back({'a', "ts-refclk:ntp=pool.ntp.org"});
  audio.remove_attribute("ts-refclk");
  EXPECT_TRUE(audio.attributes("ts-refclk").empty());
  EXPECT_TRUE(audio.attribute("mediaclk").has_value());
  sdp.remove_attribute("tool");
  EXPECT_FALSE(sdp.attribute("tool").has_value());
}

TEST(SdpAttributes, SetLineReplacesOrInsertsInRfcOrder) {
  auto sdp = parse_ok("v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nt=0 0\r\na=tool:x\r\n");
  sdp.set_line('s', "callcast");
  EXPECT_EQ(sdp.session[2], (Line{'s', "callcast"}));
  sdp.set_line('c', "IN IP4 192.0.2.1");
  ASSERT_EQ(sdp.session.size(), 6u);
  EXPECT_EQ(sdp.session[3], (Line{'c', "IN IP4 192.0.2.1"}));
  EXPECT_EQ(sdp.session[4], (Line{'t', "0 0"}));
}

// --- rtpmap and fmtp ----------------------------------------------------------------------------

TEST(SdpRtpmap, H264HasClockRateAndNoChannels) {
  const auto map = rtpmap_for(parse_ok(kFfmpegH264Aac).media[0], 96);
  ASSERT_TRUE(map.has_value());
  EXPECT_EQ(map->payload_type, 96);
  EXPECT_EQ(map->encoding, "H264");
  EXPECT_EQ(map->clock_rate, 90000u);
  EXPECT_FALSE(map->channels.has_value());
}

TEST(SdpRtpmap, AacAndOpusHaveChannels) {
  const auto aac = rtpmap_for(parse_ok(kFfmpegH264Aac).media[1], 97);
  ASSERT_TRUE(aac.has_value());
  EXPECT_EQ(aac->encoding, "MPEG4-GENERIC");
  EXPECT_EQ(aac->clock_rate, 44100u);
  EXPECT_EQ(aac->channels, 2u);

  MediaDescription media;
  media.lines = {{'a', "rtpmap:111 opus/48000/2"}};
  const auto opus = rtpmap_for(media, 111);
  ASSERT_TRUE(opus.has_value());
  EXPECT_EQ(opus->encoding, "opus");
  EXPECT_EQ(opus->clock_rate, 48000u);
  EXPECT_EQ(opus->channels, 2u);
}

TEST(SdpRtpmap, OtherPayloadTypeOrMalformedMapIsNullopt) {
  const auto sdp = parse_ok(kFfmpegH264Aac);
  EXPECT_FALSE(rtpmap_for(sdp.media[0], 97).has_value());
  for (const std::string_view value : {"rtpmap:96 H264", "rtpmap:96 /90000", "rtpmap:96 H264/x",
                                       "rtpmap:96 H264/90000/", "rtpmap:96 H264/99999999999"}) {
    MediaDescription media;
    media.lines = {{'a', std::string(value)}};
    EXPECT_FALSE(rtpmap_for(media, 96).has_value()) << value;
  }
}

TEST(SdpFmtp, ReturnsTheParametersOfThePayloadType) {
  const auto sdp = parse_ok(kFfmpegH264Aac);
  EXPECT_EQ(fmtp_for(sdp.media[0], 96),
            "packetization-mode=1; sprop-parameter-sets=Z0LAHtoCgPbARAAAAwAEAAADAMo8WLqA,"
            "aM48gA==; profile-level-id=42C01E");
  EXPECT_FALSE(fmtp_for(sdp.media[0], 97).has_value());
  EXPECT_TRUE(fmtp_for(sdp.media[1], 97).has_value());
}

TEST(SdpFmtp, ParameterAfterSpaceAndWithEqualsInsideItsValue) {
  EXPECT_EQ(fmtp_parameter("packetization-mode=1; sprop-parameter-sets=Z0LAHtkA,aM48gA==",
                           "sprop-parameter-sets"),
            "Z0LAHtkA,aM48gA==");
  EXPECT_EQ(fmtp_parameter("packetization-mode=1; sprop-parameter-sets=Z0LAHtkA,aM48gA==",
                           "packetization-mode"),
            "1");
}

TEST(SdpFmtp, ParameterKeysIgnoreCase) {
  const auto aac = fmtp_for(parse_ok(kFfmpegH264Aac).media[1], 97);
  ASSERT_TRUE(aac.has_value());
  EXPECT_EQ(fmtp_parameter(*aac, "config"), "121056E500");
  EXPECT_EQ(fmtp_parameter(*aac, "SizeLength"), "13");
  EXPECT_EQ(fmtp_parameter(*aac, "mode"), "AAC-hbr");
}

TEST(SdpFmtp, MissingParameterIsNulloptAndBareKeyIsEmpty) {
  EXPECT_FALSE(fmtp_parameter("a=1;b=2", "c").has_value());
  EXPECT_FALSE(fmtp_parameter("", "a").has_value());
  EXPECT_FALSE(fmtp_parameter("ab=1", "a").has_value());
  EXPECT_EQ(fmtp_parameter("a=1;flag;b=2", "flag"), "");
  EXPECT_EQ(fmtp_parameter("a=1;;b=2;", "b"), "2");
}

}  // namespace
}  // namespace callcast::sdp
