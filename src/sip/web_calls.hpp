#pragma once
// Browsers' calls (issue 14): a WHEP request to watch a number is made into a call of the
// network side, so that it takes exactly the path of a SIP viewer's INVITE (710-714: forwarding,
// admission, the media side's answer, the media start timeout, the broadcast's end). WebCalls
// sits between the call logic and the real SIP stack: requests it opened get handles of their own
// (odd numbers; sofia's handles are pointers, so even), their final answer goes back to the HTTP
// request that waits for it, and a BYE the logic sends them ends the browser's session (its
// media is removed by the logic itself). Everything else passes through to the SIP stack.
//
// SIP thread only, like the call logic it serves.
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "sip/sip_stack.hpp"
#include "sip/sip_stack_events.hpp"

namespace callcast::sip {

// What the HTTP side returns for a browser's call.
struct WebCallAnswer {
  int status = 0;       // the SIP final status (200, 404, 480, 486, 488, 503, ...)
  std::string message;  // the refusal's Warning text: why, for the page
  std::string sdp;      // 200: the SDP answer
  std::string session;  // 200: names the call for its end (the WHEP resource)
  int retry_after_s = 0;
};

class WebCalls final : public SipStack {
 public:
  using Reply = std::function<void(WebCallAnswer)>;

  explicit WebCalls(SipStack& sip) : sip_(sip) {}
  // The logic's events: a web call's end is reported to it as the stack reports a dialog's.
  void set_events(SipStackEvents* events) { events_ = events; }
  // A later report (posted: never from inside the logic's own call into this object).
  void set_post(std::function<void(std::function<void()>)> post) { post_ = std::move(post); }

  // A new browser call: its handle, for SipStackEvents::on_invite. `reply` gets its final answer.
  StackHandle open(std::string caller, Reply reply);
  // The browser ended it (WHEP DELETE): false when `session` is not an answered call of `caller`.
  bool close(const std::string& session, const std::string& caller);
  std::size_t open_calls() const { return calls_.size(); }

  void respond(StackHandle handle, const SipAnswer& answer) override;
  void bye(StackHandle handle, const std::string& reason) override;
  void info(StackHandle handle, const std::string& info_package, const std::string& content_type,
            const std::string& body) override;
  void bind(StackHandle handle, CallId call) override;

 private:
  struct WebCall {
    std::string caller;
    std::string session;  // set at the 200
    CallId call = 0;
    Reply reply;  // until the final answer
  };
  static bool is_web(StackHandle handle) { return (handle & 1U) != 0; }
  // The logic forgets a call when the stack says its dialog ended: after a refusal, a BYE or the
  // browser's end alike.
  void terminate(StackHandle handle, const char* why);

  SipStack& sip_;
  SipStackEvents* events_ = nullptr;
  std::function<void(std::function<void()>)> post_;
  std::map<StackHandle, WebCall> calls_;
  StackHandle next_ = 1;
};

}  // namespace callcast::sip
