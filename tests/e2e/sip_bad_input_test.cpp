// Bad input on the SIP side (issue 3, "Bad input"), sent by hand over raw UDP and TCP sockets to
// a running callcastd: malformed messages get 400 where a reply can be routed and never stop
// the server; floods of REGISTER and INVITE leave memory bounded and no dialog behind; the
// registration cap answers 503 with Retry-After; the registrar speaks SHA-256 and MD5 digest
// (RFC 8760), un-REGISTER and "Contact: *", and 423 below the minimum expiry.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <string>
#include <string_view>

#include "sipwire/iptv_sdp.hpp"
#include "support/sip_e2e.hpp"
#include "support/wait_until.hpp"

namespace callcast::test {
namespace {

using Clock = std::chrono::steady_clock;

// RssAnon of a process in KiB (0 when it cannot be read): its own memory (heap, stacks, the
// sanitizers' shadow), not the pages of its program file. The ASan build is not PIE, so its code
// and data pages are mapped from the file as each path first runs: the floods brought in ~0.8 MB
// more of them (VmRSS +65.7 MB, RssAnon +64.9 MB), which is not memory the flood holds.
long rss_anon_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("RssAnon:", 0) == 0) return std::atol(line.c_str() + 8);
  }
  return 0;
}

class SipBadInputTest : public SipE2eTest {
 protected:
  SipBadInputTest() : SipE2eTest(CALLCASTD_PATH) {}

  // The flood test measures what callcastd holds. On the ASan build freed memory waits in the
  // sanitizer's quarantine (up to 256 MB), which a flood's short-lived allocations fill: RssAnon
  // grew 64.9 MB for 2,500 requests with it, 41.7 MB with a 1 MB quarantine.
  ServerOptions server_options() const override {
    ServerOptions options = SipE2eTest::server_options();
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    if (test != nullptr && std::string_view(test->name()) ==
                               "RegisterAndInviteFloodsKeepMemoryBoundedAndTheServerAnswering") {
      const char* asan = std::getenv("ASAN_OPTIONS");
      const std::string inherited = asan != nullptr && *asan != '\0' ? std::string(asan) + ":" : "";
      options.extra_env.push_back("ASAN_OPTIONS=" + inherited + "quarantine_size_mb=1");
    }
    return options;
  }

  std::string domain() { return "127.0.0.1:" + std::to_string(signaling_server().sip_port()); }

  // A complete, well-formed request with `body` and this Content-Length value.
  std::string request(const std::string& method, sipua::Transport transport,
                      const std::string& call_id, const std::string& content_length,
                      const std::string& body = {}) {
    const std::string d = domain();
    return method + " sip:777@" + d + " SIP/2.0\r\nVia: SIP/2.0/" +
           (transport == sipua::Transport::tcp ? "TCP" : "UDP") +
           " 127.0.0.1:9;rport;branch=z9hG4bK-" + call_id +
           "\r\nMax-Forwards: 70\r\nFrom: <sip:" + kMaster + "@" + d +
           ">;tag=bad\r\nTo: <sip:777@" + d + ">\r\nCall-ID: " + call_id + "\r\nCSeq: 1 " + method +
           "\r\nContact: <sip:" + kMaster + "@127.0.0.1:9>\r\nContent-Length: " + content_length +
           "\r\n\r\n" + body;
  }

  // The server still answers OPTIONS and runs a whole broadcast with a viewer.
  void expect_still_serving() {
    auto probe = agent(kOther);
    const auto options = probe->options(kServiceNumber);
    ASSERT_TRUE(options) << "no answer to OPTIONS";
    EXPECT_EQ(options->status, 200);
    Broadcast broadcast = start_broadcast();
    ASSERT_FALSE(broadcast.publish_url.empty());
    auto viewer = agent(kViewer);
    auto watch = viewer->call(kMaster, sip::make_iptv_offer("127.0.0.1"));
    EXPECT_TRUE(watch->wait_answered(10s));
    broadcast.call->hang_up();
    EXPECT_TRUE(watch->wait_terminated(10s));
    EXPECT_TRUE(broadcast.call->wait_terminated(5s));
  }
};

