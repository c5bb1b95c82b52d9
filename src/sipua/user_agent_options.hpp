#pragma once
// How a SIP user agent (client side) binds, which transport it uses toward the server, and the
// account it registers and calls with.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace callcast::sipua {

enum class Transport { udp, tcp };

struct Account {
  std::string number;    // user part of the AOR and the digest user name, e.g. "1001"
  std::string password;  // clear text: sofia's digest client computes the response itself
  std::string domain;    // the server as "host:port"; requests go there directly (no DNS/proxy)
};

struct UserAgentOptions {
  std::string bind_host = "127.0.0.1";
  std::uint16_t bind_port = 0;  // 0: the OS picks one; UserAgent::local_port() tells which
  Transport transport = Transport::udp;
  Account account;
  // Advertise `Supported: 100rel` in INVITEs. Either way nua answers a reliable provisional
  // response (Require: 100rel + RSeq) with a PRACK by itself.
  bool support_100rel = true;
  // Capture every message on the wire (sofia's transport log) for the message-sequence recorder
  // and CallObserver::on_message. Load generators turn it off: it parses every message.
  bool record_messages = true;
  // How long a request waits for the first answer before nta gives up with a local 408 (its
  // Timer B/F, 64*T1); 0 keeps sofia's 32 s. A terminal waits less: a server that never answers
  // then also leaves no transaction behind that would hold up the shutdown.
  std::chrono::milliseconds transaction_timeout{0};
  // How long the destructor waits for nua to finish its shutdown (BYE/CANCEL/un-REGISTER
  // answered) before it drops what is left.
  std::chrono::milliseconds shutdown_timeout{3000};
  std::string user_agent = "callcast-sipua";
  // NAT traversal. Every request carries `rport` in its Via (RFC 3581), so that the server
  // answers to the address and port it came from; when the answer to the REGISTER shows that the
  // server saw another address (Via received/rport: a NAT between), nua registers again with
  // that public address as Contact and uses it in its dialogs, so the server's in-dialog requests
  // (a BYE) reach us. `keepalive` > 0 sends an OPTIONS to the registrar that often, which keeps
  // the NAT's UDP binding open (and notices when it changes); 0 sends none. Load generators
  // leave it at 0.
  std::chrono::milliseconds keepalive{0};
  // INFO packages (RFC 6086) this agent takes inside its calls, e.g. "callcast-audience": its
  // INVITEs carry them in Recv-Info, an INFO of one of them is answered 200 and reported to the
  // call's observer (on_info), an INFO of any other package gets 469 Bad Info Package. Empty:
  // no Recv-Info, and INFO is not allowed (405).
  std::vector<std::string> info_packages;
};

}  // namespace callcast::sipua
