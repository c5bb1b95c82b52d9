// Which address a terminal binds and advertises (issue 10, item 1): the local address that
// routes to the server, found without sending a packet; and --bind's checks.
#include "terminal/local_address.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "terminal/terminal_args.hpp"

namespace callcast::terminal {
namespace {

// The IPv4 addresses of this machine's interfaces that are up, loopback excluded.
std::vector<std::string> own_ipv4_addresses() {
  std::vector<std::string> found;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return found;
  for (const ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
    if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET) continue;
    if ((a->ifa_flags & IFF_UP) == 0 || (a->ifa_flags & IFF_LOOPBACK) != 0) continue;
    char text[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(a->ifa_addr)->sin_addr, text,
              sizeof text);
    found.emplace_back(text);
  }
  freeifaddrs(list);
  return found;
}

TEST(LocalAddress, AServerOnThisMachineIsReachedOverLoopback) {
  EXPECT_EQ(local_address_toward("127.0.0.1", 5060).value(), "127.0.0.1");
  // Any 127/8 address goes out through lo, from lo's own address.
  EXPECT_EQ(local_address_toward("127.0.0.7", 5060).value(), "127.0.0.1");
  const auto name = local_address_toward("localhost", 5060);
  ASSERT_TRUE(name.ok()) << name.error();
  EXPECT_TRUE(*name == "127.0.0.1" || *name == "::1") << *name;
}

TEST(LocalAddress, IPv6LoopbackServerGivesIPv6Loopback) {
  const auto v6 = local_address_toward("::1", 5060);
  if (!v6.ok()) GTEST_SKIP() << "no IPv6 loopback here: " << v6.error();
  EXPECT_EQ(*v6, "::1");
}

// A server at one of this machine's own non-loopback addresses is reached from that address:
// what a terminal on another host gets is the address of its interface toward the server, not
// 127.0.0.1.
TEST(LocalAddress, AServerAtAnInterfaceAddressIsReachedFromThatAddress) {
  const auto addresses = own_ipv4_addresses();
  if (addresses.empty()) GTEST_SKIP() << "no interface other than loopback";
  for (const auto& address : addresses) {
    const auto local = local_address_toward(address, 5060);
    ASSERT_TRUE(local.ok()) << address << ": " << local.error();
    EXPECT_EQ(*local, address);
    EXPECT_NE(*local, "127.0.0.1");
  }
}

TEST(LocalAddress, UnknownNameFailsWithTheName) {
  const auto bad = local_address_toward("no-such-host.invalid", 5060);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().find("cannot resolve no-such-host.invalid"), std::string::npos)
      << bad.error();
}

TEST(LocalAddress, NoPacketLeavesWhileChoosing) {
  // A UDP socket bound on loopback receives nothing while the address toward it is chosen.
  const int listener = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  socklen_t length = sizeof address;
  ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length), 0);
  ASSERT_TRUE(local_address_toward("127.0.0.1", ntohs(address.sin_port)).ok());
  char byte = 0;
  EXPECT_LT(recv(listener, &byte, 1, 0), 0) << "a datagram was sent";
  close(listener);
}

TEST(BindFlag, Forms) {
  auto plain = parse_bind("192.0.2.10");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->host, "192.0.2.10");
  EXPECT_EQ(plain->port, 0);
  auto with_port = parse_bind("192.0.2.10:5070");
  ASSERT_TRUE(with_port.ok());
  EXPECT_EQ(with_port->host, "192.0.2.10");
  EXPECT_EQ(with_port->port, 5070);
  EXPECT_EQ(parse_bind("::1")->host, "::1");
  EXPECT_EQ(parse_bind("[::1]")->host, "::1");
  EXPECT_EQ(parse_bind("[fe80::1]:5070")->port, 5070);
  EXPECT_EQ(parse_bind("myhost:0")->port, 0);
  for (const char* bad : {"", ":5070", "host:", "host:x", "host:70000", "[::1", "[::1]x",
                          "[::1]:", "[]:5070", "a b", "host:-1"}) {
    EXPECT_FALSE(parse_bind(bad).ok()) << bad;
  }
  EXPECT_EQ(parse_bind("host:x").error(),
            "--bind \"host:x\" is not HOST, HOST:PORT or [IPv6]:PORT");
}

TEST(BindFlag, OnlyAnAddressOfThisMachineIsBindable) {
  EXPECT_TRUE(check_bindable("127.0.0.1", 0, "udp").ok());
  EXPECT_TRUE(check_bindable("127.0.0.1", 0, "tcp").ok());
  // TEST-NET-1 (RFC 5737): never an address of this machine.
  const auto foreign = check_bindable("192.0.2.10", 0, "udp");
  ASSERT_FALSE(foreign.ok());
  EXPECT_EQ(foreign.error(), "192.0.2.10 is not an IP address of this machine");
  EXPECT_FALSE(check_bindable("not-an-address", 0, "udp").ok());
  // A wildcard binds everything but says nothing a peer could reach us at.
  EXPECT_NE(check_bindable("0.0.0.0", 0, "udp").error().find("not one address"), std::string::npos);
  EXPECT_NE(check_bindable("::", 0, "udp").error().find("not one address"), std::string::npos);
}

TEST(BindFlag, ABusyPortIsRefusedBeforeAnythingStarts) {
  const int holder = socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(holder, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(holder, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  socklen_t length = sizeof address;
  ASSERT_EQ(getsockname(holder, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const auto port = ntohs(address.sin_port);
  const auto busy = check_bindable("127.0.0.1", port, "udp");
  ASSERT_FALSE(busy.ok());
  EXPECT_EQ(busy.error(),
            "cannot bind 127.0.0.1 port " + std::to_string(port) + ": Address already in use");
  close(holder);
}

}  // namespace
}  // namespace callcast::terminal
