#pragma once
// Several hosts on one machine, for the tests of what crosses a network (DESIGN.md §9): each host
// is a network namespace with one interface, all joined by a bridge (a switch in its own
// namespace), and one host behind a masquerading router, as a phone behind a home router or a
// mobile carrier's NAT is.
//
//          lan (bridge br0)
//   +--------+---------+---------+------------------+
//   srv      pub       v1        nat (eth0 10.99.0.254, MASQUERADE)
//   .1       .2        .3         | eth1 192.168.99.1
//                                 v2 192.168.99.2 (default route via the router)
//
// Or any number of named hosts on one bridge and nothing else (NetnsLab(dir, {"kam", "sig1",
// ...}): 10.99.0.1, .2, ... in the order given), for a cluster of servers on one machine.
//
// The lab creates its namespaces (names carry the test's PID, so parallel tests never meet) and
// removes them, with every process still inside, when it ends, even when the test failed; stale
// namespaces of test processes that died are removed at the next start. Needs root and a kernel
// with network namespaces: unavailable_reason() says when the tests must skip.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "support/child_process.hpp"

namespace callcast::test {

struct LabHost {
  std::string name;      // "srv", "pub", ...
  std::string netns;     // the namespace's name
  std::string address;   // its IPv4 address
  std::string lan_port;  // the bridge-side end of its link ("" for the host behind the NAT)
};

class NetnsLab {
 public:
  // Why namespaces cannot be made here (not root, no `ip`, no namespace support), or nullopt.
  static std::optional<std::string> unavailable_reason();

  // Builds the hosts; check ok() (and error()) before use. Command output goes to `dir`.
  explicit NetnsLab(std::filesystem::path dir);
  // Builds `host_names` on one bridge, 10.99.0.1 up in that order (at most 250; names of 1 to 12
  // letters, digits or '-', unique: they name namespaces and interfaces). Only host() and hosts()
  // reach them; the fixed lab's accessors below are the first constructor's.
  NetnsLab(std::filesystem::path dir, const std::vector<std::string>& host_names);
  ~NetnsLab();
  NetnsLab(const NetnsLab&) = delete;
  NetnsLab& operator=(const NetnsLab&) = delete;

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  // A host by its name; throws std::out_of_range for a name the lab has not.
  const LabHost& host(const std::string& name) const;
  const std::vector<LabHost>& hosts() const { return hosts_; }

  const LabHost& server() const { return hosts_[0]; }
  const LabHost& broadcaster() const { return hosts_[1]; }
  const LabHost& viewer() const { return hosts_[2]; }
  const LabHost& router() const { return hosts_[3]; }
  const LabHost& natted_viewer() const { return hosts_[4]; }
  // The address the router's masquerading gives the host behind it, as others see it.
  const std::string& nat_public_address() const { return router().address; }

  // argv run inside `host`'s namespace (`ip netns exec`; the program keeps its PID).
  std::vector<std::string> in(const LabHost& host, std::vector<std::string> argv) const;
  // Runs a command inside `host` to completion (bounded); its output, or nullopt when it failed.
  std::optional<std::string> run(const LabHost& host, std::vector<std::string> argv) const;

  // The host's link at the switch goes down or up: its packets are lost, its own interface and
  // routes stay as they are (a radio link that fades).
  bool set_link(const LabHost& host, bool up) const;
  // Resets (RST both ways, `ss -K`) the TCP connections of `host` toward dst:port.
  bool reset_tcp(const LabHost& host, const std::string& dst, std::uint16_t port) const;

 private:
  bool sh(const std::vector<std::string>& argv);  // setup step; records the first error
  std::optional<std::string> command(const std::vector<std::string>& argv) const;
  void remove_stale_labs() const;
  // Namespaces (the switch and every host), the bridge, and a port on it for each host that has
  // one; false when it could not (error() says why).
  bool build_switched_hosts();

  std::filesystem::path dir_;
  std::string prefix_;
  std::string switch_ns_;
  std::vector<LabHost> hosts_;
  std::vector<std::string> created_;
  std::string error_;
};

}  // namespace callcast::test