// Sends `bytes` on a fresh socket and returns the first message that comes back, if any.
std::optional<std::string> exchange(RawSipPeer& peer, const std::string& bytes,
                                    std::chrono::milliseconds timeout) {
  EXPECT_TRUE(peer.send(bytes));
  return peer.receive(timeout);
}

// Every Contact value of a message, one a line (sofia may list them in one header or several).
std::string contacts_of(const std::string& message) {
  std::string all;
  for (const auto& value : sip_header_values(message, "Contact"))
    all += value + "\n";
  return all;
}

std::string status_line(const std::optional<std::string>& message) {
  if (!message) return "(no reply)";
  return message->substr(0, message->find("\r\n"));
}

TEST_F(SipBadInputTest, MalformedSipOverUdpGets400WhereAReplyCanBeRouted) {
  const auto udp = sipua::Transport::udp;
  // Without a Via nothing can be answered: the stack drops these.
  {
    auto peer = raw_peer(udp);
    EXPECT_FALSE(exchange(*peer, std::string("\x01\x02\xff not SIP at all\r\n\r\n"), 300ms));
  }
  {
    auto peer = raw_peer(udp);
    EXPECT_FALSE(exchange(*peer, "INVITE sip:777@" + domain() + " SIP/2.0\r\n\r\n", 300ms));
  }
  // Cut off in the middle of the headers.
  {
    auto peer = raw_peer(udp);
    const auto reply = exchange(*peer, request("OPTIONS", udp, "cut", "0").substr(0, 140), 2s);
    EXPECT_EQ(sip_status(reply.value_or("")), 400) << status_line(reply);
  }
  // A header that does not parse.
  {
    auto peer = raw_peer(udp);
    std::string text = request("OPTIONS", udp, "bad-cseq", "0");
    text.replace(text.find("CSeq: 1"), 7, "CSeq: x");
    const auto reply = exchange(*peer, text, 2s);
    EXPECT_EQ(sip_status(reply.value_or("")), 400) << status_line(reply);
  }
  // A Content-Length larger than the datagram (RFC 3261 §18.3: 400), for the requests the
  // network side handles: the stack refuses a body cut short itself, and passes a request with
  // no body at all on, which the network side refuses (with a Warning saying why).
  for (const std::string method : {"INVITE", "REGISTER"}) {
    for (const std::string body : {"v=0\r\n", ""}) {
      auto peer = raw_peer(udp);
      const std::string call_id = "huge-" + method + std::to_string(body.size());
      EXPECT_TRUE(peer->send(request(method, udp, call_id, "99999999", body)));
      const auto reply = peer->wait_response(call_id, 1, 2s);
      EXPECT_EQ(sip_status(reply.value_or("")), 400)
          << method << " with " << body.size() << " bytes of body: " << status_line(reply);
      if (body.empty()) {
        EXPECT_NE(sip_header(reply.value_or(""), "Warning").value_or("").find("Content-Length"),
                  std::string::npos)
            << reply.value_or("");
      }
    }
  }
  expect_still_serving();
  EXPECT_TRUE(wait_all_clean());
}

