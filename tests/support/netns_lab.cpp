#include "support/netns_lab.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace callcast::test {

namespace {

constexpr auto kCommandTimeout = std::chrono::seconds(10);
const char* const kLabTag = "cclab";  // every namespace a lab makes: cclab<pid>-<host>

std::string join(const std::vector<std::string>& argv) {
  std::string text;
  for (const auto& arg : argv)
    text += (text.empty() ? "" : " ") + arg;
  return text;
}

bool process_exists(pid_t pid) {
  return ::kill(pid, 0) == 0 || errno == EPERM;
}

}  // namespace

std::optional<std::string> NetnsLab::unavailable_reason() {
  if (::geteuid() != 0)
    return "network namespaces need root (the tests run as uid " + std::to_string(::geteuid()) +
           ")";
  if (::access("/proc/self/ns/net", R_OK) != 0) return "this kernel has no network namespaces";
  if (::access("/usr/sbin/ip", X_OK) != 0 && ::access("/sbin/ip", X_OK) != 0 &&
      ::access("/usr/bin/ip", X_OK) != 0) {
    return "`ip` (iproute2) is not installed";
  }
  return std::nullopt;
}

std::optional<std::string> NetnsLab::command(const std::vector<std::string>& argv) const {
  ChildOptions options;
  options.argv = argv;
  options.stdout_file = dir_ / "netns-command.out";
  options.stderr_file = dir_ / "netns-command.err";
  ChildProcess child(options);
  if (!child.started()) return std::nullopt;
  auto status = child.wait_for(kCommandTimeout);
  if (!status) child.terminate(SIGKILL);
  {
    std::ofstream log(dir_ / "netns.log", std::ios::app);
    log << "$ " << join(argv) << "  -> " << (status ? status->describe() : std::string("timed out"))
        << "\n"
        << file_tail(options.stdout_file, 4096) << file_tail(options.stderr_file, 4096);
  }
  if (!status || !status->success()) return std::nullopt;
  return file_tail(options.stdout_file, 1 << 20);
}

bool NetnsLab::sh(const std::vector<std::string>& argv) {
  if (!error_.empty()) return false;
  if (command(argv)) return true;
  error_ = "`" + join(argv) + "` failed: " + file_tail(dir_ / "netns-command.err", 2000);
  return false;
}

void NetnsLab::remove_stale_labs() const {
  // A test killed by its timeout cannot clean up; its namespaces are found by the PID in their
  // names once that process is gone.
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/run/netns", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(kLabTag, 0) != 0) continue;
    const auto dash = name.find('-');
    if (dash == std::string::npos) continue;
    pid_t owner = 0;
    try {
      owner = static_cast<pid_t>(std::stol(name.substr(std::string(kLabTag).size(), dash)));
    } catch (const std::exception&) {
      continue;
    }
    if (owner > 0 && !process_exists(owner)) {
      (void)command({"ip", "netns", "pids", name});  // logged, for the record
      const std::string pids = file_tail(dir_ / "netns-command.out", 1 << 16);
      std::istringstream in(pids);
      pid_t pid = 0;
      while (in >> pid)
        ::kill(pid, SIGKILL);
      (void)command({"ip", "netns", "del", name});
    }
  }
}

bool NetnsLab::build_switched_hosts() {
  if (!sh({"ip", "netns", "add", switch_ns_})) return false;
  created_.push_back(switch_ns_);
  for (const LabHost& host : hosts_) {
    if (!sh({"ip", "netns", "add", host.netns})) return false;
    created_.push_back(host.netns);
    sh({"ip", "-n", host.netns, "link", "set", "lo", "up"});
  }
  sh({"ip", "-n", switch_ns_, "link", "set", "lo", "up"});
  sh({"ip", "-n", switch_ns_, "link", "add", "br0", "type", "bridge"});
  sh({"ip", "-n", switch_ns_, "link", "set", "br0", "up"});
  for (const LabHost& host : hosts_) {
    if (host.lan_port.empty()) continue;
    sh({"ip", "-n", switch_ns_, "link", "add", host.lan_port, "type", "veth", "peer", "name",
        "eth0", "netns", host.netns});
    sh({"ip", "-n", switch_ns_, "link", "set", host.lan_port, "master", "br0", "up"});
    sh({"ip", "-n", host.netns, "addr", "add", host.address + "/24", "dev", "eth0"});
    sh({"ip", "-n", host.netns, "link", "set", "eth0", "up"});
  }
  return ok();
}

