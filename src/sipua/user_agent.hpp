#pragma once
// A SIP user agent, client side, on sofia-sip's nua, running in a thread of its own: what the
// end-to-end tests use to play master and viewer (patent steps 701-714) and what
// `callcast-bench sip` runs by the hundred in one process.
//
// Threads: the constructor (start()) starts a thread that owns an su_root and the nua stack
// (NuaEngine). Every public method may be called from any thread: it hands the work to that
// thread (su_task_execute) and returns once the work is queued with nua, not when the network
// answers. Answers come back through callbacks and CallObserver methods, which all run on the
// user agent's thread: keep them short. They may call the user agent again (that runs inline);
// they must not destroy it. The destructor shuts nua down (BYE/CANCEL live calls, un-REGISTER),
// waits at most options.shutdown_timeout (+1 s), and never hangs.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/result.hpp"
#include "sipua/call_handle.hpp"
#include "sipua/call_observer.hpp"
#include "sipua/response.hpp"
#include "sipua/user_agent_options.hpp"

struct su_root_s;

namespace callcast::sipua {

class NuaEngine;

class UserAgent {
 public:
  using ResponseCallback = std::function<void(const Response&)>;

  // Binds and starts the stack; fails when it cannot bind or does not come up within 5 s.
  static Result<std::unique_ptr<UserAgent>, std::string> start(UserAgentOptions options);
  ~UserAgent();
  UserAgent(const UserAgent&) = delete;
  UserAgent& operator=(const UserAgent&) = delete;

  const UserAgentOptions& options() const { return options_; }
  std::uint16_t local_port() const { return local_port_; }

  // REGISTER the account; `done` gets the final response (digest challenges are answered with
  // the account's password, MD5 only: sofia's client does not do SHA-256).
  void register_account(std::chrono::seconds expires, ResponseCallback done);
  void unregister_account(ResponseCallback done);

  // INVITE `target`: a number at the account's domain ("777"), or a full "sip:" URI. The SDP
  // offer goes as an application/sdp body (none when empty). Reliable provisional responses are
  // PRACKed and the 200 OK ACKed by nua; a 401/407 is answered with the account's credentials.
  CallHandle start_call(const std::string& target, const std::string& sdp_offer,
                        std::shared_ptr<CallObserver> observer);
  // CANCEL before the answer, BYE after. The observer hears on_terminated when it is done.
  void hang_up(const CallHandle& call);
  void options(const std::string& target, ResponseCallback done);

  // The labels of every message of the dialog with this Call-ID ("<183", ">PRACK"...), in wire
  // order, without retransmissions; empty unless options.record_messages. Works after the call
  // ended too.
  std::vector<std::string> sequence(const std::string& call_id);
  std::uint64_t retransmissions(const std::string& call_id);
  std::size_t active_calls();

 private:
  explicit UserAgent(UserAgentOptions options);
  void run(std::function<void(Result<std::uint16_t, std::string>)> started);
  // Runs `work` on the user agent's thread and waits for it (inline when already there).
  void execute(const std::function<void()>& work);

  UserAgentOptions options_;
  std::uint16_t local_port_ = 0;
  std::atomic<std::uint64_t> next_call_ = 1;
  std::string call_id_prefix_;
  std::atomic<su_root_s*> root_ = nullptr;  // set by the thread once the stack is up
  std::unique_ptr<NuaEngine> engine_;       // lives on the thread
  std::thread thread_;
};

}  // namespace callcast::sipua
