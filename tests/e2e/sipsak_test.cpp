// A real third-party SIP peer, sipsak (Debian), against callcastd's network side: OPTIONS over
// UDP and TCP, and a REGISTER answered with digest credentials (MD5, sipsak's only algorithm).
#include <gtest/gtest.h>

#include "support/sip_e2e.hpp"

namespace callcast::test {
namespace {

class SipsakTest : public SipE2eTest {
 protected:
  SipsakTest() : SipE2eTest(CALLCASTD_PATH) {}

  ToolRun sipsak(std::vector<std::string> args) {
    args.insert(args.begin(), "sipsak");
    return run_tool(std::move(args), dir(), "sipsak", 20s);
  }
  std::string uri(const std::string& user) { return "sip:" + user + "@" + sip_domain(); }
};

TEST_F(SipsakTest, OptionsIsAnsweredOverUdpAndTcp) {
  const ToolRun udp = sipsak({"-vv", "-s", uri(kServiceNumber)});
  EXPECT_TRUE(udp.ok()) << udp.command << "\n" << udp.out << udp.err;
  EXPECT_NE(udp.out.find("SIP/2.0 200 OK"), std::string::npos) << udp.out;
  const ToolRun tcp = sipsak({"-vv", "--transport=tcp", "-s", uri(kServiceNumber)});
  EXPECT_TRUE(tcp.ok()) << tcp.command << "\n" << tcp.out << tcp.err;
  EXPECT_NE(tcp.out.find("Allow: INVITE"), std::string::npos) << tcp.out;
}

TEST_F(SipsakTest, AuthenticatedRegisterSucceedsAndAWrongPasswordFails) {
  // usrloc mode: REGISTER (challenged, then with digest), check, un-REGISTER.
  const ToolRun good =
      sipsak({"-U", "-i", "-x", "120", "-C", "sip:" + std::string(kMaster) + "@127.0.0.1:5099",
              "-s", uri(kMaster), "-u", kMaster, "-a", kPassword});
  EXPECT_TRUE(good.ok()) << good.command << "\n" << good.out << good.err;
  EXPECT_TRUE(server().wait_for_log("terminal=13800000001 event=registered", 2s));

  const ToolRun bad =
      sipsak({"-U", "-i", "-x", "120", "-C", "sip:" + std::string(kMaster) + "@127.0.0.1:5099",
              "-s", uri(kMaster), "-u", kMaster, "-a", "not-the-password"});
  ASSERT_TRUE(bad.status.has_value());
  EXPECT_FALSE(bad.status->success()) << bad.out;
  EXPECT_TRUE(server().wait_for_log("event=auth_failed method=REGISTER", 2s));
  EXPECT_TRUE(wait_all_clean());
}

}  // namespace
}  // namespace callcast::test
