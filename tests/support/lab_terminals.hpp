#pragma once
// `callcast broadcast` and `callcast watch` on the named hosts of a lab (NetnsLab(dir, {names})),
// as the cluster tests run them: each terminal's output and --stats-json figures in the test's
// directory, every terminal calling one SIP address (Kamailio, or a signaling node). The
// terminals end with this object (or end_all()), before the servers they call.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "support/child_process.hpp"
#include "support/netns_lab.hpp"

namespace callcast::test {

class LabTerminals {
 public:
  // `callcast`: the terminal binary under test; `sip_server`: host:port the terminals register
  // at and call; `password`: every account's.
  LabTerminals(const NetnsLab& lab, std::filesystem::path dir, std::filesystem::path callcast,
               std::string sip_server, std::string password);

  // `argv` run on `host`, its output in <dir>/<name>.out and .err.
  ChildProcess& start(const std::string& host, std::vector<std::string> argv,
                      const std::string& name);
  // A process started with options of its own, ended with the terminals.
  ChildProcess& adopt(ChildOptions options);
  // The flags of `number`'s account, its --stats-json in <dir>/<name>.stats.json.
  std::vector<std::string> account(const std::string& number, const std::string& name) const;
  // `callcast broadcast` from `host`, small pictures: several share two cores with the rest.
  ChildProcess& broadcast(const std::string& number, const std::string& host = "pub");
  // `callcast watch number` as `viewer` from `host`, with `more` flags (e.g. --record FILE).
  ChildProcess& watch(const std::string& number, const std::string& viewer,
                      const std::string& host = "view", std::vector<std::string> more = {});
  void end_all() { terminals_.clear(); }

  static std::string output(const ChildProcess& child);
  // `text` in the child's output within `timeout` (fails at once when the child ends without it).
  static ::testing::AssertionResult wait_for_output(ChildProcess& child, const std::string& text,
                                                    std::chrono::milliseconds timeout);

 private:
  const NetnsLab& lab_;
  std::filesystem::path dir_;
  std::string callcast_;
  std::string sip_server_;
  std::string password_;
  std::vector<std::unique_ptr<ChildProcess>> terminals_;
};

}  // namespace callcast::test
