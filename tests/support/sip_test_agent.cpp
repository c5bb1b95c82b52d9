#include "support/sip_test_agent.hpp"

#include <algorithm>
#include <future>
#include <sstream>
#include <utility>

namespace callcast::test {

// Runs on the user agent's thread; only copies what it hears into the TestCall.
class TestCall::Observer final : public sipua::CallObserver {
 public:
  explicit Observer(std::shared_ptr<TestCall> call) : call_(std::move(call)) {}

  void on_message(const sipua::WireMessage& message) override {
    if (message.retransmission) return;
    update([&](TestCall& call) {
      call.sequence_.push_back(message.label());
      call.texts_.emplace_back(message.label(), message.text());
    });
  }
  void on_response(const sipua::Response& response) override {
    update([&](TestCall& call) { call.responses_.push_back(response); });
  }
  void on_answered(const sipua::Response& /*response*/) override {
    update([](TestCall& call) { call.answered_ = true; });
  }
  void on_terminated(const sipua::CallEnd& end) override {
    update([&](TestCall& call) { call.end_ = end; });
  }

 private:
  template <class Change>
  void update(Change change) {
    // The TestCall may be gone already when the test stopped looking.
    auto call = call_.lock();
    if (!call) return;
    {
      std::lock_guard lock(call->mutex_);
      change(*call);
    }
    call->changed_.notify_all();
  }

  std::weak_ptr<TestCall> call_;
};

template <class Predicate>
bool TestCall::wait(Duration timeout, Predicate done) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return done(); });
}

std::string TestCall::describe_locked() const {
  std::ostringstream out;
  out << "call " << handle_.call_id << ": sequence [";
  for (std::size_t i = 0; i < sequence_.size(); ++i)
    out << (i ? " " : "") << sequence_[i];
  out << "], responses [";
  for (std::size_t i = 0; i < responses_.size(); ++i) {
    out << (i ? " " : "") << responses_[i].status << " " << responses_[i].method;
  }
  out << "]";
  if (end_) out << ", ended: " << end_->describe();
  return out.str();
}

::testing::AssertionResult TestCall::wait_for_status(int status, Duration timeout) {
  const bool seen = wait(timeout, [&] {
    return std::any_of(responses_.begin(), responses_.end(), [&](const sipua::Response& r) {
      return r.status == status && r.method == "INVITE";
    });
  });
  std::lock_guard lock(mutex_);
  if (seen) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "no " << status << " to the INVITE within "
                                       << timeout.count() << " ms; " << describe_locked();
}

::testing::AssertionResult TestCall::wait_answered(Duration timeout) {
  const bool answered = wait(timeout, [&] { return answered_ || end_.has_value(); });
  std::lock_guard lock(mutex_);
  if (answered && answered_) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "not answered within " << timeout.count() << " ms; " << describe_locked();
}

::testing::AssertionResult TestCall::wait_for_message(const std::string& label, Duration timeout) {
  const bool seen = wait(timeout, [&] {
    return std::find(sequence_.begin(), sequence_.end(), label) != sequence_.end();
  });
  std::lock_guard lock(mutex_);
  if (seen) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "no " << label << " within " << timeout.count() << " ms; " << describe_locked();
}

std::optional<std::string> TestCall::wait_terminated(Duration timeout) {
  wait(timeout, [&] { return end_.has_value(); });
  std::lock_guard lock(mutex_);
  if (!end_) return std::nullopt;
  return end_->describe();
}

void TestCall::hang_up() {
  if (agent_ != nullptr) agent_->hang_up(handle_);
}

std::optional<std::string> TestCall::last_sdp() const {
  std::lock_guard lock(mutex_);
  for (auto it = responses_.rbegin(); it != responses_.rend(); ++it) {
    if (it->method == "INVITE" && !it->body.empty()) return it->body;
  }
  return std::nullopt;
}

std::vector<sipua::Response> TestCall::responses() const {
  std::lock_guard lock(mutex_);
  return responses_;
}

std::optional<sipua::Response> TestCall::last_response(int status) const {
  std::lock_guard lock(mutex_);
  for (auto it = responses_.rbegin(); it != responses_.rend(); ++it) {
    if (it->status == status) return *it;
  }
  return std::nullopt;
}

std::vector<std::string> TestCall::sequence() const {
  std::lock_guard lock(mutex_);
  return sequence_;
}

std::optional<std::string> TestCall::message_text(const std::string& label) const {
  std::lock_guard lock(mutex_);
  for (const auto& [l, text] : texts_) {
    if (l == label) return text;
  }
  return std::nullopt;
}

std::optional<sipua::CallEnd> TestCall::end() const {
  std::lock_guard lock(mutex_);
  return end_;
}

SipTestAgent::SipTestAgent(sipua::UserAgentOptions options) {
  auto agent = sipua::UserAgent::start(std::move(options));
  if (agent) {
    agent_ = std::move(agent).value();
  } else {
    error_ = agent.error();
  }
}

SipTestAgent::~SipTestAgent() = default;

std::optional<sipua::Response> SipTestAgent::wait_response(
    const std::function<void(sipua::UserAgent::ResponseCallback)>& send, Duration timeout) {
  if (!agent_) return std::nullopt;
  // Shared with the callback, which may still run after a timeout here.
  auto promise = std::make_shared<std::promise<sipua::Response>>();
  auto future = promise->get_future();
  send([promise](const sipua::Response& response) { promise->set_value(response); });
  if (future.wait_for(timeout) != std::future_status::ready) return std::nullopt;
  return future.get();
}

std::optional<int> SipTestAgent::register_(std::chrono::seconds expires, Duration timeout) {
  auto response = register_response(expires, timeout);
  if (!response) return std::nullopt;
  return response->status;
}

std::optional<sipua::Response> SipTestAgent::register_response(std::chrono::seconds expires,
                                                               Duration timeout) {
  return wait_response([&](auto done) { agent_->register_account(expires, std::move(done)); },
                       timeout);
}

std::optional<int> SipTestAgent::unregister(Duration timeout) {
  auto response =
      wait_response([&](auto done) { agent_->unregister_account(std::move(done)); }, timeout);
  if (!response) return std::nullopt;
  return response->status;
}

std::optional<sipua::Response> SipTestAgent::options(const std::string& target, Duration timeout) {
  return wait_response([&](auto done) { agent_->options(target, std::move(done)); }, timeout);
}

std::shared_ptr<TestCall> SipTestAgent::call(const std::string& target,
                                             const std::string& sdp_offer) {
  auto call = std::make_shared<TestCall>();
  if (!agent_) {
    call->end_ = sipua::CallEnd{sipua::EndCause::error, 0, "no user agent: " + error_};
    return call;
  }
  call->agent_ = agent_.get();
  auto handle = agent_->start_call(target, sdp_offer, std::make_shared<TestCall::Observer>(call));
  std::lock_guard lock(call->mutex_);
  call->handle_ = std::move(handle);
  return call;
}

}  // namespace callcast::test
