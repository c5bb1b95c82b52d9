#pragma once
// Kamailio as callcast's SIP front (config/kamailio/kamailio.cfg) the way an operator starts it,
// through scripts/kamailio-front.sh: on a lab host (network namespaces), in front of callcastd
// signaling nodes, with its PID file, control socket and dispatcher list in the test's
// directory and its log (stderr) beside them. Stopped (SIGTERM, then SIGKILL) when the object
// goes; its log is printed when the test failed. Its state is read over its control socket with
// kamcmd (binrpc), as an operator would.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/child_process.hpp"

namespace callcast::test {

struct KamailioFrontOptions {
  std::filesystem::path script;          // scripts/kamailio-front.sh of the source tree
  std::vector<std::string> exec_prefix;  // e.g. `ip netns exec NS` to run it on a lab host
  std::string listen;                    // the IPv4 address terminals call
  std::uint16_t port = 5060;
  std::vector<std::string> nodes;  // the signaling nodes, "ADDRESS:PORT", in dispatcher order
  std::string service_number = "777";
  int ping_interval_s = 2;
};

class KamailioFront {
 public:
  // Whether Kamailio and kamcmd are installed, or why not.
  static std::optional<std::string> unavailable_reason();

  KamailioFront(std::filesystem::path dir, KamailioFrontOptions options);
  ~KamailioFront();
  KamailioFront(const KamailioFront&) = delete;
  KamailioFront& operator=(const KamailioFront&) = delete;

  // Starts it and waits until its control socket answers with the node list.
  ::testing::AssertionResult start();
  ExitStatus stop();

  // kamcmd's output for one RPC command, or nullopt when it failed.
  std::optional<std::string> rpc(const std::vector<std::string>& command) const;
  // The dispatcher's flags per node URI ("sip:10.99.0.2:5060" -> "AP": active and probed, "IP":
  // inactive), from `dispatcher.list`.
  std::map<std::string, std::string> node_flags() const;
  // The slot of the node set (of `nodes` nodes) that `key` hashes to (`dispatcher.hash`, the
  // hash algorithm 7 applies to the broadcaster's number).
  std::optional<int> hash_slot(const std::string& key, std::size_t nodes) const;
  // The node URIs Kamailio relayed the initial `method` requests whose key was `key` to, in
  // order (a challenged INVITE and its retry with credentials are two): its log lines
  // `callcast: dispatch METHOD key=KEY node=URI`.
  std::vector<std::string> dispatched_nodes(const std::string& method,
                                            const std::string& key) const;

  const std::filesystem::path& log_path() const { return log_path_; }
  std::string log_tail(std::size_t max_bytes = 20000) const;
  // True once `text` appears in the log (polled up to `timeout`).
  bool wait_for_log(const std::string& text, std::chrono::milliseconds timeout) const;

 private:
  std::filesystem::path dir_;
  KamailioFrontOptions options_;
  std::filesystem::path log_path_;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace callcast::test
