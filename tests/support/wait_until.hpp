#pragma once
// Bounded polling: every wait in the end-to-end tests has a deadline, so a missing event fails
// the test with a message instead of hanging it.
#include <chrono>
#include <thread>

namespace callcast::test {

// Calls `condition` every `period` until it returns true (-> true) or `timeout` passes (-> false).
template <class Condition>
bool wait_until(Condition condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds period = std::chrono::milliseconds(100)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(period);
  }
}

}  // namespace callcast::test
