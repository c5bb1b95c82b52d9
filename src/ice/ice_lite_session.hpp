#pragma once
// The server's side of ICE for one WebRTC session: an ICE-lite agent (RFC 8445 §2.5). It has
// only host candidates on the media UDP port, sends no checks, and answers the browser's: a valid
// check proves the browser receives on the address it came from, and the one the browser
// nominates (USE-CANDIDATE) is where the session's media goes (step 709 towards a browser).
// A lite agent is always the controlled one; the browser (full agent) controls.
//
// Every valid check also refreshes consent (RFC 7675): a browser that stops checking for 30 s
// has gone or no longer wants the media, and the session is then ended by its owner.
//
// Not thread-safe: one session is used from the media loop thread that reads the port.
#include <boost/asio/ip/udp.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ice/ice_credentials.hpp"
#include "ice/stun_message.hpp"

namespace callcast::ice {

// What to do with one Binding request: `response` to send back to its source (empty: send
// nothing, e.g. a bad FINGERPRINT means the datagram was not STUN after all); `valid` when it
// was a valid check (answered 200); `nominated` when it also nominated its source; `error` says
// why it was rejected, for the session's counters and log.
struct IceReply {
  std::vector<std::uint8_t> response;
  bool valid = false;
  bool nominated = false;
  std::string error;
};

class IceLiteSession {
 public:
  using Clock = std::chrono::steady_clock;

  // `local`: the server's credentials put in the answer; `remote_ufrag`/`remote_password`: the
  // browser's from its offer. `created` starts the consent clock before the first check.
  IceLiteSession(IceCredentials local, std::string remote_ufrag, std::string remote_password,
                 Clock::time_point created = Clock::now());

  // Answers the Binding request `message`, parsed from `raw`, that came from `from` (RFC 8445
  // §7.3 with RFC 8489 §9.1.3's short-term credential checks), in this order:
  //  - not a Binding request, or a FINGERPRINT that does not match: no response;
  //  - no USERNAME or no MESSAGE-INTEGRITY: 400, without MESSAGE-INTEGRITY;
  //  - USERNAME not "<local ufrag>:<remote ufrag>", or MESSAGE-INTEGRITY not under the local
  //    password: 401, without MESSAGE-INTEGRITY (the key is unknown);
  //  - unknown comprehension-required attributes: 420 listing them;
  //  - no PRIORITY: 400;
  //  - ICE-CONTROLLED (the browser claims our role; a lite agent cannot switch): 487;
  //  - otherwise 200 with XOR-MAPPED-ADDRESS `from`; USE-CANDIDATE makes `from` the selected
  //    address (a later nomination of another replaces it: the browser changed networks).
  // The authenticated errors and the 200 carry MESSAGE-INTEGRITY under the local password; all
  // carry FINGERPRINT. Valid checks refresh consent.
  IceReply on_binding_request(std::span<const std::uint8_t> raw, const StunMessage& message,
                              const boost::asio::ip::udp::endpoint& from, Clock::time_point now);

  // The nominated address: where media goes. None before the first nomination.
  std::optional<boost::asio::ip::udp::endpoint> selected() const { return selected_; }

  // True when no valid check came for `timeout` (since construction before the first one).
  bool consent_expired(Clock::time_point now,
                       std::chrono::seconds timeout = std::chrono::seconds(30)) const;

  const IceCredentials& local() const { return local_; }
  const std::string& remote_ufrag() const { return remote_ufrag_; }
  const std::string& remote_password() const { return remote_password_; }

  // The part of USERNAME before ':', which is the receiver's (our) ufrag: how the server finds
  // the session a check on the shared port is for. None without USERNAME or ':'.
  static std::optional<std::string_view> local_ufrag_of(const StunMessage& message);

 private:
  IceCredentials local_;
  std::string remote_ufrag_;
  std::string remote_password_;
  std::string expected_username_;
  Clock::time_point last_consent_;
  std::optional<boost::asio::ip::udp::endpoint> selected_;
};

}  // namespace callcast::ice
