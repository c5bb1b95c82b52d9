#include <gtest/gtest.h>
#include <sys/socket.h>
#include "support/sip_e2e.hpp"
namespace callcast::test {
namespace {
class SipBadInputTest : public SipE2eTest {
 protected:
  SipBadInputTest() : SipE2eTest(CALLCASTD_PATH) {}
};
TEST_F(SipBadInputTest, Explore) {
  const std::string d = "127.0.0.1:" + std::to_string(signaling_server().sip_port());
  auto options = [&](const std::string& via, const std::string& extra, const std::string& cl) {
    return "OPTIONS sip:777@" + d + " SIP/2.0\r\nVia: SIP/2.0/" + via + " 127.0.0.1:9;rport;branch=z9hG4bKx" + std::to_string(rand()) +
           "\r\nMax-Forwards: 70\r\nFrom: <sip:1@" + d + ">;tag=a\r\nTo: <sip:777@" + d +
           ">\r\nCall-ID: explore-" + std::to_string(rand()) + "\r\nCSeq: 1 OPTIONS\r\n" + extra + "Content-Length: " + cl + "\r\n\r\n";
  };
  {
    auto peer = raw_peer(sipua::Transport::tcp);
    peer->send(options("TCP", "", "99999999"));
    std::string chunk(64 * 1024, 'x');
    int sent = 0;
    for (; sent < 200; ++sent) if (!peer->send(chunk)) break;
    auto r = peer->receive(3s);
    std::printf("=== TCP huge body sent=%d KiB: %s closed=%d\n", sent * 64, r ? r->c_str() : "(none)", peer->closed());
    for (const char* m : {"INVITE", "REGISTER"}) {
      auto u = raw_peer();
      std::string text = options("UDP", "", "5000");
      text.replace(0, 7, m);
      text.replace(text.find("1 OPTIONS"), 9, std::string("1 ") + m);
      u->send(text);
      auto r2 = u->receive(2s);
      std::printf("=== UDP %s huge cl: %s\n", m, r2 ? r2->c_str() : "(none)");
    }
  }
  for (auto t : {sipua::Transport::udp, sipua::Transport::tcp}) {
    const std::string via = t == sipua::Transport::tcp ? "TCP" : "UDP";
    std::vector<std::pair<std::string, std::string>> cases = {
        {"garbage", std::string("\x01\x02\xff garbage garbage\r\n\r\n", 23)},
        {"line only", "INVITE sip:777@" + d + " SIP/2.0\r\n\r\n"},
        {"huge cl", options(via, "", "99999999")},
        {"truncated", options(via, "", "0").substr(0, 120)},
        {"bad cseq", options(via, "", "0").replace(options(via, "", "0").find("CSeq: 1"), 7, "CSeq: x")},
        {"valid", options(via, "", "0")},
    };
    for (auto& [name, bytes] : cases) {
      auto peer = raw_peer(t);
      peer->send(bytes);
      if (name == "truncated" && t == sipua::Transport::tcp) ::shutdown(3, SHUT_WR);
      auto r = peer->receive(2s);
      std::printf("=== %s %s: %s closed=%d\n", via.c_str(), name.c_str(), r ? r->substr(0, r->find("\r\n")).c_str() : "(none)", peer->closed());
      if (r) std::printf("%s\n", r->c_str());
    }
  }
}
}
}
