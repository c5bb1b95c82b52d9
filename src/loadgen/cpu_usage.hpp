#pragma once
// Whole-core figures from /proc/stat (proc(5)): a core's busy share over an interval counts
// user, system, irq and softirq time of every process on it (on loopback, the kernel's receive
// work for a socket partly runs on the sender's core), i.e. 100 - (idle + iowait) share. Plus CPU
// lists in the kernel's format ("0", "0-1", "0,2-3").
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace callcast::loadgen {

struct CoreTimes {
  std::uint64_t idle = 0;   // idle + iowait, in ticks
  std::uint64_t total = 0;  // every field, in ticks
};

// cpu number -> times; empty when /proc/stat cannot be read.
std::map<int, CoreTimes> read_core_times();

// Busy % of `cpu` between two readings; nullopt when it is missing.
std::optional<double> core_busy_pct(const std::map<int, CoreTimes>& before,
                                    const std::map<int, CoreTimes>& after, int cpu);

// "0-2,5" -> {0,1,2,5}; nullopt on a malformed list.
std::optional<std::vector<int>> parse_cpu_list(const std::string& text);
std::string format_cpu_list(const std::vector<int>& cpus);

// Cpus_allowed_list of /proc/<pid>/status (the affinity the process really has); "" if unknown.
std::string allowed_cpus(pid_t pid);

}  // namespace callcast::loadgen
