#pragma once
// What `callcast-bench sip` is asked to do (main.cpp fills it from the command line).
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "sipua/user_agent_options.hpp"

namespace callcast::loadgen {

struct SipBenchOptions {
  // The server. By default the benchmark starts its own callcastd: `callcastd` names the binary
  // (empty: ../callcastd/callcastd next to this binary, as the build lays them out).
  std::string callcastd;
  // Or an already running one (all three set): its SIP and HTTP addresses and its users file,
  // to which the benchmark's users are added. server_pid (0: unknown) enables CPU/RSS figures.
  std::string sip;
  std::string http;
  std::string users_file;
  int server_pid = 0;
  std::string realm = "callcast";  // of that server's users file
  std::string service_number = "777";
  std::string password = "callcast-bench";  // of every benchmark user
  // A cluster behind a SIP front (issue 15): `sip` names the front (Kamailio), `http` one
  // signaling node; these are the HTTP addresses of the other signaling nodes, whose calls and
  // broadcasts must be gone after the hang-up too.
  std::vector<std::string> also_clean;
  // Processes whose CPU each phase reports, "NAME=PID" or "NAME=PID+PID+..." (summed: Kamailio's
  // workers), e.g. every node of a cluster and its front.
  std::vector<std::string> watch_pids;

  std::size_t masters = 20;
  std::size_t viewers = 10;  // per master
  std::size_t concurrency = 50;
  sipua::Transport transport = sipua::Transport::udp;
  std::chrono::milliseconds timeout{10'000};  // per call: INVITE -> final answer
  // 0: one run. Else (even): that many rounds of the whole run against the same server, its
  // RSS after each round (churn_report.hpp).
  std::size_t churn_rounds = 0;
  // How long the server is left idle after each round before its RSS is read: the SIP stack's
  // transaction timers (32 s) and callcastd's trim interval (5 s), with a margin.
  std::chrono::seconds churn_idle{45};

  bool json_only = false;  // stdout: only the JSON lines
  bool keep_dir = false;   // keep the scratch directory (server log, users file)
  bool verbose = false;    // the user agents' logs at info level

  bool external_server() const { return !sip.empty(); }
};

}  // namespace callcast::loadgen
