#include "rtsp/rtsp_message.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace callcast::rtsp {
namespace {

// Captured from ffmpeg 5.1 (Lavf59.27.100) publishing H.264 + AAC over TCP to a logging server.
constexpr std::string_view kFfmpegAnnounce =
    "ANNOUNCE rtsp://127.0.0.1:18554/groups/13800000001?token=eyJnIjoiMTM4MDAwMDAwMDEifQ."
    "c2lnbmF0dXJl RTSP/1.0\r\n"
    "Content-Type: application/sdp\r\n"
    "CSeq: 2\r\n"
    "User-Agent: Lavf59.27.100\r\n"
    "Content-Length: 507\r\n"
    "\r\n"
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

constexpr std::string_view kFfmpegSetup =
    "SETUP rtsp://127.0.0.1:18554/groups/13800000001?token=eyJnIjoiMTM4MDAwMDAwMDEifQ."
    "c2lnbmF0dXJl/streamid=0 RTSP/1.0\r\n"
    "Transport: RTP/AVP/TCP;unicast;interleaved=0-1;mode=record\r\n"
    "CSeq: 3\r\n"
    "User-Agent: Lavf59.27.100\r\n"
    "\r\n";

// GStreamer 1.22 rtspsrc: its OPTIONS carries RealMedia compatibility headers.
constexpr std::string_view kGstreamerOptions =
    "OPTIONS rtsp://127.0.0.1:18555/groups/13800000001?token=eyJnIjoiMTM4MDAwMDAwMDEifQ."
    "c2lnbmF0dXJl RTSP/1.0\r\n"
    "CSeq: 1\r\n"
    "User-Agent: GStreamer/1.22.0\r\n"
    "User-Agent: RealMedia Player Version 6.0.9.1235 (linux-2.0-libc6-i386-gcc2.95)\r\n"
    "ClientChallenge: 9e26d33f2984236010ef6253fb1887f7\r\n"
    "CompanyID: KnKV4M4I/B2FjJ1TToLycw==\r\n"
    "GUID: 00000000-0000-0000-0000-000000000000\r\n"
    "RegionData: 0\r\n"
    "PlayerStarttime: [28/03/2003:22:50:23 00:00]\r\n"
    "ClientID: Linux_2.4_6.0.9.1235_play32_RN01_EN_586\r\n"
    "Date: Tue, 24 Nov 2026 02:24:22 GMT\r\n"
    "\r\n";

// ffmpeg 5.1 in -rtsp_flags listen mode answering OPTIONS, ANNOUNCE, SETUP and RECORD: four
// responses read back to back from one TCP connection.
constexpr std::string_view kFfmpegServerResponses =
    "RTSP/1.0 200 OK\r\nCSeq: 1\r\nServer: Lavf59.27.100\r\n"
    "Public: ANNOUNCE, PAUSE, SETUP, TEARDOWN, RECORD\r\n\r\n"
    "RTSP/1.0 200 OK\r\nCSeq: 2\r\nServer: Lavf59.27.100\r\n\r\n"
    "RTSP/1.0 200 OK\r\nCSeq: 3\r\nServer: Lavf59.27.100\r\n"
    "Transport: RTP/AVP/TCP;unicast;mode=receive;interleaved=0-1\r\nSession: 528760692\r\n\r\n"
    "RTSP/1.0 200 OK\r\nCSeq: 4\r\nServer: Lavf59.27.100\r\nSession: 528760692\r\n\r\n";

const ParserLimits kDefaultLimits;

ParseResult<RtspRequest> parse(std::string_view buffer, const ParserLimits& limits = {}) {
  return parse_request(buffer, limits);
}

std::string lf_only(std::string_view crlf) {
  std::string out;
  for (std::size_t i = 0; i < crlf.size(); ++i) {
    if (crlf[i] == '\r' && i + 1 < crlf.size() && crlf[i + 1] == '\n') continue;
    out += crlf[i];
  }
  return out;
}

std::string request_with_header(std::string_view header_line) {
  return "OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n" + std::string(header_line) + "\r\n\r\n";
}

void expect_error(const ParseResult<RtspRequest>& result, int status) {
  EXPECT_EQ(result.status, ParseStatus::error);
  EXPECT_EQ(result.error_status, status);
  EXPECT_FALSE(result.error.empty());
}

// --- golden requests -----------------------------------------------------------------------

TEST(RtspRequestParse, FfmpegAnnounceGivesStartLineHeadersAndSdpBody) {
  const auto result = parse(kFfmpegAnnounce);
  ASSERT_EQ(result.status, ParseStatus::complete) << result.error;
  EXPECT_EQ(result.consumed, kFfmpegAnnounce.size());
  const auto& request = result.message;
  EXPECT_EQ(request.method, "ANNOUNCE");
  EXPECT_EQ(request.uri,
            "rtsp://127.0.0.1:18554/groups/13800000001?token=eyJnIjoiMTM4MDAwMDAwMDEifQ."
            "c2lnbmF0dXJl");
  EXPECT_EQ(request.version, "RTSP/1.0");
  ASSERT_EQ(request.headers.size(), 4u);
  EXPECT_EQ(request.headers[0].name, "Content-Type");
  EXPECT_EQ(request.headers[0].value, "application/sdp");
  EXPECT_EQ(request.cseq(), 2u);
  EXPECT_EQ(request.header("user-agent"), "Lavf59.27.100");
  EXPECT_EQ(request.body.size(), 507u);
  EXPECT_TRUE(request.body.starts_with("v=0\r\n"));
  EXPECT_TRUE(request.body.ends_with("a=control:streamid=1\r\n"));
}

TEST(RtspRequestParse, FfmpegSetupKeepsTransportValue) {
  const auto result = parse(kFfmpegSetup);
  ASSERT_EQ(result.status, ParseStatus::complete) << result.error;
  EXPECT_EQ(result.message.header("Transport"), "RTP/AVP/TCP;unicast;interleaved=0-1;mode=record");
  EXPECT_EQ(result.message.cseq(), 3u);
  EXPECT_TRUE(result.message.body.empty());
}

TEST(RtspRequestParse, RepeatedHeaderIsKeptAndLookupReturnsTheFirst) {
  const auto result = parse(kGstreamerOptions);
  ASSERT_EQ(result.status, ParseStatus::complete) << result.error;
  EXPECT_EQ(result.message.headers.size(), 10u);
  EXPECT_EQ(result.message.header("User-Agent"), "GStreamer/1.22.0");
  EXPECT_EQ(result.message.headers[2].value,
            "RealMedia Player Version 6.0.9.1235 (linux-2.0-libc6-i386-gcc2.95)");
  EXPECT_EQ(result.message.header("PlayerStarttime"), "[28/03/2003:22:50:23 00:00]");
}

TEST(RtspRequestParse, HeaderLookupIgnoresCase) {
  const auto result = parse(kFfmpegSetup);
  ASSERT_EQ(result.status, ParseStatus::complete);
  EXPECT_EQ(result.message.header("TRANSPORT"), result.message.header("transport"));
  EXPECT_TRUE(result.message.header("cseq").has_value());
  EXPECT_FALSE(result.message.header("Session").has_value());
}

TEST(RtspRequestParse, AsteriskUriIsAccepted) {
  const auto result = parse("OPTIONS * RTSP/1.0\r\nCSeq: 9\r\n\r\n");
  ASSERT_EQ(result.status, ParseStatus::complete);
  EXPECT_EQ(result.message.uri, "*");
}

TEST(RtspRequestParse, HeaderValuesAreTrimmedOfSpacesAndTabs) {
  const auto result = parse(request_with_header("Session: \t 12345678;timeout=60 \t"));
  ASSERT_EQ(result.status, ParseStatus::complete);
  EXPECT_EQ(result.message.header("Session"), "12345678;timeout=60");
}

TEST(RtspRequestParse, EmptyHeaderValueIsAllowed) {
  const auto result = parse(request_with_header("Require:"));
  ASSERT_EQ(result.status, ParseStatus::complete);
  EXPECT_EQ(result.message.header("Require"), "");
}

TEST(RtspRequestParse, LfOnlyLineEndsParseLikeCrlf) {
  const auto lf = lf_only(kFfmpegSetup);
  const auto result = parse(lf);
  ASSERT_EQ(result.status, ParseStatus::complete) << result.error;
  EXPECT_EQ(result.consumed, lf.size());
  EXPECT_EQ(result.message.header("Transport"), "RTP/AVP/TCP;unicast;interleaved=0-1;mode=record");
  EXPECT_EQ(result.message.cseq(), 3u);
}

TEST(RtspRequestParse, MixedLineEndsAreAccepted) {
  const auto result = parse("OPTIONS * RTSP/1.0\nCSeq: 4\r\nUser-Agent: x\n\r\n");
  ASSERT_EQ(result.status, ParseStatus::complete);
  EXPECT_EQ(result.message.cseq(), 4u);
  EXPECT_EQ(result.message.header("User-Agent"), "x");
}

TEST(RtspRequestParse, EmptyLinesBeforeTheRequestLineAreSkippedAndConsumed) {
  const std::string buffer = "\r\n\r\nOPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n";
  const auto result = parse(buffer);
  ASSERT_EQ(result.status, ParseStatus::complete);
  EXPECT_EQ(result.message.method, "OPTIONS");
  EXPECT_EQ(result.consumed, buffer.size());
}

TEST(RtspRequestParse, ContinuationLineIsFoldedIntoThePreviousValue) {
  const auto result =
      parse("OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nRequire: implicit-play,\r\n \t com.example\r\n\r\n");
  ASSERT_EQ(result.status, ParseStatus::complete);
  EXPECT_EQ(result.message.header("Require"), "implicit-play, com.example");
  EXPECT_EQ(result.message.headers.size(), 2u);
}

TEST(RtspRequestParse, ContinuationLineBeforeAnyHeaderIsRejected) {
  expect_error(parse("OPTIONS * RTSP/1.0\r\n folded\r\nCSeq: 1\r\n\r\n"), 400);
}

// --- CSeq ----------------------------------------------------------------------------------

TEST(RtspRequestCseq, MissingCseqStillParsesButHasNoNumber) {
  const auto result = parse("OPTIONS * RTSP/1.0\r\nUser-Agent: probe\r\n\r\n");
  ASSERT_EQ(result.status, ParseStatus::complete);
  EXPECT_FALSE(result.message.cseq().has_value());
}

TEST(RtspRequestCseq, OnlyPlainDecimalUint32IsANumber) {
  const auto cseq_of = [](std::string_view value) {
    return parse("OPTIONS * RTSP/1.0\r\nCSeq: " + std::string(value) + "\r\n\r\n").message.cseq();
  };
  EXPECT_EQ(cseq_of("0"), 0u);
  EXPECT_EQ(cseq_of("007"), 7u);
  EXPECT_EQ(cseq_of("4294967295"), 4294967295u);
  EXPECT_FALSE(cseq_of("4294967296").has_value());
  EXPECT_FALSE(cseq_of("-1").has_value());
  EXPECT_FALSE(cseq_of("+1").has_value());
  EXPECT_FALSE(cseq_of("0x10").has_value());
  EXPECT_FALSE(cseq_of("1 2").has_value());
  EXPECT_FALSE(cseq_of("abc").has_value());
}

// --- incomplete input and pipelining --------------------------------------------------------

TEST(RtspRequestParse, EveryProperPrefixNeedsMore) {
  for (std::size_t size = 0; size < kFfmpegAnnounce.size(); ++size) {
    const auto result = parse(kFfmpegAnnounce.substr(0, size));
    ASSERT_EQ(result.status, ParseStatus::need_more) << "prefix of " << size << " bytes";
    EXPECT_EQ(result.consumed, 0u);
  }
}

TEST(RtspRequestParse, PipelinedRequestsAreConsumedOneAtATimeExactly) {
  const std::string buffer = std::string(kFfmpegAnnounce) + std::string(kFfmpegSetup) +
                             std::string(kGstreamerOptions.substr(0, 40));
  const auto first = parse(buffer);
  ASSERT_EQ(first.status, ParseStatus::complete);
  EXPECT_EQ(first.message.method, "ANNOUNCE");
  EXPECT_EQ(first.consumed, kFfmpegAnnounce.size());

  const auto rest = std::string_view(buffer).substr(first.consumed);
  const auto second = parse(rest);
  ASSERT_EQ(second.status, ParseStatus::complete);
  EXPECT_EQ(second.message.method, "SETUP");
  EXPECT_EQ(second.consumed, kFfmpegSetup.size());

  EXPECT_EQ(parse(rest.substr(second.consumed)).status, ParseStatus::need_more);
}

TEST(RtspRequestParse, InterleavedFrameAfterARequestIsNotConsumed) {
  const std::string buffer = std::string(kFfmpegSetup) + "$\x00\x00\x04" + "abcd";
  const auto result = parse(buffer);
  ASSERT_EQ(result.status, ParseStatus::complete);
  EXPECT_EQ(result.consumed, kFfmpegSetup.size());
}

TEST(RtspRequestParse, BodyWithoutContentLengthIsNotPartOfTheMessage) {
  const std::string head = "ANNOUNCE rtsp://h/groups/G RTSP/1.0\r\nCSeq: 2\r\n\r\n";
  const auto result = parse(head + "v=0\r\n");
  ASSERT_EQ(result.status, ParseStatus::complete);
  EXPECT_TRUE(result.message.body.empty());
  EXPECT_EQ(result.consumed, head.size());
}

// --- malformed input ---------------------------------------------------------------------------

TEST(RtspRequestParse, BinaryGarbageIsRejectedBeforeAnyLineEnd) {
  // The start of a TLS ClientHello, as sent by a client that tries rtsps:// on this port.
  const std::string_view client_hello("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11);
  expect_error(parse(client_hello), 400);
  expect_error(parse(std::string_view("OPTIONS\0 * RTSP/1.0", 19)), 400);
}

TEST(RtspRequestParse, BinaryGarbageWithLineEndsIsRejected) {
  expect_error(parse(std::string_view("\x80\x60\x12\x34\r\n\r\n", 8)), 400);
}

TEST(RtspRequestParse, RequestLineWithoutThreePartsIsRejected) {
  expect_error(parse("OPTIONS\r\n\r\n"), 400);
  expect_error(parse("OPTIONS rtsp://h/\r\n\r\n"), 400);
  expect_error(parse("OPTIONS  rtsp://h/ RTSP/1.0\r\n\r\n"), 400);
  expect_error(parse("OPTIONS rtsp://h/ extra RTSP/1.0\r\n\r\n"), 400);
}

TEST(RtspRequestParse, MethodMustBeAToken) {
  expect_error(parse("OPT(ONS * RTSP/1.0\r\n\r\n"), 400);
  expect_error(parse("SET:UP * RTSP/1.0\r\n\r\n"), 400);
}

TEST(RtspRequestParse, VersionOtherThanRtsp10IsRejectedWith505AfterFraming) {
  const std::string buffer = "OPTIONS * RTSP/2.0\r\nCSeq: 5\r\n\r\n";
  const auto result = parse(buffer + "OPTIONS");
  expect_error(result, 505);
  // Framed, so that the server can answer with the CSeq and keep reading.
  EXPECT_EQ(result.consumed, buffer.size());
  EXPECT_EQ(result.message.cseq(), 5u);
}

TEST(RtspRequestParse, HttpRequestIsRejectedWith505) {
  expect_error(parse("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), 505);
}

TEST(RtspRequestParse, VersionThatIsNotAVersionIsRejectedWith400) {
  expect_error(parse("OPTIONS * RTSP\r\n\r\n"), 400);
  expect_error(parse("OPTIONS * RTSP/one\r\n\r\n"), 400);
}

TEST(RtspRequestParse, HeaderWithoutColonIsRejected) {
  const auto result = parse(request_with_header("Transport RTP/AVP"));
  expect_error(result, 400);
  EXPECT_NE(result.error.find("':'"), std::string::npos) << result.error;
}

TEST(RtspRequestParse, HeaderNameMustBeATokenWithoutSpaceBeforeColon) {
  expect_error(parse(request_with_header(": value")), 400);
  expect_error(parse(request_with_header("CSeq : 1")), 400);
  expect_error(parse(request_with_header("Bad(Name): 1")), 400);
}

TEST(RtspRequestParse, ControlCharactersInHeaderValueAreRejected) {
  expect_error(parse(request_with_header(std::string("Session: 12\0"
                                                     "34",
                                                     14))),
               400);
  expect_error(parse(request_with_header("Session: 12\r34")), 400);
}

TEST(RtspRequestParse, FailedParseKeepsWhatWasReadForTheErrorResponse) {
  const auto result = parse("SETUP rtsp://h/ RTSP/1.0\r\nCSeq: 7\r\nbroken\r\n\r\n");
  expect_error(result, 400);
  EXPECT_EQ(result.message.cseq(), 7u);
}

// --- limits ----------------------------------------------------------------------------------

TEST(RtspRequestLimits, MaxHeadersIsAcceptedAndOneMoreIsRejected) {
  ParserLimits limits;
  limits.max_headers = 3;
  const std::string three = "OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nA: 1\r\nB: 2\r\n\r\n";
  EXPECT_EQ(parse(three, limits).status, ParseStatus::complete);
  const auto result =
      parse("OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits);
  expect_error(result, 400);
  EXPECT_NE(result.error.find("more than 3 headers"), std::string::npos) << result.error;
}

TEST(RtspRequestLimits, ContinuationLinesDoNotCountAsHeaders) {
  ParserLimits limits;
  limits.max_headers = 1;
  EXPECT_EQ(parse("OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n 2\r\n 3\r\n\r\n", limits).status,
            ParseStatus::complete);
}

TEST(RtspRequestLimits, EndlessHeadersAreRejectedByCountBeforeTheBlankLine) {
  std::string buffer = "OPTIONS * RTSP/1.0\r\n";
  for (std::size_t i = 0; i <= kDefaultLimits.max_headers; ++i) {
    buffer += "X-Pad: 1\r\n";
  }
  expect_error(parse(buffer), 400);
}

TEST(RtspRequestLimits, EndlessHeadersAreRejectedBySizeBeforeTheBlankLine) {
  ParserLimits limits;
  limits.max_headers = 100000;
  std::string buffer = "OPTIONS * RTSP/1.0\r\n";
  while (buffer.size() < limits.max_message_bytes) {
    buffer += "X-Pad: 0123456789\r\n";
  }
  expect_error(parse(buffer, limits), 413);
}

TEST(RtspRequestLimits, LineWithoutEndFillingTheLimitIsRejectedAt413) {
  ParserLimits limits;
  limits.max_message_bytes = 64;
  const std::string start = "OPTIONS rtsp://h/" + std::string(47, 'a');
  ASSERT_EQ(start.size(), 64u);
  EXPECT_EQ(parse(start.substr(0, 63), limits).status, ParseStatus::need_more);
  expect_error(parse(start, limits), 413);
}

TEST(RtspRequestLimits, MessageOfExactlyTheLimitIsAcceptedAndOneByteMoreIsNot) {
  const std::string head = "ANNOUNCE * RTSP/1.0\r\nContent-Length: 10\r\n\r\n";
  ParserLimits limits;
  limits.max_message_bytes = head.size() + 10;
  EXPECT_EQ(parse(head + "0123456789", limits).status, ParseStatus::complete);
  limits.max_message_bytes -= 1;
  expect_error(parse(head + "0123456789", limits), 413);
}

TEST(RtspRequestLimits, ContentLengthBeyondTheLimitIsRejectedWithoutWaitingForTheBody) {
  expect_error(parse("ANNOUNCE * RTSP/1.0\r\nContent-Length: 16384\r\n\r\n"), 413);
  expect_error(parse("ANNOUNCE * RTSP/1.0\r\nContent-Length: 99999999999999999999999\r\n\r\n"),
               413);
}

TEST(RtspRequestLimits, ContentLengthThatIsNotPlainDecimalIsRejected) {
  for (const std::string_view value : {"abc", "-5", "+5", "5 5", "0x10", "1e3", ""}) {
    const auto result = parse(request_with_header("Content-Length: " + std::string(value)));
    expect_error(result, 400);
  }
}

TEST(RtspRequestLimits, TwoContentLengthsAreRejected) {
  expect_error(parse("ANNOUNCE * RTSP/1.0\r\nContent-Length: 3\r\ncontent-length: 3\r\n\r\nabc"),
               400);
}

TEST(RtspRequestLimits, ShortLyingContentLengthCutsTheBodyAndLeavesTheRest) {
  const std::string head = "ANNOUNCE * RTSP/1.0\r\nCSeq: 2\r\nContent-Length: 3\r\n\r\n";
  const std::string buffer = head + "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\n\r\n";
  const auto result = parse(buffer);
  ASSERT_EQ(result.status, ParseStatus::complete);
  EXPECT_EQ(result.message.body, "v=0");
  EXPECT_EQ(result.consumed, head.size() + 3);
  // What the lie left behind is framed as the next message and refused there.
  expect_error(parse(std::string_view(buffer).substr(result.consumed)), 400);
}

TEST(RtspRequestLimits, LongLyingContentLengthWaitsForBytesThatNeverCome) {
  const auto result = parse("ANNOUNCE * RTSP/1.0\r\nContent-Length: 500\r\n\r\nv=0\r\n");
  EXPECT_EQ(result.status, ParseStatus::need_more);
  EXPECT_EQ(result.consumed, 0u);
}

TEST(RtspRequestLimits, ZeroLimitRefusesEverything) {
  ParserLimits limits;
  limits.max_message_bytes = 0;
  expect_error(parse("O", limits), 413);
}

// --- responses -------------------------------------------------------------------------------

TEST(RtspResponseParse, FfmpegServerResponsesParseBackToBack) {
  auto rest = kFfmpegServerResponses;
  std::vector<RtspResponse> responses;
  while (!rest.empty()) {
    auto result = parse_response(rest, kDefaultLimits);
    ASSERT_EQ(result.status, ParseStatus::complete) << result.error;
    responses.push_back(std::move(result.message));
    rest.remove_prefix(result.consumed);
  }
  ASSERT_EQ(responses.size(), 4u);
  EXPECT_EQ(responses[0].status, 200);
  EXPECT_EQ(responses[0].reason, "OK");
  EXPECT_EQ(responses[0].header("Public"), "ANNOUNCE, PAUSE, SETUP, TEARDOWN, RECORD");
  EXPECT_EQ(responses[2].header("Transport"), "RTP/AVP/TCP;unicast;mode=receive;interleaved=0-1");
  EXPECT_EQ(responses[3].header("Session"), "528760692");
}

TEST(RtspResponseParse, ReasonMayBeAbsentOrHaveSpaces) {
  const auto bare = parse_response("RTSP/1.0 200\r\nCSeq: 1\r\n\r\n", kDefaultLimits);
  ASSERT_EQ(bare.status, ParseStatus::complete);
  EXPECT_EQ(bare.message.reason, "");
  const auto spaced =
      parse_response("RTSP/1.0 455 Method Not Valid in This State\r\n\r\n", kDefaultLimits);
  ASSERT_EQ(spaced.status, ParseStatus::complete);
  EXPECT_EQ(spaced.message.status, 455);
  EXPECT_EQ(spaced.message.reason, "Method Not Valid in This State");
}

TEST(RtspResponseParse, BodyIsFramedByContentLength) {
  const std::string sdp = "v=0\r\ns=x\r\n";
  const std::string buffer =
      "RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Type: application/sdp\r\n"
      "Content-Length: " +
      std::to_string(sdp.size()) + "\r\n\r\n" + sdp;
  const auto result = parse_response(buffer, kDefaultLimits);
  ASSERT_EQ(result.status, ParseStatus::complete);
  EXPECT_EQ(result.message.body, sdp);
  EXPECT_EQ(result.consumed, buffer.size());
}

TEST(RtspResponseParse, StatusCodeMustBeThreeDigits) {
  for (const std::string_view line : {"RTSP/1.0 20 OK", "RTSP/1.0 2000 OK", "RTSP/1.0 2x0 OK",
                                      "RTSP/1.0 099 Odd", "RTSP/1.0", "RTSP/1.0 OK 200"}) {
    const auto result = parse_response(std::string(line) + "\r\n\r\n", kDefaultLimits);
    EXPECT_EQ(result.status, ParseStatus::error) << line;
    EXPECT_EQ(result.error_status, 400) << line;
  }
}

TEST(RtspResponseParse, OtherVersionIsRejectedWith505) {
  const auto result = parse_response("RTSP/2.0 200 OK\r\n\r\n", kDefaultLimits);
  EXPECT_EQ(result.status, ParseStatus::error);
  EXPECT_EQ(result.error_status, 505);
}

TEST(RtspResponseParse, SizeLimitAppliesToResponsesToo) {
  ParserLimits limits;
  limits.max_message_bytes = 32;
  const auto result =
      parse_response("RTSP/1.0 200 OK\r\nServer: a-rather-long-server-name\r\n\r\n", limits);
  EXPECT_EQ(result.status, ParseStatus::error);
  EXPECT_EQ(result.error_status, 413);
}

// --- building responses ------------------------------------------------------------------------

TEST(RtspResponseSerialize, SetupResponseGivesGoldenBytes) {
  RtspResponse response;
  response.add("CSeq", "3")
      .add("Session", "12345678;timeout=60")
      .add("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1;mode=record");
  EXPECT_EQ(response.serialize(),
            "RTSP/1.0 200 OK\r\n"
            "CSeq: 3\r\n"
            "Session: 12345678;timeout=60\r\n"
            "Transport: RTP/AVP/TCP;unicast;interleaved=0-1;mode=record\r\n"
            "\r\n");
}

TEST(RtspResponseSerialize, BodyGetsAContentLength) {
  RtspResponse response;
  response.add("CSeq", "2").add("Content-Type", "application/sdp");
  response.body = "v=0\r\n";
  EXPECT_EQ(response.serialize(),
            "RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Type: application/sdp\r\n"
            "Content-Length: 5\r\n\r\nv=0\r\n");
}

TEST(RtspResponseSerialize, StandardReasonIsUsedWhenNoneIsGiven) {
  RtspResponse response;
  response.status = 461;
  EXPECT_TRUE(response.serialize().starts_with("RTSP/1.0 461 Unsupported Transport\r\n"));
  response.reason = "Only TCP";
  EXPECT_TRUE(response.serialize().starts_with("RTSP/1.0 461 Only TCP\r\n"));
}

TEST(RtspResponseSerialize, CallersContentLengthIsNeitherRepeatedNorWrong) {
  RtspResponse response;
  response.add("Content-Length", "5").add("CSeq", "1").add("Content-Length", "99");
  response.body = "hello";
  EXPECT_EQ(response.serialize(), "RTSP/1.0 200 OK\r\nContent-Length: 5\r\nCSeq: 1\r\n\r\nhello");
  response.body = "hi";
  EXPECT_EQ(response.serialize(), "RTSP/1.0 200 OK\r\nContent-Length: 2\r\nCSeq: 1\r\n\r\nhi");
}

TEST(RtspResponseSerialize, EmptyBodyHasNoContentLength) {
  RtspResponse response;
  response.status = 404;
  response.add("CSeq", "1");
  EXPECT_EQ(response.serialize(), "RTSP/1.0 404 Not Found\r\nCSeq: 1\r\n\r\n");
}

TEST(RtspResponseSerialize, LineBreaksInValuesCannotInjectHeaders) {
  RtspResponse response;
  response.add("Session", "1\r\nX-Injected: yes");
  const auto bytes = response.serialize();
  const auto result = parse_response(bytes, kDefaultLimits);
  ASSERT_EQ(result.status, ParseStatus::complete);
  EXPECT_FALSE(result.message.header("X-Injected").has_value());
  EXPECT_EQ(result.message.headers.size(), 1u);
}

TEST(RtspResponseSerialize, SerializedResponseParsesBackToTheSameFields) {
  RtspResponse response;
  response.status = 200;
  response.add("CSeq", "2")
      .add("Content-Base", "rtsp://127.0.0.1:8554/groups/13800000001/")
      .add("Content-Type", "application/sdp");
  response.body = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=callcast\r\nt=0 0\r\n";
  const auto bytes = response.serialize();
  const auto result = parse_response(bytes, kDefaultLimits);
  ASSERT_EQ(result.status, ParseStatus::complete) << result.error;
  EXPECT_EQ(result.consumed, bytes.size());
  EXPECT_EQ(result.message.status, 200);
  EXPECT_EQ(result.message.reason, "OK");
  EXPECT_EQ(result.message.body, response.body);
  ASSERT_EQ(result.message.headers.size(), 4u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(result.message.headers[i].name, response.headers[i].name);
    EXPECT_EQ(result.message.headers[i].value, response.headers[i].value);
  }
  EXPECT_EQ(result.message.header("Content-Length"), std::to_string(response.body.size()));
}

TEST(RtspReasonPhrase, FollowsRfc2326Table) {
  EXPECT_EQ(reason_phrase(200), "OK");
  EXPECT_EQ(reason_phrase(400), "Bad Request");
  EXPECT_EQ(reason_phrase(401), "Unauthorized");
  EXPECT_EQ(reason_phrase(403), "Forbidden");
  EXPECT_EQ(reason_phrase(404), "Not Found");
  EXPECT_EQ(reason_phrase(405), "Method Not Allowed");
  EXPECT_EQ(reason_phrase(406), "Not Acceptable");
  EXPECT_EQ(reason_phrase(408), "Request Timeout");
  EXPECT_EQ(reason_phrase(413), "Request Entity Too Large");
  EXPECT_EQ(reason_phrase(414), "Request-URI Too Large");
  EXPECT_EQ(reason_phrase(415), "Unsupported Media Type");
  EXPECT_EQ(reason_phrase(451), "Parameter Not Understood");
  EXPECT_EQ(reason_phrase(453), "Not Enough Bandwidth");
  EXPECT_EQ(reason_phrase(454), "Session Not Found");
  EXPECT_EQ(reason_phrase(455), "Method Not Valid in This State");
  EXPECT_EQ(reason_phrase(456), "Header Field Not Valid for Resource");
  EXPECT_EQ(reason_phrase(457), "Invalid Range");
  EXPECT_EQ(reason_phrase(459), "Aggregate Operation Not Allowed");
  EXPECT_EQ(reason_phrase(460), "Only Aggregate Operation Allowed");
  EXPECT_EQ(reason_phrase(461), "Unsupported Transport");
  EXPECT_EQ(reason_phrase(500), "Internal Server Error");
  EXPECT_EQ(reason_phrase(501), "Not Implemented");
  EXPECT_EQ(reason_phrase(503), "Service Unavailable");
  EXPECT_EQ(reason_phrase(505), "RTSP Version Not Supported");
  EXPECT_EQ(reason_phrase(551), "Option not supported");
}

TEST(RtspReasonPhrase, UnknownStatusHasUnknownPhrase) {
  EXPECT_EQ(reason_phrase(299), "Unknown");
  EXPECT_EQ(reason_phrase(-1), "Unknown");
}

}  // namespace
}  // namespace callcast::rtsp
