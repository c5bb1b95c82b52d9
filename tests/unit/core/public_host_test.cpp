// Which host goes into the URLs and SDP terminals are given (704, 713): core::choose_public_host.
#include "core/public_host.hpp"

#include <gtest/gtest.h>

namespace callcast::core {
namespace {

MediaConfig listening_on(const std::string& host, const std::string& public_host = {}) {
  MediaConfig media;
  media.rtsp.host = host;
  media.public_host = public_host;
  return media;
}

const std::vector<LocalAddress> kOneLan = {{"lo", "127.0.0.1", true},
                                           {"lo", "::1", true},
                                           {"eth0", "10.99.0.1", false},
                                           {"eth0", "fe80::1", false}};
const std::vector<LocalAddress> kTwoLans = {
    {"lo", "127.0.0.1", true}, {"eth0", "10.99.0.1", false}, {"eth1", "192.168.1.5", false}};

TEST(PublicHostTest, SpecificListenAddressIsHandedOutAsItIs) {
  auto choice = choose_public_host(listening_on("10.99.0.1"), kTwoLans, std::nullopt);
  ASSERT_TRUE(choice) << choice.error();
  EXPECT_EQ(choice->host, "10.99.0.1");
  choice = choose_public_host(listening_on("127.0.0.1"), kTwoLans, std::nullopt);
  ASSERT_TRUE(choice) << choice.error();
  EXPECT_EQ(choice->host, "127.0.0.1");
}

TEST(PublicHostTest, WildcardWithOneNonLoopbackAddressHandsOutThatAddress) {
  auto choice = choose_public_host(listening_on("0.0.0.0"), kOneLan, std::nullopt);
  ASSERT_TRUE(choice) << choice.error();
  EXPECT_EQ(choice->host, "10.99.0.1");
}

TEST(PublicHostTest, WildcardPrefersTheAddressTowardTheDefaultRoute) {
  auto choice = choose_public_host(listening_on("0.0.0.0"), kTwoLans, "192.168.1.5");
  ASSERT_TRUE(choice) << choice.error();
  EXPECT_EQ(choice->host, "192.168.1.5");
}

TEST(PublicHostTest, WildcardWithSeveralAddressesAndNoDefaultRouteIsRefused) {
  auto choice = choose_public_host(listening_on("0.0.0.0"), kTwoLans, std::nullopt);
  ASSERT_FALSE(choice);
  EXPECT_NE(choice.error().find("10.99.0.1, 192.168.1.5"), std::string::npos) << choice.error();
  EXPECT_NE(choice.error().find("media.public_host"), std::string::npos) << choice.error();
}

TEST(PublicHostTest, WildcardOnAHostWithOnlyLoopbackHandsOutLoopback) {
  const std::vector<LocalAddress> only_lo = {{"lo", "127.0.0.1", true}};
  auto choice = choose_public_host(listening_on("0.0.0.0"), only_lo, std::nullopt);
  ASSERT_TRUE(choice) << choice.error();
  EXPECT_EQ(choice->host, "127.0.0.1");
}

TEST(PublicHostTest, Ipv6WildcardSkipsLinkLocalAndIpv4) {
  const std::vector<LocalAddress> addresses = {{"lo", "::1", true},
                                               {"eth0", "fe80::1", false},
                                               {"eth0", "10.0.0.1", false},
                                               {"eth0", "2001:db8::5", false}};
  auto choice = choose_public_host(listening_on("::"), addresses, std::nullopt);
  ASSERT_TRUE(choice) << choice.error();
  EXPECT_EQ(choice->host, "2001:db8::5");
}

TEST(PublicHostTest, ConfiguredWildcardMulticastOrBroadcastIsRefused) {
  for (const char* host : {"0.0.0.0", "::", "239.1.2.3", "255.255.255.255", "ff02::1"}) {
    auto choice = choose_public_host(listening_on("0.0.0.0", host), kOneLan, std::nullopt);
    ASSERT_FALSE(choice) << host;
    EXPECT_NE(choice.error().find("not an address a terminal can connect to"), std::string::npos)
        << choice.error();
  }
}

TEST(PublicHostTest, ConfiguredLoopbackWhileListeningBeyondLoopbackIsRefused) {
  auto choice = choose_public_host(listening_on("0.0.0.0", "127.0.0.1"), kOneLan, std::nullopt);
  ASSERT_FALSE(choice);
  EXPECT_NE(choice.error().find("loopback"), std::string::npos) << choice.error();
  choice = choose_public_host(listening_on("10.99.0.1", "localhost"), kOneLan, std::nullopt);
  EXPECT_FALSE(choice);
  // Loopback on loopback is the single-host default, and fine.
  choice = choose_public_host(listening_on("127.0.0.1", "localhost"), kOneLan, std::nullopt);
  EXPECT_TRUE(choice);
}

TEST(PublicHostTest, ConfiguredNameOrAddressIsTakenAsGiven) {
  // Behind a port-forwarding NAT the public address is not one of the host's own.
  auto choice =
      choose_public_host(listening_on("0.0.0.0", "media.example.net"), kTwoLans, std::nullopt);
  ASSERT_TRUE(choice) << choice.error();
  EXPECT_EQ(choice->host, "media.example.net");
  choice = choose_public_host(listening_on("0.0.0.0", "203.0.113.7"), kTwoLans, std::nullopt);
  ASSERT_TRUE(choice) << choice.error();
  EXPECT_EQ(choice->host, "203.0.113.7");
}

}  // namespace
}  // namespace callcast::core
