#include "loadgen/open_files_limit.hpp"

#include <sys/resource.h>

#include <fstream>

namespace callcast::loadgen {
namespace {

std::uint64_t read_nr_open() {
  std::ifstream in("/proc/sys/fs/nr_open");
  std::uint64_t value = 0;
  in >> value;
  return in ? value : 0;
}

}  // namespace

std::string OpenFilesLimit::describe() const {
  return "RLIMIT_NOFILE " + std::to_string(soft) + " (hard " + std::to_string(hard) +
         ", fs.nr_open " + (nr_open == 0 ? std::string("unknown") : std::to_string(nr_open)) + ")";
}

OpenFilesLimit current_open_files_limit() {
  OpenFilesLimit out;
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    out.soft = limit.rlim_cur;
    out.hard = limit.rlim_max;
  }
  out.nr_open = read_nr_open();
  return out;
}

OpenFilesLimit raise_open_files_limit() {
  const OpenFilesLimit before = current_open_files_limit();
  if (before.nr_open > before.hard) {
    // Beyond the hard limit: only with CAP_SYS_RESOURCE; EPERM otherwise, then the hard limit.
    const rlimit wanted{before.nr_open, before.nr_open};
    if (setrlimit(RLIMIT_NOFILE, &wanted) == 0) return current_open_files_limit();
  }
  if (before.soft < before.hard) {
    const rlimit wanted{before.hard, before.hard};
    setrlimit(RLIMIT_NOFILE, &wanted);
  }
  return current_open_files_limit();
}

}  // namespace callcast::loadgen
