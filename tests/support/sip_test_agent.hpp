#pragma once
// A blocking SIP user agent for tests: the scripted master and viewer of the end-to-end tests.
// Wraps sipua::UserAgent (its own sofia thread) and turns its callbacks into bounded waits that
// fail with a message saying what did happen instead.
//
//   SipTestAgent master({.account = {"1001", "secret", server}});
//   ASSERT_TRUE(master.ok()) << master.error();
//   EXPECT_EQ(master.register_(), 200);
//   auto call = master.call("777", "");
//   ASSERT_TRUE(call->wait_for_status(183, 5s));
//   ASSERT_TRUE(call->wait_answered(5s));
//   EXPECT_EQ(call->sequence(), (std::vector<std::string>{">INVITE", "<401", ">ACK", ...}));
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "sipua/user_agent.hpp"

namespace callcast::test {

using namespace std::chrono_literals;

// One outgoing call. Everything it saw is kept, so that a test can wait for an event after it
// happened.
class TestCall {
 public:
  using Duration = std::chrono::milliseconds;

  // A response with this status to the INVITE (provisional or final).
  ::testing::AssertionResult wait_for_status(int status, Duration timeout = 5s);
  // The 200 OK to the INVITE (nua has ACKed it).
  ::testing::AssertionResult wait_answered(Duration timeout = 5s);
  // This label in the message sequence, e.g. ">ACK" or "<BYE".
  ::testing::AssertionResult wait_for_message(const std::string& label, Duration timeout = 5s);
  // The end of the call, described ("BYE from remote", "rejected: 486 Busy Here"...).
  std::optional<std::string> wait_terminated(Duration timeout = 5s);

  // CANCEL before the answer, BYE after.
  void hang_up();

  const sipua::CallHandle& handle() const { return handle_; }
  // The body of the last response to the INVITE that had one (the 183's or the 200's SDP).
  std::optional<std::string> last_sdp() const;
  // Responses to the INVITE, PRACK, CANCEL and BYE as nua reported them.
  std::vector<sipua::Response> responses() const;
  std::optional<sipua::Response> last_response(int status) const;
  // Labels of the dialog's messages in wire order, without retransmissions.
  std::vector<std::string> sequence() const;
  // The full text of the first message with this label (e.g. ">INVITE"), for header checks.
  std::optional<std::string> message_text(const std::string& label) const;
  std::optional<sipua::CallEnd> end() const;

 private:
  friend class SipTestAgent;
  class Observer;
  template <class Predicate>
  bool wait(Duration timeout, Predicate done) const;
  std::string describe_locked() const;  // for failure messages

  sipua::UserAgent* agent_ = nullptr;
  sipua::CallHandle handle_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::vector<sipua::Response> responses_;
  std::vector<std::string> sequence_;
  std::vector<std::pair<std::string, std::string>> texts_;  // label, message text
  bool answered_ = false;
  std::optional<sipua::CallEnd> end_;
};

class SipTestAgent {
 public:
  using Duration = std::chrono::milliseconds;

  explicit SipTestAgent(sipua::UserAgentOptions options);
  ~SipTestAgent();
  SipTestAgent(const SipTestAgent&) = delete;
  SipTestAgent& operator=(const SipTestAgent&) = delete;

  bool ok() const { return agent_ != nullptr; }
  const std::string& error() const { return error_; }
  sipua::UserAgent& agent() { return *agent_; }
  std::uint16_t local_port() const { return agent_ ? agent_->local_port() : 0; }

  // The final status of the REGISTER (after the digest round), nullopt on timeout.
  std::optional<int> register_(std::chrono::seconds expires = std::chrono::seconds(600),
                               Duration timeout = 5s);
  // The same, with the whole final response (its Retry-After, Warning...).
  std::optional<sipua::Response> register_response(
      std::chrono::seconds expires = std::chrono::seconds(600), Duration timeout = 5s);
  std::optional<int> unregister(Duration timeout = 5s);
  std::optional<sipua::Response> options(const std::string& target, Duration timeout = 5s);
  // Starts the call; wait on the returned TestCall.
  std::shared_ptr<TestCall> call(const std::string& target, const std::string& sdp_offer = "");

 private:
  std::optional<sipua::Response> wait_response(
      const std::function<void(sipua::UserAgent::ResponseCallback)>& send, Duration timeout);

  std::unique_ptr<sipua::UserAgent> agent_;
  std::string error_;
};

}  // namespace callcast::test
