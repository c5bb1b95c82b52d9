#pragma once
// SipStack on sofia-sip's nua (RFC 3261 over UDP and TCP on one port): turns nua's events into
// SipStackEvents with a SipRequest read out of the parsed message, and SipAnswers into
// nua_respond. Everything of sofia that the network side uses lives here. Loop thread only.
#include <functional>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "sip/sip_stack.hpp"
#include "sip/sip_stack_events.hpp"

struct su_root_s;
struct nua_s;
struct nua_handle_s;
struct sip_s;

namespace callcast::sip {

class SofiaSipStack final : public SipStack {
 public:
  SofiaSipStack() = default;
  ~SofiaSipStack() override;  // destroy()
  SofiaSipStack(const SofiaSipStack&) = delete;
  SofiaSipStack& operator=(const SofiaSipStack&) = delete;

  // Binds UDP and TCP on `address` (a port already chosen); false with the reason in `why`.
  // Requests relayed by `trusted_proxies` (sip.trusted_proxies) are read for their terminal's
  // address below the proxy's Via (request_source.hpp).
  bool start(su_root_s* root, const core::HostPort& address, SipStackEvents& events,
             std::string& why, std::vector<std::string> trusted_proxies = {});
  // Ends the stack's transactions and dialogs; `done` runs once it has finished. Without a
  // started stack, `done` runs at once.
  void shutdown(std::function<void()> done);
  // Frees the stack; after the loop has stopped running it.
  void destroy();

  void respond(StackHandle handle, const SipAnswer& answer) override;
  void bye(StackHandle handle, const std::string& reason) override;
  void info(StackHandle handle, const std::string& info_package, const std::string& content_type,
            const std::string& body) override;
  void bind(StackHandle handle, CallId call) override;

  // The C callback's way in; not for other callers.
  void on_event(int event, int status, const char* phrase, nua_handle_s* nh, CallId call,
                const sip_s* sip, const void* tags);

 private:
  nua_s* nua_ = nullptr;
  SipStackEvents* events_ = nullptr;
  std::vector<std::string> trusted_proxies_;
  std::function<void()> shutdown_done_;
  // The handle whose INVITE or REGISTER is being dispatched: answers to it go "with this"
  // message (NUTAG_WITH_THIS), as nua wants for a request it has not kept.
  nua_handle_s* dispatching_ = nullptr;
};

}  // namespace callcast::sip
