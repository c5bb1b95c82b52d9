#pragma once
// The end-to-end fixture of the network side: callcastd with a users file, scripted SIP user
// agents (SipTestAgent) as masters and viewers, curl as the Ut client, ffmpeg publishing to the
// URI taken from the 183, and checks that every scenario leaves no dialog and no group behind.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/e2e_test.hpp"
#include "support/media_tools.hpp"
#include "support/sip_test_agent.hpp"

namespace callcast::test {

inline constexpr const char* kMaster = "13800000001";
inline constexpr const char* kViewer = "13900000002";
inline constexpr const char* kViewer2 = "13900000003";
inline constexpr const char* kOther = "13700000004";  // an ordinary user, never broadcasting
inline constexpr const char* kPassword = "secret-pass";
inline constexpr const char* kServiceNumber = "777";

// A broadcast the test started: the master's call, its publish URI and the publisher.
struct Broadcast {
  std::unique_ptr<SipTestAgent> agent;
  std::shared_ptr<TestCall> call;
  std::string publish_url;
  ChildProcess* publisher = nullptr;
};

// The viewer terminal's part (710-714): calls the master's number, is forwarded (181), answered
// with its play URI, and plays it.
struct Watch {
  std::unique_ptr<SipTestAgent> agent;
  std::shared_ptr<TestCall> call;
  std::string play_url;
};

// A request written by hand for RawSipPeer; Via, Max-Forwards and Content-Length are added.
struct RawSipRequest {
  std::string method;     // "REGISTER", "INVITE", "OPTIONS"...
  std::string to_user;    // user part of the Request-URI and To ("" for a REGISTER's domain)
  std::string from_user;  // user part of From (and To for a REGISTER)
  std::string call_id;
  std::uint32_t cseq = 1;
  std::vector<std::string> headers;  // whole lines without CRLF, e.g. "Expires: 0"
  std::string body;
};

// A SIP peer that writes its own bytes over one UDP or TCP socket: malformed messages, floods,
// and requests the scripted agent cannot send (a SHA-256 digest, a body that is not SDP). No
// transaction layer: it sends what it is given and reads what comes back.
class RawSipPeer {
 public:
  RawSipPeer(sipua::Transport transport, std::uint16_t server_port);
  ~RawSipPeer();
  RawSipPeer(const RawSipPeer&) = delete;
  RawSipPeer& operator=(const RawSipPeer&) = delete;

  bool ok() const { return fd_ >= 0; }
  const std::string& error() const { return error_; }
  std::uint16_t local_port() const { return local_port_; }

  // The request as text, with a fresh Via branch and a From tag.
  std::string build(const RawSipRequest& request);
  bool send(std::string_view bytes);
  // One message (a datagram, or one Content-Length-framed message off the TCP stream); nullopt
  // on timeout, or when the server closed the TCP connection (then closed() is true).
  std::optional<std::string> receive(std::chrono::milliseconds timeout);
  bool closed() const { return closed_; }
  // The first response with this Call-ID and CSeq number whose status is at least
  // `min_status` (provisional ones are skipped by default); an INVITE's error response is
  // ACKed, as RFC 3261 §17.1.1.3 asks of the client transaction.
  std::optional<std::string> wait_response(const std::string& call_id, std::uint32_t cseq,
                                           std::chrono::milliseconds timeout = 5s,
                                           int min_status = 200);
  // Sends without credentials, answers the 401 with `algorithm`'s challenge ("SHA-256" or
  // "MD5") and `password`, and returns the final response to the second request (CSeq + 1).
  std::optional<std::string> send_authenticated(RawSipRequest request, const std::string& password,
                                                const std::string& algorithm = "MD5",
                                                std::chrono::milliseconds timeout = 5s);

 private:
  void ack(const std::string& response);

  sipua::Transport transport_;
  std::uint16_t server_port_ = 0;
  std::uint16_t local_port_ = 0;
  int fd_ = -1;
  bool closed_ = false;
  std::string error_;
  std::string stream_;  // TCP bytes not yet returned
  std::uint64_t next_branch_ = 1;
  std::string last_request_;  // for the ACK of an INVITE's error response
};

// Parts of a SIP message as text: the status of a response (0 for a request or garbage), and
// the values of every header with this name (case-insensitive, compact forms not expanded).
int sip_status(std::string_view message);
std::vector<std::string> sip_header_values(std::string_view message, std::string_view name);
std::optional<std::string> sip_header(std::string_view message, std::string_view name);
// The Authorization value answering a WWW-Authenticate `challenge` (qop=auth when offered):
// computed with the project's own digest code, nullopt when the challenge does not parse.
std::optional<std::string> digest_authorization(const std::string& challenge,
                                                const std::string& user,
                                                const std::string& password,
                                                const std::string& method, const std::string& uri);

class SipE2eTest : public E2eTest {
 protected:
  explicit SipE2eTest(std::filesystem::path callcastd) : E2eTest(std::move(callcastd)) {}

  // Users kMaster, kViewer, kViewer2, kOther with kPassword; override to add a config.
  ServerOptions server_options() const override;
  // The config TOML every test of a suite adds (short timeouts).
  virtual std::string extra_config() const { return {}; }

  // The callcastd that runs SIP and the Ut API: the fixture's own server unless the roles run
  // apart (then the media role is server() and this one is the signaling role).
  virtual CallcastServer& signaling_server() { return server(); }
  std::string sip_domain();
  std::unique_ptr<SipTestAgent> agent(const std::string& number,
                                      sipua::Transport transport = sipua::Transport::udp,
                                      const std::string& password = kPassword);

  // The Ut API through curl --digest (a real HTTP client): status code and body.
  struct UtResult {
    int status = 0;
    std::string body;
  };
  UtResult ut(const std::string& method, const std::string& number, const std::string& body = {},
              const std::string& password = kPassword);
  void set_forwarding(const std::string& number, const std::string& target);

  // 701-707: INVITE to the service number, the publish URI from the 183's SDP, ffmpeg
  // publishing to it, the 200 OK; then the forwarding to the service number (708).
  Broadcast start_broadcast(const std::string& master = kMaster,
                            sipua::Transport transport = sipua::Transport::udp);

  // Figure 7 end to end with exact message sequences: broadcast (701-708), a viewer's call
  // (710-713) played by ffprobe (714), the viewer's BYE, a second viewer ended by the master's
  // BYE, and nothing left behind.
  void run_broadcast_and_watch();

  // A raw peer toward the signaling server (fatal for the test when it cannot bind).
  std::unique_ptr<RawSipPeer> raw_peer(sipua::Transport transport = sipua::Transport::udp);

  nlohmann::json signaling_stats();
  // True once the media side lists no group and the network side holds no call.
  ::testing::AssertionResult wait_all_clean(std::chrono::milliseconds timeout = 10s);
};

}  // namespace callcast::test