TEST_F(SipBadInputTest, MalformedSipOverTcpGets400Or413AndTheServerKeepsServing) {
  const auto tcp = sipua::Transport::tcp;
  // Garbage, and a request line without headers: no reply; the connections stay harmless.
  auto garbage = raw_peer(tcp);
  EXPECT_FALSE(exchange(*garbage, std::string("\x01\x02\xff not SIP at all\r\n\r\n"), 300ms));
  auto bare = raw_peer(tcp);
  EXPECT_FALSE(exchange(*bare, "INVITE sip:777@" + domain() + " SIP/2.0\r\n\r\n", 300ms));
  // A truncated message: the stack waits for the rest, and serves others meanwhile.
  auto truncated = raw_peer(tcp);
  EXPECT_FALSE(exchange(*truncated, request("OPTIONS", tcp, "cut", "0").substr(0, 140), 300ms));
  // A header that does not parse.
  {
    auto peer = raw_peer(tcp);
    std::string text = request("OPTIONS", tcp, "bad-cseq", "0");
    text.replace(text.find("CSeq: 1"), 7, "CSeq: x");
    const auto reply = exchange(*peer, text, 2s);
    EXPECT_EQ(sip_status(reply.value_or("")), 400) << status_line(reply);
  }
  // A huge Content-Length, and the body keeps coming: refused once past the stack's size limit,
  // not buffered without end.
  {
    auto peer = raw_peer(tcp);
    ASSERT_TRUE(peer->send(request("OPTIONS", tcp, "huge", "99999999")));
    const std::string chunk(64 * 1024, 'x');
    std::size_t sent = 0;
    std::optional<std::string> reply;
    while (sent < 16 * 1024 * 1024 && peer->send(chunk)) {
      sent += chunk.size();
      if ((reply = peer->receive(0ms))) break;
    }
    if (!reply) reply = peer->receive(2s);
    std::printf("[e2e] huge Content-Length over TCP: %s after %zu KiB of body\n",
                status_line(reply).c_str(), sent / 1024);
    EXPECT_EQ(sip_status(reply.value_or("")), 413) << status_line(reply);
    EXPECT_LT(sent, 8u * 1024 * 1024) << "the stack kept reading a body it cannot take";
  }
  expect_still_serving();
  EXPECT_TRUE(wait_all_clean());
}

TEST_F(SipBadInputTest, RegisterAndInviteFloodsKeepMemoryBoundedAndTheServerAnswering) {
  const pid_t pid = signaling_server().pid();
  ASSERT_GT(pid, 0);
  const long rss_before = rss_anon_kib(pid);
  ASSERT_GT(rss_before, 0);
  auto probe = agent(kOther);

  // Sends `count` requests without credentials, each its own transaction, as fast as the socket
  // takes them; returns how many different ones got their 401 (an INVITE's 401 is repeated
  // until ACKed, and a flood never ACKs).
  auto flood = [&](const std::string& method, int count) {
    auto peer = raw_peer();
    std::set<std::string> answered;
    auto take = [&](const std::string& message) {
      if (sip_status(message) == 401) answered.insert(sip_header(message, "Call-ID").value_or(""));
    };
    for (int i = 0; i < count; ++i) {
      RawSipRequest flooding;
      flooding.method = method;
      flooding.to_user = kServiceNumber;
      flooding.from_user = kMaster;
      flooding.call_id = "flood-" + method + "-" + std::to_string(i);
      flooding.headers = {"Contact: <sip:" + std::string(kMaster) +
                          "@127.0.0.1:" + std::to_string(peer->local_port()) + ">"};
      if (!peer->send(peer->build(flooding))) break;
      while (auto message = peer->receive(0ms))
        take(*message);
    }
    // The answers still on their way.
    while (auto message = peer->receive(300ms)) {
      take(*message);
      if (answered.size() >= static_cast<std::size_t>(count)) break;
    }
    return static_cast<int>(answered.size());
  };

  const auto started = Clock::now();
  const int registers_answered = flood("REGISTER", 2000);
  const auto options = probe->options(kServiceNumber);
  ASSERT_TRUE(options) << "no answer to OPTIONS after the REGISTER flood";
  EXPECT_EQ(options->status, 200);
  const int invites_answered = flood("INVITE", 500);
  const auto options_again = probe->options(kServiceNumber);
  ASSERT_TRUE(options_again) << "no answer to OPTIONS after the INVITE flood";
  EXPECT_EQ(options_again->status, 200);
  const auto took =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();

  const long rss_after = rss_anon_kib(pid);
  const long growth_kib = rss_after - rss_before;
  std::printf(
      "[e2e] floods in %lld ms: 401 to %d of 2000 REGISTERs and %d of 500 INVITEs; "
      "callcastd RssAnon %ld -> %ld KiB (%+ld KiB)\n",
      static_cast<long long>(took), registers_answered, invites_answered, rss_before, rss_after,
      growth_kib);
  EXPECT_LT(growth_kib, 64 * 1024) << "memory grew by " << growth_kib << " KiB";
  // Sent faster than any server reads, part of a flood is dropped by the kernel (the socket
  // buffer is full); what the server reads, it answers.
  EXPECT_GT(registers_answered, 0);
  EXPECT_GT(invites_answered, 0);

  const auto stats = signaling_stats();
  std::printf("[e2e] the network side read %s REGISTERs and %s INVITEs\n",
              stats["counters"]["registers"].dump().c_str(),
              stats["counters"]["invites"].dump().c_str());
  EXPECT_EQ(stats["counters"]["registers"], registers_answered);
  EXPECT_EQ(stats["counters"]["invites"], invites_answered);
  EXPECT_EQ(stats["calls"], 0);
  EXPECT_EQ(stats["registrations"], 0);
  EXPECT_EQ(stats["counters"]["auth_failures"], 0);
  EXPECT_TRUE(wait_all_clean());
}

