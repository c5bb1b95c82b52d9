#pragma once
// A SIP peer that writes its own bytes (malformed messages, floods, a SHA-256 digest), and small
// readers of SIP text for the tests that use it.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/digest.hpp"
#include "sipua/user_agent_options.hpp"

namespace callcast::test {

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
  std::optional<std::string> wait_response(
      const std::string& call_id, std::uint32_t cseq,
      std::chrono::milliseconds timeout = std::chrono::seconds(5), int min_status = 200);
  // Sends without credentials, answers the 401 with `algorithm`'s challenge ("SHA-256" or
  // "MD5") and `password`, and returns the final response to the second request (CSeq + 1).
  std::optional<std::string> send_authenticated(
      RawSipRequest request, const std::string& password, const std::string& algorithm = "MD5",
      std::chrono::milliseconds timeout = std::chrono::seconds(5));

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

}  // namespace callcast::test
