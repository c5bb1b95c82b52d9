// The account flags both roles take, turned into the phone's options.
#include "terminal/account_flags.hpp"

#include <gtest/gtest.h>

namespace callcast::terminal {
namespace {

AccountFlags account() {
  AccountFlags flags;
  flags.number = "13800000001";
  flags.password = "secret";
  return flags;
}

TEST(AccountFlags, ALocalServerIsReachedFromLoopback) {
  const auto phone = account().phone_options(nullptr);
  ASSERT_TRUE(phone.ok()) << phone.error();
  EXPECT_EQ(phone->server, "127.0.0.1:5060");
  EXPECT_EQ(phone->number, "13800000001");
  EXPECT_EQ(phone->password, "secret");
  EXPECT_EQ(phone->transport, sipua::Transport::udp);
  EXPECT_EQ(phone->bind_host, "127.0.0.1");
  EXPECT_EQ(phone->bind_port, 0);
}

TEST(AccountFlags, ThePasswordComesFromTheFlagElseTheEnvironment) {
  AccountFlags flags = account();
  EXPECT_EQ(flags.phone_options("from-env")->password, "secret");
  flags.password.clear();
  EXPECT_EQ(flags.phone_options("from-env")->password, "from-env");
  EXPECT_EQ(flags.phone_options(nullptr).error(),
            "no password: give --password or set CALLCAST_PASSWORD");
  EXPECT_FALSE(flags.phone_options("").ok());
}

TEST(AccountFlags, ServerPortTransportAndBind) {
  AccountFlags flags = account();
  flags.server = "127.0.0.1:5070";
  flags.transport = "tcp";
  flags.bind = "127.0.0.1:0";
  const auto phone = flags.phone_options(nullptr);
  ASSERT_TRUE(phone.ok()) << phone.error();
  EXPECT_EQ(phone->server, "127.0.0.1:5070");
  EXPECT_EQ(phone->transport, sipua::Transport::tcp);
  EXPECT_EQ(phone->bind_host, "127.0.0.1");
}

TEST(AccountFlags, ABadServerOrBindIsOneLine) {
  AccountFlags flags = account();
  flags.server = "127.0.0.1:99999";
  EXPECT_FALSE(flags.phone_options(nullptr).ok());
  flags = account();
  flags.bind = "192.0.2.77";  // TEST-NET-1: not an address of this machine
  const auto phone = flags.phone_options(nullptr);
  ASSERT_FALSE(phone.ok());
  EXPECT_TRUE(phone.error().starts_with("--bind 192.0.2.77: ")) << phone.error();
}

}  // namespace
}  // namespace callcast::terminal
