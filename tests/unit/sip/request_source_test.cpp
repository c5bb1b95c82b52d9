// A request's terminal address from its Via headers, straight or through trusted proxies
// (Kamailio in front of the signaling nodes, issue 15).
#include "sip/request_source.hpp"

#include <gtest/gtest.h>

namespace callcast::sip::request_source_test {
namespace {

const std::vector<std::string> kKamailio = {"10.99.0.1"};

TEST(RequestSourceTest, AStraightRequestIsWhereItsPacketCameFrom) {
  // The stack wrote received= only where the packet's address differs from the Via's host.
  EXPECT_EQ(request_source({{"10.0.0.5", ""}}, {}).address, "10.0.0.5");
  EXPECT_FALSE(request_source({{"10.0.0.5", ""}}, {}).behind_nat);
  const RequestSource natted = request_source({{"192.168.1.2", "203.0.113.7"}}, {});
  EXPECT_EQ(natted.address, "203.0.113.7");
  EXPECT_TRUE(natted.behind_nat);
  EXPECT_FALSE(natted.via_proxy);
  EXPECT_EQ(request_source({}, {}).address, "");
}

TEST(RequestSourceTest, ThroughATrustedProxyTheTerminalsViaIsRead) {
  // Kamailio's Via on top, the terminal's below it with what Kamailio saw (force_rport).
  const RequestSource lan = request_source({{"10.99.0.1", ""}, {"10.99.0.5", ""}}, kKamailio);
  EXPECT_EQ(lan.address, "10.99.0.5");
  EXPECT_FALSE(lan.behind_nat);
  EXPECT_TRUE(lan.via_proxy);
  const RequestSource natted =
      request_source({{"10.99.0.1", ""}, {"192.168.99.2", "10.99.0.254"}}, kKamailio);
  EXPECT_EQ(natted.address, "10.99.0.254");
  EXPECT_TRUE(natted.behind_nat);
  // The proxy seen at another address than its Via says (it sits behind a NAT of its own) is
  // known by where its packets came from.
  EXPECT_EQ(request_source({{"172.16.0.1", "10.99.0.1"}, {"10.99.0.5", ""}}, kKamailio).address,
            "10.99.0.5");
}

TEST(RequestSourceTest, AnUntrustedSendersLowerViasAreNotBelieved) {
  // A terminal that puts a Via of its choosing under its own is where its packet came from.
  const RequestSource forged =
      request_source({{"10.0.0.9", ""}, {"10.0.0.66", "203.0.113.66"}}, kKamailio);
  EXPECT_EQ(forged.address, "10.0.0.9");
  EXPECT_FALSE(forged.via_proxy);
  EXPECT_EQ(request_source({{"10.99.0.1", ""}, {"10.99.0.5", ""}}, {}).address, "10.99.0.1")
      << "no proxy trusted: the proxy is the sender";
}

TEST(RequestSourceTest, ARequestTheProxyMadeItselfIsTheProxys) {
  // Its OPTIONS probe has its Via alone.
  const RequestSource probe = request_source({{"10.99.0.1", ""}}, kKamailio);
  EXPECT_EQ(probe.address, "10.99.0.1");
  EXPECT_FALSE(probe.via_proxy);
}

TEST(RequestSourceTest, ChainsOfTrustedProxiesAndIpv6Spellings) {
  const std::vector<std::string> proxies = {"2001:db8::1", "10.99.0.1"};
  const RequestSource source = request_source(
      {{"[2001:db8:0::1]", ""}, {"10.99.0.1", ""}, {"[2001:db8::5]", "2001:db8::99"}}, proxies);
  EXPECT_EQ(source.address, "2001:db8::99");
  EXPECT_TRUE(source.behind_nat);
  EXPECT_TRUE(source.via_proxy);
  EXPECT_FALSE(request_source({{"[2001:db8::5]", "2001:db8:0:0::5"}}, {}).behind_nat)
      << "one address in two spellings";
}

}  // namespace
}  // namespace callcast::sip::request_source_test
