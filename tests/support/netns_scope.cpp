#include "support/netns_scope.hpp"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace callcast::test {

NetnsScope::NetnsScope(const std::string& netns) {
  home_ = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (home_ < 0) {
    error_ = std::string("cannot open this thread's namespace: ") + std::strerror(errno);
    return;
  }
  const std::string path = "/run/netns/" + netns;
  const int target = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (target < 0) {
    error_ = "cannot open " + path + ": " + std::strerror(errno);
    return;
  }
  if (::setns(target, CLONE_NEWNET) != 0) {
    error_ = "setns " + path + ": " + std::strerror(errno);
  } else {
    entered_ = true;
  }
  ::close(target);
}

NetnsScope::~NetnsScope() {
  // A thread left in a lab namespace would send the next test's traffic into a deleted network.
  if (entered_ && ::setns(home_, CLONE_NEWNET) != 0) std::abort();
  if (home_ >= 0) ::close(home_);
}

}  // namespace callcast::test
