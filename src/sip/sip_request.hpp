#pragma once
// What the network side's call logic reads of a request that opens a transaction (INVITE,
// REGISTER), taken out of the SIP stack's parsed message by its adapter (SipStack), so the logic
// is driven without a stack in the unit tests. An absent header reads as std::nullopt, as a
// null pointer of the stack's message did.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "auth/digest.hpp"

namespace callcast::sip {

struct SipContact {
  std::string uri;
  std::optional<std::chrono::seconds> expires;  // its ;expires parameter, when a number
};

struct SipRequest {
  bool has_request_uri = false;
  std::optional<std::string> request_user;  // the number dialled (Request-URI user part)
  std::string request_host;                 // how the terminal reached us
  bool has_from = false;
  std::optional<std::string> from_user;
  bool has_to = false;
  std::optional<std::string> to_user;
  std::optional<std::string> call_id;
  std::optional<std::uint32_t> cseq;
  std::optional<std::chrono::seconds> expires;  // the Expires header
  std::vector<SipContact> contacts;
  bool wildcard_contact = false;  // Contact: *
  // The Authorization headers that parse as Digest credentials, in message order.
  std::vector<auth::DigestCredentials> credentials;
  std::optional<std::string> content_type;  // type/subtype
  std::string body;
  // A datagram ended before the body its Content-Length announces: the stack parses it with the
  // body cut short, but RFC 3261 §18.3 asks for 400 (over TCP the stack waits for the body).
  bool body_cut_short = false;
  bool over_tcp = false;  // the top Via's transport
  // The IP address the request came from (the top Via's received, else its host: RFC 3261
  // §18.2.1 has the server add received when they differ; relayed by a trusted proxy, the Via
  // below the proxy's: request_source.hpp). Behind a NAT, the public address a phone's media
  // will come from too (symmetric RTP, RFC 4961). Empty when unknown.
  std::string source_address;
  // That Via's received differs from its host: the sender is behind a NAT (what it believes its
  // address is, its SDP's too, is not where its packets come from; Kamailio's nat_uac_test 2).
  bool behind_nat = false;
  // Issue 14: a browser's WHEP (or WHIP) request made into a call by the HTTP side, which
  // authenticated this number itself (Basic, users file): no digest challenge here. Its offer is
  // a WebRTC one (ICE, DTLS-SRTP), answered by the media side.
  std::optional<std::string> web_caller;
  // The values of every Recv-Info header (RFC 6086).
  std::vector<std::string> recv_info;
};

}  // namespace callcast::sip
