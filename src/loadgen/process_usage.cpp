#include "loadgen/process_usage.hpp"

#include <unistd.h>

#include <charconv>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace callcast::loadgen {
namespace {

std::optional<std::uint64_t> number_in(const std::string& text) {
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  while (begin != end && (*begin == ' ' || *begin == '\t'))
    ++begin;
  std::uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr == begin) return std::nullopt;
  return value;
}

}  // namespace

std::optional<ProcessSample> sample_process(pid_t pid) {
  ProcessSample sample;
  sample.taken = std::chrono::steady_clock::now();
  const std::string dir = "/proc/" + std::to_string(pid);
  std::ifstream stat_file(dir + "/stat");
  std::string stat;
  if (!std::getline(stat_file, stat)) return std::nullopt;
  // The command name (field 2) is in parentheses and may hold spaces: count from the last ')'.
  // After it: state (3) ... utime (14), stime (15), in clock ticks (proc(5)).
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(close + 1));
  std::vector<std::string> after_name;
  for (std::string field; fields >> field && after_name.size() < 13;) {
    after_name.push_back(field);
  }
  if (after_name.size() < 13) return std::nullopt;
  const long ticks_per_second = sysconf(_SC_CLK_TCK);
  if (ticks_per_second <= 0) return std::nullopt;
  const auto utime = number_in(after_name[11]);
  const auto stime = number_in(after_name[12]);
  if (!utime || !stime) return std::nullopt;
  sample.cpu_seconds = static_cast<double>(*utime + *stime) / static_cast<double>(ticks_per_second);

  std::ifstream status(dir + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) {
      sample.rss_kib = number_in(line.substr(6)).value_or(0);
      break;
    }
  }
  return sample;
}

double cpu_percent(const ProcessSample& before, const ProcessSample& after) {
  const double wall = std::chrono::duration<double>(after.taken - before.taken).count();
  if (wall <= 0) return 0;
  return (after.cpu_seconds - before.cpu_seconds) / wall * 100.0;
}

}  // namespace callcast::loadgen
