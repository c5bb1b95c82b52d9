#pragma once
// What the server process costs, read from Linux's /proc: CPU time (utime + stime of
// /proc/<pid>/stat, all threads) and resident memory (VmRSS of /proc/<pid>/status).
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>

namespace callcast::loadgen {

struct ProcessSample {
  std::chrono::steady_clock::time_point taken;
  double cpu_seconds = 0;  // user + system, since the process started
  std::uint64_t rss_kib = 0;
};

// nullopt when the process is gone or /proc cannot be read.
std::optional<ProcessSample> sample_process(pid_t pid);

// CPU use between two samples as a percentage of one core (200 = two cores busy).
double cpu_percent(const ProcessSample& before, const ProcessSample& after);

}  // namespace callcast::loadgen
