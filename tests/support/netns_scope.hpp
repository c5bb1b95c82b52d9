#pragma once
// The calling thread enters a network namespace (setns) for the scope's life and returns to its
// own at the end: sockets the test opens meanwhile (HTTP to the control API, RTSP, UDP) live in
// that namespace, so the test talks to a server in a lab host as a program on that host would.
// Only this thread moves; children started meanwhile inherit the namespace.
#include <string>

namespace callcast::test {

class NetnsScope {
 public:
  explicit NetnsScope(const std::string& netns);  // ok() tells whether it entered
  ~NetnsScope();
  NetnsScope(const NetnsScope&) = delete;
  NetnsScope& operator=(const NetnsScope&) = delete;

  bool ok() const { return entered_; }
  const std::string& error() const { return error_; }

 private:
  int home_ = -1;
  bool entered_ = false;
  std::string error_;
};

}  // namespace callcast::test
