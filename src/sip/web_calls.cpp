#include "sip/web_calls.hpp"

#include "core/random_id.hpp"
#include "sipwire/warning_text.hpp"

namespace callcast::sip {

StackHandle WebCalls::open(std::string caller, Reply reply) {
  const StackHandle handle = next_;
  next_ += 2;
  calls_.emplace(handle, WebCall{std::move(caller), {}, 0, std::move(reply)});
  return handle;
}

bool WebCalls::close(const std::string& session, const std::string& caller) {
  for (auto& [handle, call] : calls_) {
    if (call.session.empty() || call.session != session || call.caller != caller) continue;
    const CallId id = call.call;
    calls_.erase(handle);
    // As a BYE from a phone: the logic releases its media and forgets the call.
    if (events_ != nullptr && id != 0) events_->on_call_ended(id, "DELETE");
    return true;
  }
  return false;
}

void WebCalls::respond(StackHandle handle, const SipAnswer& answer) {
  if (!is_web(handle)) return sip_.respond(handle, answer);
  auto it = calls_.find(handle);
  if (it == calls_.end() || answer.status < 200 || !it->second.reply) return;
  WebCallAnswer reply;
  reply.status = answer.status;
  reply.retry_after_s = answer.retry_after_s;
  if (!answer.warning.empty()) reply.message = warning_text(answer.warning);
  if (answer.status < 300) {
    // The session's name is the browser's capability to end it: not guessable.
    it->second.session = core::random_hex_id() + core::random_hex_id();
    reply.session = it->second.session;
    reply.sdp = answer.body;
  }
  Reply done = std::move(it->second.reply);
  it->second.reply = nullptr;
  done(std::move(reply));
  if (answer.status >= 300) terminate(handle, "terminated");
}

void WebCalls::bye(StackHandle handle, const std::string& reason) {
  if (!is_web(handle)) return sip_.bye(handle, reason);
  // Its media is gone (the logic removed it); the browser sees its DTLS closed and its consent
  // checks unanswered.
  terminate(handle, "terminated");
}

void WebCalls::info(StackHandle handle, const std::string& info_package,
                    const std::string& content_type, const std::string& body) {
  if (!is_web(handle)) sip_.info(handle, info_package, content_type, body);
}

void WebCalls::bind(StackHandle handle, CallId call) {
  if (!is_web(handle)) return sip_.bind(handle, call);
  if (auto it = calls_.find(handle); it != calls_.end()) it->second.call = call;
}

void WebCalls::terminate(StackHandle handle, const char* why) {
  auto it = calls_.find(handle);
  if (it == calls_.end()) return;
  const CallId call = it->second.call;
  calls_.erase(it);
  if (call == 0 || events_ == nullptr) return;
  auto report = [events = events_, call, why] { events->on_call_ended(call, why); };
  if (post_) {
    post_(report);
  } else {
    report();
  }
}

}  // namespace callcast::sip
