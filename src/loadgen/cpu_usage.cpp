#include "loadgen/cpu_usage.hpp"

#include <charconv>
#include <fstream>
#include <sstream>

namespace callcast::loadgen {

std::map<int, CoreTimes> read_core_times() {
  std::map<int, CoreTimes> cores;
  std::ifstream stat("/proc/stat");
  for (std::string line; std::getline(stat, line);) {
    // "cpuN user nice system idle iowait irq softirq steal guest guest_nice"
    if (line.rfind("cpu", 0) != 0 || line.size() < 4 || line[3] < '0' || line[3] > '9') continue;
    std::istringstream fields(line.substr(3));
    int cpu = -1;
    fields >> cpu;
    CoreTimes times;
    std::uint64_t value = 0;
    for (int field = 0; field < 8 && fields >> value; ++field) {
      times.total += value;
      if (field == 3 || field == 4) times.idle += value;
    }
    cores[cpu] = times;
  }
  return cores;
}

std::optional<double> core_busy_pct(const std::map<int, CoreTimes>& before,
                                    const std::map<int, CoreTimes>& after, int cpu) {
  const auto a = before.find(cpu);
  const auto b = after.find(cpu);
  if (a == before.end() || b == after.end()) return std::nullopt;
  const double total = static_cast<double>(b->second.total - a->second.total);
  if (total <= 0) return std::nullopt;
  const double idle = static_cast<double>(b->second.idle - a->second.idle);
  return 100.0 * (1.0 - idle / total);
}

std::optional<std::vector<int>> parse_cpu_list(const std::string& text) {
  std::vector<int> cpus;
  std::istringstream parts(text);
  for (std::string part; std::getline(parts, part, ',');) {
    if (part.empty()) return std::nullopt;
    const auto dash = part.find('-');
    int first = 0;
    int last = 0;
    auto number = [](const std::string& digits, int& out) {
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out);
      return ec == std::errc() && end == digits.data() + digits.size() && out >= 0 && out < 1024;
    };
    if (dash == std::string::npos) {
      if (!number(part, first)) return std::nullopt;
      last = first;
    } else if (!number(part.substr(0, dash), first) || !number(part.substr(dash + 1), last) ||
               last < first) {
      return std::nullopt;
    }
    for (int cpu = first; cpu <= last; ++cpu)
      cpus.push_back(cpu);
  }
  if (cpus.empty()) return std::nullopt;
  return cpus;
}

std::string format_cpu_list(const std::vector<int>& cpus) {
  std::string out;
  for (const int cpu : cpus)
    out += (out.empty() ? "" : ",") + std::to_string(cpu);
  return out;
}

std::string allowed_cpus(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("Cpus_allowed_list:", 0) == 0) {
      const auto start = line.find_first_not_of(" \t", 18);
      return start == std::string::npos ? "" : line.substr(start);
    }
  }
  return "";
}

}  // namespace callcast::loadgen