class SipRegistrationCapTest : public SipBadInputTest {
 protected:
  std::string extra_config() const override { return "[sip]\nmax_registrations = 3\n"; }
};

TEST_F(SipRegistrationCapTest, RegistrationsBeyondMaxRegistrationsGet503WithRetryAfter) {
  std::vector<std::unique_ptr<SipTestAgent>> agents;
  for (const char* number : {kMaster, kViewer, kViewer2}) {
    agents.push_back(agent(number));
    EXPECT_EQ(agents.back()->register_(), 200) << number;
  }
  // The fourth, written by hand: sofia's client would retry by itself after the Retry-After.
  auto fourth = raw_peer();
  RawSipRequest request;
  request.method = "REGISTER";
  request.from_user = kOther;
  request.call_id = "fourth-user";
  request.headers = {"Contact: <sip:" + std::string(kOther) +
                         "@127.0.0.1:" + std::to_string(fourth->local_port()) + ">",
                     "Expires: 600"};
  const auto refused = fourth->send_authenticated(request, kPassword);
  ASSERT_TRUE(refused) << "no answer to the fourth REGISTER";
  EXPECT_EQ(sip_status(*refused), 503) << *refused;
  EXPECT_EQ(sip_header(*refused, "Retry-After").value_or(""), "5") << *refused;
  const auto stats = signaling_stats();
  EXPECT_EQ(stats["registrations"], 3);
  EXPECT_GE(stats["counters"]["rejected_over_cap"].get<int>(), 1);

  // A binding that goes makes room again.
  EXPECT_EQ(agents.front()->unregister(), 200);
  request.cseq = 3;
  const auto accepted = fourth->send_authenticated(request, kPassword);
  ASSERT_TRUE(accepted);
  EXPECT_EQ(sip_status(*accepted), 200) << *accepted;
  EXPECT_EQ(signaling_stats()["registrations"], 3);
  EXPECT_TRUE(wait_all_clean());
}

class SipDigestRegisterTest : public SipBadInputTest {
 protected:
  std::string extra_config() const override {
    return "[sip]\ndigest_algorithms = [\"SHA-256\", \"MD5\"]\nmin_expires_s = 30\n";
  }

  static RawSipRequest register_request(std::uint32_t cseq, std::vector<std::string> headers) {
    RawSipRequest request;
    request.method = "REGISTER";
    request.from_user = kMaster;
    request.call_id = "digest-register";
    request.cseq = cseq;
    request.headers = std::move(headers);
    return request;
  }
};