NetnsLab::NetnsLab(std::filesystem::path dir, const std::vector<std::string>& host_names)
    : dir_(std::move(dir)) {
  std::error_code made;
  std::filesystem::create_directories(dir_, made);  // its commands' output files go there
  if (auto reason = unavailable_reason()) {
    error_ = *reason;
    return;
  }
  constexpr std::size_t kMaxHosts = 250;  // 10.99.0.1 to .250 on the /24
  constexpr std::size_t kMaxName = 12;    // "p-" + name fits IFNAMSIZ
  if (host_names.empty() || host_names.size() > kMaxHosts) {
    error_ = "a lab has 1 to " + std::to_string(kMaxHosts) + " hosts, not " +
             std::to_string(host_names.size());
    return;
  }
  for (std::size_t i = 0; i < host_names.size(); ++i) {
    const std::string& name = host_names[i];
    const bool well_formed =
        !name.empty() && name.size() <= kMaxName &&
        name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") ==
            std::string::npos &&
        name != "lan";
    if (!well_formed) {
      error_ = "host name \"" + name + "\": 1 to " + std::to_string(kMaxName) +
               " letters, digits or '-', not \"lan\" (the switch)";
      return;
    }
    if (std::find(host_names.begin(), host_names.begin() + static_cast<std::ptrdiff_t>(i), name) !=
        host_names.begin() + static_cast<std::ptrdiff_t>(i)) {
      error_ = "host name \"" + name + "\" given twice";
      return;
    }
  }
  remove_stale_labs();
  prefix_ = std::string(kLabTag) + std::to_string(::getpid()) + "-";
  switch_ns_ = prefix_ + "lan";
  for (std::size_t i = 0; i < host_names.size(); ++i) {
    const std::string& name = host_names[i];
    hosts_.push_back({name, prefix_ + name, "10.99.0." + std::to_string(i + 1), "p-" + name});
  }
  build_switched_hosts();
}

NetnsLab::NetnsLab(std::filesystem::path dir) : dir_(std::move(dir)) {
  std::error_code made;
  std::filesystem::create_directories(dir_, made);  // its commands' output files go there
  if (auto reason = unavailable_reason()) {
    error_ = *reason;
    return;
  }
  remove_stale_labs();
  prefix_ = std::string(kLabTag) + std::to_string(::getpid()) + "-";
  switch_ns_ = prefix_ + "lan";
  hosts_ = {
      {"srv", prefix_ + "srv", "10.99.0.1", "p-srv"},
      {"pub", prefix_ + "pub", "10.99.0.2", "p-pub"},
      {"v1", prefix_ + "v1", "10.99.0.3", "p-v1"},
      {"nat", prefix_ + "nat", "10.99.0.254", "p-nat"},
      {"v2", prefix_ + "v2", "192.168.99.2", ""},
  };
  if (!build_switched_hosts()) return;
  // The home router: v2's only way out, rewriting its source to 10.99.0.254.
  const LabHost& nat = router();
  const LabHost& inside = natted_viewer();
  sh({"ip", "-n", nat.netns, "link", "add", "eth1", "type", "veth", "peer", "name", "eth0", "netns",
      inside.netns});
  sh({"ip", "-n", nat.netns, "addr", "add", "192.168.99.1/24", "dev", "eth1"});
  sh({"ip", "-n", nat.netns, "link", "set", "eth1", "up"});
  sh({"ip", "-n", inside.netns, "addr", "add", inside.address + "/24", "dev", "eth0"});
  sh({"ip", "-n", inside.netns, "link", "set", "eth0", "up"});
  sh({"ip", "-n", inside.netns, "route", "add", "default", "via", "192.168.99.1"});
  sh(in(nat, {"sysctl", "-q", "-w", "net.ipv4.ip_forward=1"}));
  sh(in(nat, {"iptables", "-t", "nat", "-A", "POSTROUTING", "-o", "eth0", "-j", "MASQUERADE"}));
  // Its WAN firewall, as home routers have: nothing unsolicited from outside reaches it. (Without
  // it, media sent before the player's first datagram would leave a mapping for the port SETUP
  // named, and the router would give the player's own flow another port.)
  sh(in(nat, {"iptables", "-A", "INPUT", "-i", "eth0", "-m", "conntrack", "--ctstate", "NEW", "-j",
              "DROP"}));
  sh(in(nat, {"iptables", "-A", "FORWARD", "-i", "eth0", "-m", "conntrack", "--ctstate", "NEW",
              "-j", "DROP"}));
}

NetnsLab::~NetnsLab() {
  for (auto it = created_.rbegin(); it != created_.rend(); ++it) {
    // Whatever a test left running in a namespace of its own lab is the test's.
    if (auto pids = command({"ip", "netns", "pids", *it})) {
      std::istringstream in(*pids);
      pid_t pid = 0;
      while (in >> pid)
        ::kill(pid, SIGKILL);
    }
    (void)command({"ip", "netns", "del", *it});
  }
}

const LabHost& NetnsLab::host(const std::string& name) const {
  for (const LabHost& host : hosts_) {
    if (host.name == name) return host;
  }
  throw std::out_of_range("the lab has no host \"" + name + "\"");
}

std::vector<std::string> NetnsLab::in(const LabHost& host, std::vector<std::string> argv) const {
  std::vector<std::string> full = {"ip", "netns", "exec", host.netns};
  full.insert(full.end(), std::make_move_iterator(argv.begin()),
              std::make_move_iterator(argv.end()));
  return full;
}

std::optional<std::string> NetnsLab::run(const LabHost& host, std::vector<std::string> argv) const {
  return command(in(host, std::move(argv)));
}

bool NetnsLab::set_link(const LabHost& host, bool up) const {
  if (host.lan_port.empty()) return false;
  return command({"ip", "-n", switch_ns_, "link", "set", host.lan_port, up ? "up" : "down"})
      .has_value();
}

bool NetnsLab::reset_tcp(const LabHost& host, const std::string& dst, std::uint16_t port) const {
  return run(host, {"ss", "-K", "dst", dst, "dport", "=", std::to_string(port)}).has_value();
}

}  // namespace callcast::test
