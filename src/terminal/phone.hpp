#pragma once
// The SIP side of a terminal (the patent's call module): registers the account, places the one
// call of a session (701 to the service number, 710 to a broadcaster) and hangs it up. It wraps
// the sipua user agent, which runs sofia on its own thread; every callback here is handed over
// to the GLib main loop (run_on_main_loop), so sessions never see the sofia thread.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "sipua/call_end.hpp"
#include "sipua/call_handle.hpp"
#include "sipua/info_request.hpp"
#include "sipua/response.hpp"
#include "sipua/user_agent.hpp"
#include "terminal/main_loop.hpp"

namespace callcast::terminal {

struct PhoneOptions {
  std::string server = "127.0.0.1:5060";  // host:port of the network side
  sipua::Transport transport = sipua::Transport::udp;
  std::string number;
  std::string password;
  // The local address the user agent binds and advertises (Contact, SDP): the program picks the
  // one that routes to the server (local_address.hpp) unless --bind says otherwise.
  std::string bind_host = "127.0.0.1";
  std::uint16_t bind_port = 0;  // 0: the OS picks one
  // OPTIONS to the registrar this often, so that a NAT keeps the binding the network side's
  // in-dialog requests (BYE at the end of a broadcast) come back through. UDP bindings of
  // common NATs (Linux conntrack: 30 s unanswered, 120 s answered) outlive it. sofia's timer is
  // deferrable (su_root's max defer, 15 s), so it subtracts that: OPTIONS go every 10 to 25 s.
  std::chrono::milliseconds keepalive{25000};
  // A server that never answers: sofia would retransmit for 32 s (Timer B/F); a user waits less.
  std::chrono::milliseconds answer_timeout{8000};
  // INFO packages (RFC 6086) the calls take, e.g. the broadcaster's "callcast-audience".
  std::vector<std::string> info_packages;
};

// What the network side did with the call, on the main loop.
struct CallEvents {
  // Every response to the INVITE before the final one (100, 181, 183...).
  std::function<void(const sipua::Response&)> on_provisional;
  std::function<void(const sipua::Response&)> on_answered;
  // An INFO of one of PhoneOptions::info_packages inside the call (already answered 200).
  std::function<void(const sipua::InfoRequest&)> on_info;
  // Once, last: how it ended, and the final response when one refused the call.
  std::function<void(const sipua::CallEnd&, const std::optional<sipua::Response>& refusal)>
      on_ended;
};

class Phone {
 public:
  static Result<std::unique_ptr<Phone>, std::string> start(PhoneOptions options);
  ~Phone();
  Phone(const Phone&) = delete;
  Phone& operator=(const Phone&) = delete;

  const PhoneOptions& options() const { return options_; }
  // The address to put in SDP offers: the bound one, or, once the REGISTER's answer showed a NAT
  // (Via received differs, RFC 3581), the public address the server saw.
  const std::string& advertised_host() const { return advertised_host_; }

  // REGISTER; `done` gets an error line (wrong password, server unreachable...) or success.
  void register_account(std::function<void(Result<bool, std::string>)> done);
  void unregister_account(std::function<void()> done);

  // INVITE `target` (a number) with this SDP offer. One call at a time.
  void call(const std::string& target, const std::string& offer, CallEvents events);
  // CANCEL before the answer, BYE after; on_ended follows.
  void hang_up();
  bool in_call() const { return call_.valid() && !ended_; }
  std::string call_id() const { return call_.call_id; }

 private:
  explicit Phone(PhoneOptions options)
      : options_(std::move(options)), advertised_host_(options_.bind_host) {}
  class Observer;
  void stop_answer_timer();
  std::string no_answer() const;  // "the SIP server h:p did not answer within 8 s"

  PhoneOptions options_;
  std::string advertised_host_;
  std::unique_ptr<sipua::UserAgent> agent_;
  sipua::CallHandle call_;
  bool ended_ = false;
  unsigned int answer_timer_ = 0;  // GLib source id: no answer at all to the INVITE yet
  LifeGuard life_;
};

}  // namespace callcast::terminal
