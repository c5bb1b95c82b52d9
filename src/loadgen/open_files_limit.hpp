#pragma once
// The bench's descriptor budget. A fan-out run holds a few descriptors per viewer (see
// ViewerFleet) and the server it starts about one (the RTSP connection); both inherit the limit
// raised here, since the bench forks the server after raising it. Without this, a shell's default
// soft limit (1,024, or 20,000 on some images) cut the ramp short with "connect: Too many open
// files" in the BENCH, which then looked like the server's limit.
#include <cstdint>
#include <string>

namespace callcast::loadgen {

struct OpenFilesLimit {
  std::uint64_t soft = 0;     // RLIMIT_NOFILE now (what this process may open)
  std::uint64_t hard = 0;     // its ceiling without CAP_SYS_RESOURCE
  std::uint64_t nr_open = 0;  // /proc/sys/fs/nr_open: the ceiling with it (0: unknown)

  // "RLIMIT_NOFILE 1048576 (hard 1048576, fs.nr_open 1048576)"
  std::string describe() const;
};

// Raises RLIMIT_NOFILE to the most the system allows: fs.nr_open when the process may raise its
// hard limit (root, CAP_SYS_RESOURCE), else the hard limit. Children started afterwards inherit
// it. Returns the limit in force afterwards.
OpenFilesLimit raise_open_files_limit();

// The limit in force, unchanged.
OpenFilesLimit current_open_files_limit();

}  // namespace callcast::loadgen
