#pragma once
// The network side device of the patent (modules 501-507): a SIP server on sofia-sip's NUA that
//  - registers terminals (REGISTER with digest, RFC 3261 §10 / §22, RFC 8760),
//  - starts a broadcast when a terminal calls the service number (701-707): asks the media side
//    for a group, answers 183 with the publish URI, 200 once the master's media has joined,
//  - routes a viewer's call to a number through that number's call forwarding into its group
//    (710-713): 181, admission on the media side, 200 with the play URI,
//  - and ends every dialog and group on every path (BYE, CANCEL, timeouts, media events).
//
// Threading: the SIP stack and every piece of state here live on the SipLoop thread. Media-side
// answers and events arrive on the media side's threads and are posted over; nothing here is
// touched from the packet path.
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "auth/digest.hpp"
#include "auth/user_directory.hpp"
#include "control/media_control.hpp"
#include "control/resync_cause.hpp"
#include "core/config.hpp"
#include "core/result.hpp"
#include "forwarding/forwarding_rules.hpp"
#include "sip/registrar.hpp"
#include "sip/signaling_stats.hpp"
#include "sip/web_calls.hpp"

namespace callcast::sip {

class NetworkSide {
 public:
  NetworkSide(core::SipConfig config, control::MediaControl& media,
              forwarding::ForwardingRules& forwarding, auth::UserDirectory& users,
              const auth::DigestAuthenticator& authenticator);
  ~NetworkSide();  // stop()
  NetworkSide(const NetworkSide&) = delete;
  NetworkSide& operator=(const NetworkSide&) = delete;

  // Binds UDP and TCP on the configured address (port 0: one port free on both is chosen) and
  // subscribes to the media side's events. Returns the bound address.
  Result<core::HostPort, std::string> start();
  // Ends every call (BYE / final response), closes the groups it created, shuts the stack down.
  void stop();

  // Thread-safe; `done` runs on the SIP thread.
  void stats(std::function<void(SignalingStats)> done);

  // Thread-safe. Compares the calls with the media side's groups and ends what it no longer
  // has; answers a master whose group went live unseen. For when events may have been missed
  // (the media role restarted, or its event feed dropped some).
  void resync(control::ResyncCause cause = control::ResyncCause::events_missed);

  // Where terminals reach the Ut API, told to masters in the 183 and 200 as
  // `Call-Info: <http://HOST:PORT>;purpose=callcast-ut`: `public_url` when not empty, else the
  // HTTP listen address, whose wildcard host (0.0.0.0, ::) is replaced by the host the terminal
  // put in its INVITE's Request-URI. Call before start().
  void set_ut_endpoint(std::string public_url, core::HostPort http_listen);
  // This node is one of a cluster's signaling nodes (issue 15), before start(). Registrations
  // are kept in `store` (the cluster's Redis), which outlives this; it is called on the SIP
  // thread for every REGISTER, so its calls must be bounded in time. A live group found on the
  // media side without a dialog here may be another node's broadcast: a graceful stop leaves
  // such groups to the cluster instead of closing them.
  void join_cluster(RegistrationStore& store);

  // Issue 14: a browser asks to watch `dialled` (WHEP), or to broadcast (WHIP, `publish`: its call
  // to the service number), as `caller`, whom the HTTP side authenticated. The call takes a SIP
  // terminal's path (710-714, 701-707); thread-safe, `done` gets its final answer on the SIP
  // thread (503 when the network side is not running).
  struct WebCallRequest {
    std::string caller;
    std::string dialled;  // ignored when `publish`
    bool publish = false;
    std::string offer;
    std::string source_address;
  };
  void web_call(WebCallRequest request, std::function<void(WebCallAnswer)> done);
  // The browser ended its call (WHEP DELETE). `done(false)`: no such answered call of `caller`.
  void end_web_call(std::string session, std::string caller, std::function<void(bool)> done);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace callcast::sip