TEST_F(SipDigestRegisterTest, RegisterWithSha256OrMd5DigestThenUnregister) {
  auto peer = raw_peer();
  const std::string first =
      "<sip:" + std::string(kMaster) + "@127.0.0.1:" + std::to_string(peer->local_port()) + ">";
  const std::string second = "<sip:" + std::string(kMaster) + "@127.0.0.1:5099>";

  // Without credentials: one challenge per algorithm, SHA-256 first (RFC 8760 §2.4).
  RawSipRequest bare = register_request(1, {"Contact: " + first, "Expires: 600"});
  ASSERT_TRUE(peer->send(peer->build(bare)));
  const auto challenge = peer->wait_response(bare.call_id, 1);
  ASSERT_TRUE(challenge);
  ASSERT_EQ(sip_status(*challenge), 401) << *challenge;
  const auto challenges = sip_header_values(*challenge, "WWW-Authenticate");
  ASSERT_EQ(challenges.size(), 2u) << *challenge;
  EXPECT_NE(challenges[0].find("algorithm=SHA-256"), std::string::npos) << challenges[0];
  EXPECT_NE(challenges[1].find("algorithm=MD5"), std::string::npos) << challenges[1];

  // SHA-256: 200 with the binding and its expiry.
  auto sha = peer->send_authenticated(register_request(2, {"Contact: " + first, "Expires: 600"}),
                                      kPassword, "SHA-256");
  ASSERT_TRUE(sha) << "no answer to the SHA-256 REGISTER";
  ASSERT_EQ(sip_status(*sha), 200) << *sha;
  auto contacts = sip_header_values(*sha, "Contact");
  ASSERT_EQ(contacts.size(), 1u) << *sha;
  EXPECT_EQ(contacts[0], first + ";expires=600");
  EXPECT_EQ(signaling_stats()["registrations"], 1);

  // MD5, a second contact: both bound.
  auto md5 = peer->send_authenticated(register_request(4, {"Contact: " + second, "Expires: 300"}),
                                      kPassword, "MD5");
  ASSERT_TRUE(md5) << "no answer to the MD5 REGISTER";
  ASSERT_EQ(sip_status(*md5), 200) << *md5;
  const std::string listed = contacts_of(*md5);
  EXPECT_NE(listed.find(first), std::string::npos) << *md5;
  EXPECT_NE(listed.find(second + ";expires=300"), std::string::npos) << *md5;
  EXPECT_EQ(signaling_stats()["registrations"], 2);

  // Un-REGISTER the first: 200 listing only the second.
  auto removed = peer->send_authenticated(register_request(6, {"Contact: " + first, "Expires: 0"}),
                                          kPassword, "SHA-256");
  ASSERT_TRUE(removed);
  ASSERT_EQ(sip_status(*removed), 200) << *removed;
  const std::string left = contacts_of(*removed);
  EXPECT_EQ(left.find(first), std::string::npos) << *removed;
  EXPECT_NE(left.find(second), std::string::npos) << *removed;
  EXPECT_EQ(signaling_stats()["registrations"], 1);

  // "Contact: *" with Expires: 0 removes every binding.
  auto all_gone =
      peer->send_authenticated(register_request(8, {"Contact: *", "Expires: 0"}), kPassword, "MD5");
  ASSERT_TRUE(all_gone);
  ASSERT_EQ(sip_status(*all_gone), 200) << *all_gone;
  EXPECT_TRUE(sip_header_values(*all_gone, "Contact").empty()) << *all_gone;
  EXPECT_EQ(signaling_stats()["registrations"], 0);
  EXPECT_TRUE(wait_all_clean());
}

TEST_F(SipDigestRegisterTest, RegisterBelowMinExpiresGets423WithMinExpires) {
  auto peer = raw_peer();
  const std::string contact =
      "<sip:" + std::string(kMaster) + "@127.0.0.1:" + std::to_string(peer->local_port()) + ">";
  auto brief = peer->send_authenticated(register_request(1, {"Contact: " + contact, "Expires: 10"}),
                                        kPassword, "SHA-256");
  ASSERT_TRUE(brief) << "no answer to the REGISTER";
  EXPECT_EQ(sip_status(*brief), 423) << *brief;
  EXPECT_EQ(sip_header(*brief, "Min-Expires").value_or(""), "30") << *brief;
  EXPECT_EQ(signaling_stats()["registrations"], 0);

  // The same through the contact's own expires parameter, then at the minimum: accepted.
  auto by_param = peer->send_authenticated(
      register_request(3, {"Contact: " + contact + ";expires=5"}), kPassword, "MD5");
  ASSERT_TRUE(by_param);
  EXPECT_EQ(sip_status(*by_param), 423) << *by_param;
  auto at_minimum = peer->send_authenticated(
      register_request(5, {"Contact: " + contact, "Expires: 30"}), kPassword, "MD5");
  ASSERT_TRUE(at_minimum);
  EXPECT_EQ(sip_status(*at_minimum), 200) << *at_minimum;
  EXPECT_EQ(sip_header(*at_minimum, "Contact").value_or(""), contact + ";expires=30");
  EXPECT_TRUE(wait_all_clean());
}

}  // namespace
}  // namespace callcast::test
