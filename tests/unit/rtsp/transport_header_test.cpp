#include "rtsp/transport_header.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace callcast::rtsp {
namespace {

using PortPair = std::pair<std::uint16_t, std::uint16_t>;
using ChannelPair = std::pair<std::uint8_t, std::uint8_t>;

TransportSpec parse_one(std::string_view header) {
  auto specs = parse_transport(header);
  EXPECT_TRUE(specs.ok()) << header << ": " << (specs.ok() ? "" : specs.error());
  if (!specs.ok() || specs->size() != 1) {
    ADD_FAILURE() << header << " did not give exactly one spec";
    return {};
  }
  return specs->front();
}

void expect_rejected(std::string_view header) {
  const auto specs = parse_transport(header);
  EXPECT_FALSE(specs.ok()) << header << " was accepted";
  if (!specs.ok()) {
    EXPECT_FALSE(specs.error().empty());
  }
}

// --- what real clients send -------------------------------------------------------------------

TEST(TransportParse, FfmpegTcpRecord) {
  const auto spec = parse_one("RTP/AVP/TCP;unicast;interleaved=0-1;mode=record");
  EXPECT_EQ(spec.profile, "RTP/AVP");
  EXPECT_EQ(spec.lower, LowerTransport::tcp);
  EXPECT_TRUE(spec.unicast);
  EXPECT_EQ(spec.interleaved, (ChannelPair{0, 1}));
  EXPECT_EQ(spec.mode, "record");
  EXPECT_FALSE(spec.client_port.has_value());
  EXPECT_FALSE(spec.ssrc.has_value());
}

TEST(TransportParse, GstreamerUpperCaseRecordModeIsLowerCased) {
  const auto spec = parse_one("RTP/AVP/TCP;unicast;interleaved=2-3;mode=RECORD");
  EXPECT_EQ(spec.interleaved, (ChannelPair{2, 3}));
  EXPECT_EQ(spec.mode, "record");
}

TEST(TransportParse, GstreamerUdpPlay) {
  const auto spec = parse_one("RTP/AVP;unicast;client_port=55408-55409");
  EXPECT_EQ(spec.profile, "RTP/AVP");
  EXPECT_EQ(spec.lower, LowerTransport::udp);
  EXPECT_EQ(spec.client_port, (PortPair{55408, 55409}));
  EXPECT_FALSE(spec.mode.has_value());
}

TEST(TransportParse, FfmpegExplicitUdpWithQuotedMode) {
  const auto spec = parse_one("RTP/AVP/UDP;unicast;client_port=5000-5001;mode=\"PLAY\"");
  EXPECT_EQ(spec.lower, LowerTransport::udp);
  EXPECT_EQ(spec.client_port, (PortPair{5000, 5001}));
  EXPECT_EQ(spec.mode, "play");
}

TEST(TransportParse, FfmpegServerAnswerWithModeReceive) {
  const auto spec = parse_one("RTP/AVP/TCP;unicast;mode=receive;interleaved=0-1");
  EXPECT_EQ(spec.mode, "receive");
  EXPECT_EQ(spec.interleaved, (ChannelPair{0, 1}));
}

TEST(TransportParse, SinglePortMeansThatPortAndTheNext) {
  EXPECT_EQ(parse_one("RTP/AVP;unicast;client_port=5000").client_port, (PortPair{5000, 5001}));
  EXPECT_EQ(parse_one("RTP/AVP/TCP;interleaved=4").interleaved, (ChannelPair{4, 5}));
}

TEST(TransportParse, ServerAnswerWithServerPortAndHexSsrc) {
  const auto spec =
      parse_one("RTP/AVP;unicast;client_port=5000-5001;server_port=8000-8001;ssrc=1A2B3C4D");
  EXPECT_EQ(spec.server_port, (PortPair{8000, 8001}));
  EXPECT_EQ(spec.ssrc, 0x1A2B3C4Du);
}

TEST(TransportParse, SsrcAcceptsLowerCaseShortAndZeroPaddedHex) {
  EXPECT_EQ(parse_one("RTP/AVP;ssrc=deadbeef").ssrc, 0xDEADBEEFu);
  EXPECT_EQ(parse_one("RTP/AVP;ssrc=1234").ssrc, 0x1234u);
  EXPECT_EQ(parse_one("RTP/AVP;ssrc=000000001234ABCD").ssrc, 0x1234ABCDu);
}

TEST(TransportParse, AlternativesAreKeptInOrder) {
  // RFC 2326 §12.39's own example of a client offering two transports, with the header's
  // continuation line folded as parse_request delivers it.
  const auto specs = parse_transport(
      "RTP/AVP;multicast;ttl=127;mode=\"PLAY\", "
      "RTP/AVP;unicast;client_port=3456-3457;mode=\"PLAY\"");
  ASSERT_TRUE(specs.ok()) << specs.error();
  ASSERT_EQ(specs->size(), 2u);
  EXPECT_FALSE((*specs)[0].unicast);
  EXPECT_EQ((*specs)[0].mode, "play");
  EXPECT_TRUE((*specs)[1].unicast);
  EXPECT_EQ((*specs)[1].client_port, (PortPair{3456, 3457}));
}

TEST(TransportParse, UdpThenTcpAlternativesOfOneClient) {
  const auto specs = parse_transport(
      "RTP/AVP;unicast;client_port=46214-46215, RTP/AVP/TCP;unicast;interleaved=0-1");
  ASSERT_TRUE(specs.ok()) << specs.error();
  ASSERT_EQ(specs->size(), 2u);
  EXPECT_EQ((*specs)[0].lower, LowerTransport::udp);
  EXPECT_EQ((*specs)[1].lower, LowerTransport::tcp);
}

TEST(TransportParse, EmptyAlternativesAreSkipped) {
  const auto specs = parse_transport("RTP/AVP;unicast;client_port=5000-5001,, ");
  ASSERT_TRUE(specs.ok());
  EXPECT_EQ(specs->size(), 1u);
}

TEST(TransportParse, AvpfProfileIsUpperCased) {
  const auto spec = parse_one("rtp/avpf/udp;unicast;client_port=5000-5001");
  EXPECT_EQ(spec.profile, "RTP/AVPF");
  EXPECT_EQ(spec.lower, LowerTransport::udp);
}

TEST(TransportParse, UnknownProfileIsKeptForA461Answer) {
  const auto spec = parse_one("RAW/RAW/UDP;unicast;client_port=5000-5001");
  EXPECT_EQ(spec.profile, "RAW/RAW");
  EXPECT_EQ(spec.client_port, (PortPair{5000, 5001}));
}

TEST(TransportParse, UnknownParametersAreIgnored) {
  const auto spec = parse_one("RTP/AVP;unicast;client_port=5000-5001;ttl=16;append;x-foo=\"a;b\"");
  EXPECT_EQ(spec.client_port, (PortPair{5000, 5001}));
}

TEST(TransportParse, SpacesAroundParametersAreTolerated) {
  const auto spec = parse_one(" RTP/AVP ; unicast ; client_port = 5000-5001 ; mode = play ");
  EXPECT_EQ(spec.client_port, (PortPair{5000, 5001}));
  EXPECT_EQ(spec.mode, "play");
}

TEST(TransportParse, DestinationAndSourceAreKeptAsWritten) {
  const auto spec = parse_one("RTP/AVP;unicast;destination=192.0.2.7;source=[2001:db8::1]");
  EXPECT_EQ(spec.destination, "192.0.2.7");
  EXPECT_EQ(spec.source, "[2001:db8::1]");
  EXPECT_EQ(parse_one("RTP/AVP;unicast;destination").destination, "");
}

// --- malformed ----------------------------------------------------------------------------------

TEST(TransportParse, EmptyHeaderIsRejected) {
  expect_rejected("");
  expect_rejected("  ");
  expect_rejected(",");
}

TEST(TransportParse, ProtocolWithoutProfileIsRejected) {
  expect_rejected("RTP");
  expect_rejected("unicast;client_port=5000-5001");
  expect_rejected("/AVP;unicast");
  expect_rejected("RTP/;unicast");
}

TEST(TransportParse, LowerTransportOtherThanUdpOrTcpIsRejected) {
  expect_rejected("RTP/AVP/SCTP;unicast");
  expect_rejected("RTP/AVP/TCP/X;unicast");
}

TEST(TransportParse, PortZeroAndPortsAbove65535AreRejected) {
  expect_rejected("RTP/AVP;client_port=0-1");
  expect_rejected("RTP/AVP;client_port=5000-0");
  expect_rejected("RTP/AVP;client_port=65536-65537");
  expect_rejected("RTP/AVP;client_port=65535");  // no room for the RTCP port
  expect_rejected("RTP/AVP;server_port=0");
  EXPECT_EQ(parse_one("RTP/AVP;client_port=65534-65535").client_port, (PortPair{65534, 65535}));
}

TEST(TransportParse, ChannelsAbove255AreRejected) {
  expect_rejected("RTP/AVP/TCP;interleaved=255-256");
  expect_rejected("RTP/AVP/TCP;interleaved=255");
  expect_rejected("RTP/AVP/TCP;interleaved=256");
  EXPECT_EQ(parse_one("RTP/AVP/TCP;interleaved=254-255").interleaved, (ChannelPair{254, 255}));
}

TEST(TransportParse, MalformedNumbersAreRejected) {
  for (const std::string_view header :
       {"RTP/AVP;client_port=", "RTP/AVP;client_port", "RTP/AVP;client_port=-5001",
        "RTP/AVP;client_port=5000-", "RTP/AVP;client_port=+5000",
        "RTP/AVP;client_port=5000-5001-5002", "RTP/AVP;client_port=abc",
        "RTP/AVP/TCP;interleaved=0x1", "RTP/AVP;client_port=99999999999999999999"}) {
    expect_rejected(header);
  }
}

TEST(TransportParse, MalformedSsrcIsRejected) {
  expect_rejected("RTP/AVP;ssrc=");
  expect_rejected("RTP/AVP;ssrc=12345678A");
  expect_rejected("RTP/AVP;ssrc=XYZ");
}

TEST(TransportParse, MalformedModeIsRejected) {
  expect_rejected("RTP/AVP;mode=");
  expect_rejected("RTP/AVP;mode=\"\"");
  expect_rejected("RTP/AVP;mode=\"PLAY");
}

TEST(TransportParse, MalformedAddressIsRejected) {
  expect_rejected("RTP/AVP;destination=");
  expect_rejected("RTP/AVP;source");
  expect_rejected("RTP/AVP;destination=a b");
}

TEST(TransportParse, UnicastFlagWithValueIsRejected) {
  expect_rejected("RTP/AVP;unicast=1");
}

TEST(TransportParse, OneMalformedAlternativeRejectsTheHeader) {
  expect_rejected("RTP/AVP;unicast;client_port=5000-5001, RTP/AVP/TCP;interleaved=300");
}

// --- formatting
// -------------------------------------------------------------------------------------

TEST(TransportFormat, UdpAnswerGivesGoldenText) {
  TransportSpec spec;
  spec.client_port = PortPair{5000, 5001};
  spec.server_port = PortPair{8000, 8001};
  spec.ssrc = 0x1A2B3C4D;
  EXPECT_EQ(format_transport(spec),
            "RTP/AVP;unicast;client_port=5000-5001;server_port=8000-8001;ssrc=1A2B3C4D");
}

TEST(TransportFormat, TcpRecordAnswerGivesGoldenText) {
  TransportSpec spec;
  spec.lower = LowerTransport::tcp;
  spec.interleaved = ChannelPair{0, 1};
  spec.mode = "record";
  EXPECT_EQ(format_transport(spec), "RTP/AVP/TCP;unicast;interleaved=0-1;mode=record");
}

TEST(TransportFormat, SsrcIsEightHexDigits) {
  TransportSpec spec;
  spec.ssrc = 0x12;
  EXPECT_EQ(format_transport(spec), "RTP/AVP;unicast;ssrc=00000012");
}

TEST(TransportFormat, EverythingRoundTrips) {
  TransportSpec spec;
  spec.profile = "RTP/AVPF";
  spec.unicast = false;
  spec.destination = "232.1.2.3";
  spec.source = "192.0.2.1";
  spec.client_port = PortPair{1, 2};
  spec.server_port = PortPair{65534, 65535};
  spec.ssrc = 0xFFFFFFFF;
  spec.mode = "play";
  const auto text = format_transport(spec);
  EXPECT_EQ(text,
            "RTP/AVPF;multicast;destination=232.1.2.3;source=192.0.2.1;client_port=1-2;"
            "server_port=65534-65535;ssrc=FFFFFFFF;mode=play");
  EXPECT_EQ(parse_one(text), spec);
}

TEST(TransportFormat, ParsedClientSpecsRoundTrip) {
  for (const std::string_view header :
       {"RTP/AVP/TCP;unicast;interleaved=0-1;mode=RECORD", "RTP/AVP;unicast;client_port=5000",
        "RTP/AVP/UDP;unicast;client_port=5000-5001;mode=\"PLAY\"", "RAW/RAW/UDP;unicast",
        "RTP/AVP;unicast;destination;ssrc=0"}) {
    const auto spec = parse_one(header);
    EXPECT_EQ(parse_one(format_transport(spec)), spec) << header;
  }
}

}  // namespace
}  // namespace callcast::rtsp
