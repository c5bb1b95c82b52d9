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
#include "support/raw_sip_peer.hpp"
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
