// Listen addresses and port pairs as flags and the config file write them (core/host_port.hpp).
#include "core/host_port.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace callcast::core {
namespace {

using ::testing::HasSubstr;

// ---- host:port --------------------------------------------------------------------------------

TEST(ParseHostPortTest, AcceptsIpv4NamesAndBracketedIpv6) {
  EXPECT_EQ(*parse_host_port("127.0.0.1:8554"), (HostPort{"127.0.0.1", 8554}));
  EXPECT_EQ(*parse_host_port("localhost:80"), (HostPort{"localhost", 80}));
  EXPECT_EQ(*parse_host_port("media-1.example.org:65535"),
            (HostPort{"media-1.example.org", 65535}));
  EXPECT_EQ(*parse_host_port("[::1]:8554"), (HostPort{"::1", 8554}));
  EXPECT_EQ(*parse_host_port("[2001:db8::1]:5060"), (HostPort{"2001:db8::1", 5060}));
  EXPECT_EQ(*parse_host_port("[fe80::1%eth0]:5060"), (HostPort{"fe80::1%eth0", 5060}));
}

TEST(ParseHostPortTest, PortZeroLetsTheOsChoose) {
  EXPECT_EQ(*parse_host_port("0.0.0.0:0"), (HostPort{"0.0.0.0", 0}));
}

TEST(ParseHostPortTest, RejectsMalformedAddresses) {
  for (std::string_view bad : {
           "",
           "localhost",   // no port
           "localhost:",  // empty port
           ":8554",       // empty host
           "::1:80",      // IPv6 without brackets
           "[::1]",       // no port
           "[::1]8554",
           "[::1:8554",
           "[]:8554",
           "[localhost]:80",  // brackets are for IPv6 only
           "host:65536",
           "host:99999999",
           "host:-1",
           "host:+80",
           "host:80a",
           "host: 80",
           "my host:80",
           "host/path:80",
       }) {
    EXPECT_FALSE(parse_host_port(bad).ok()) << bad;
  }
}

TEST(ParseHostPortTest, ErrorsSayWhatIsWrong) {
  EXPECT_THAT(parse_host_port("localhost").error(), HasSubstr("missing port"));
  EXPECT_THAT(parse_host_port("::1:80").error(), HasSubstr("brackets"));
  EXPECT_THAT(parse_host_port(":80").error(), HasSubstr("empty host"));
  EXPECT_THAT(parse_host_port("h:70000").error(), HasSubstr("port"));
}

TEST(HostPortToStringTest, BracketsIpv6AndRoundTrips) {
  EXPECT_EQ(to_string(HostPort{"127.0.0.1", 8554}), "127.0.0.1:8554");
  EXPECT_EQ(to_string(HostPort{"::1", 8554}), "[::1]:8554");
  for (std::string_view text : {"127.0.0.1:8554", "[::1]:0", "localhost:80"}) {
    EXPECT_EQ(to_string(*parse_host_port(text)), text);
  }
}

// ---- port pair, role -------------------------------------------------------------------------

TEST(ParsePortPairTest, RtcpIsRtpPlusOne) {
  EXPECT_EQ(*parse_port_pair("8000-8001"), (PortPair{8000, 8001}));
  EXPECT_EQ(*parse_port_pair("65534-65535"), (PortPair{65534, 65535}));
}

TEST(ParsePortPairTest, ZeroZeroLetsTheOsChoose) {
  EXPECT_EQ(*parse_port_pair("0-0"), (PortPair{0, 0}));
}

TEST(ParsePortPairTest, RejectsOtherPairsAndForms) {
  for (std::string_view bad :
       {"", "8000", "8000-", "-8001", "8000-8002", "8001-8000", "8000-8000", "0-1", "65535-65536",
        "8000:8001", "8000 - 8001", "a-b", "8000-8001-8002"}) {
    EXPECT_FALSE(parse_port_pair(bad).ok()) << bad;
  }
}

TEST(PortPairToStringTest, IsWhatParsePortPairReads) {
  EXPECT_EQ(to_string(PortPair{8000, 8001}), "8000-8001");
  EXPECT_EQ(to_string(PortPair{0, 0}), "0-0");
  EXPECT_EQ(parse_port_pair(to_string(PortPair{9000, 9001})).value(), (PortPair{9000, 9001}));
}

}  // namespace
}  // namespace callcast::core
