#include "sipua/nua_engine.hpp"

#include <sofia-sip/msg_header.h>
#include <sofia-sip/nta_tag.h>
#include <sofia-sip/nua.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/su_tag.h>
#include <sofia-sip/su_wait.h>
#include <sofia-sip/tport_tag.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <string>
#include <string_view>
#include <utility>

#include "sipua/sofia_response.hpp"
#include "sipua/su_timer_factory.hpp"
#include "sipua/transport_log_tap.hpp"

// LeakSanitizer (asan preset): sofia-sip's client stack leaves a few su_home blocks behind after
// nua_shutdown/nua_destroy, pointing at each other (indirect leaks, a few KiB per agent). Their
// stacks end inside libsofia-sip-ua, which has no frame pointers, so they cannot be told apart by
// caller; this hook suppresses them in the processes that run a user agent's engine (tests,
// callcast-bench, the terminal) only: it lives beside NuaEngine so that every binary taking the
// engine from the static library takes the hook too. callcastd links no user agent, so leaks of its
// own SIP stack are still reported.
extern "C" const char* __lsan_default_suppressions();
extern "C" const char* __lsan_default_suppressions() {
  return "leak:libsofia-sip-ua.so\n";
}

namespace callcast::sipua {

struct NuaEngine::Call {
  CallHandle handle;
  nua_handle_t* nh = nullptr;
  std::shared_ptr<CallObserver> observer;
  bool answered = false;
  bool local_hangup = false;
  bool remote_bye = false;
  std::string bye_reason;  // the text of the Reason of the peer's BYE
  int auth_rounds = 0;
  int final_status = 0;  // the INVITE's final response, when >= 300
  std::string final_phrase;
};

namespace {

// A wrong password gets challenged again; two rounds also cover a stale nonce.
constexpr int kMaxAuthRounds = 2;

const char* transport_name(Transport transport) {
  return transport == Transport::tcp ? "tcp" : "udp";
}

// "a, b" from the packages, for Recv-Info.
std::string package_list(const std::vector<std::string>& packages) {
  std::string list;
  for (const auto& package : packages)
    list += (list.empty() ? "" : ", ") + package;
  return list;
}

}  // namespace

// The C callback of nua, with access to the engine's private handlers.
struct NuaEngineAccess {
  static void nua_event(nua_event_t event, int status, char const* phrase, nua_t* /*nua*/,
                        nua_magic_t* magic, nua_handle_t* nh, nua_hmagic_t* /*hmagic*/,
                        sip_t const* sip, tagi_t tags[]) {
    static_cast<NuaEngine*>(magic)->on_event(event, status, phrase, nh, sip, tags);
  }
};

NuaEngine::NuaEngine(su_root_t* root, UserAgentOptions options, ReadyCallback ready,
                     core::TimerFactory* timers)
    : root_(root),
      options_(std::move(options)),
      ready_(std::move(ready)),
      own_timers_(timers == nullptr ? std::make_unique<SuTimerFactory>(root) : nullptr),
      timers_(timers == nullptr ? *own_timers_ : *timers) {}

Result<std::unique_ptr<NuaEngine>, std::string> NuaEngine::create(su_root_t* root,
                                                                  UserAgentOptions options,
                                                                  ReadyCallback ready,
                                                                  core::TimerFactory* timers) {
  std::unique_ptr<NuaEngine> engine(
      new NuaEngine(root, std::move(options), std::move(ready), timers));
  NuaEngine& self = *engine;
  const UserAgentOptions& o = self.options_;
  if (o.record_messages) {
    self.tap_ = std::make_unique<TransportLogTap>(
        [&self](WireMessage&& message) { self.on_wire_message(std::move(message)); });
  }
  const bool ipv6 = o.bind_host.find(':') != std::string::npos && !o.bind_host.starts_with('[');
  const std::string host = ipv6 ? "[" + o.bind_host + "]" : o.bind_host;
  const std::string bind_url = "sip:" + host + ":" + std::to_string(o.bind_port) +
                               ";transport=" + transport_name(o.transport);
  // NUTAG_MEDIA_ENABLE(0): no offer/answer engine; the SDP passes through untouched both ways.
  // NTATAG_PASS_100(1): let 100 Trying reach nua, so that observers see it as a response.
  // NTATAG_CLIENT_RPORT(1): ";rport" in every Via (RFC 3581), for NATs (UserAgentOptions).
  // INFO (RFC 6086) reaches the application only for agents that take a package; nua would
  // otherwise answer every INFO 200 itself, or 405 since INFO is not in its default Allow.
  const bool takes_info = !o.info_packages.empty();
  self.nua_ = nua_create(
      root, &NuaEngineAccess::nua_event, &self, NUTAG_URL(bind_url.c_str()), NUTAG_MEDIA_ENABLE(0),
      NTATAG_PASS_100(1), NTATAG_CLIENT_RPORT(1), TAG_IF(takes_info, NUTAG_ALLOW("INFO")),
      TAG_IF(takes_info, NUTAG_APPL_METHOD("INFO")), SIPTAG_USER_AGENT_STR(o.user_agent.c_str()),
      TAG_IF(o.transaction_timeout.count() > 0,
             NTATAG_SIP_T1X64(static_cast<unsigned>(o.transaction_timeout.count()))),
      TAG_IF(o.record_messages, TPTAG_LOG(1)), TAG_END());
  if (self.nua_ == nullptr) return fail("cannot start a SIP stack on " + bind_url);
  // The answer (nua_r_get_params) carries the contact, hence the port the OS chose.
  nua_get_params(self.nua_, TAG_ANY(), TAG_END());
  spdlog::debug("sipua: stack created bind={} account={}", bind_url, o.account.number);
  return engine;
}

NuaEngine::~NuaEngine() {
  shutdown_timer_.reset();
  if (nua_ == nullptr) return;
  if (shutdown_final_) {
    nua_destroy(nua_);
  } else {
    spdlog::error("sipua: nua did not shut down; leaving its stack behind account={}",
                  options_.account.number);
  }
}

std::string NuaEngine::aor() const {
  return "sip:" + options_.account.number + "@" + options_.account.domain;
}

std::string NuaEngine::request_uri(const std::string& target) const {
  std::string uri =
      target.starts_with("sip:") ? target : "sip:" + target + "@" + options_.account.domain;
  // NUTAG_URL is what picks the transport: a ";transport=tcp" in To alone is ignored.
  if (options_.transport == Transport::tcp && uri.find(";transport=") == std::string::npos) {
    uri += ";transport=tcp";
  }
  return uri;
}

void NuaEngine::register_account(std::uint32_t expires, ResponseCallback done) {
  if (register_handle_ == nullptr) {
    register_handle_ = nua_handle(nua_, nullptr, SIPTAG_TO_STR(aor().c_str()),
                                  SIPTAG_FROM_STR(aor().c_str()), TAG_END());
  }
  registration_ = Pending{std::move(done), 0};
  const std::string registrar = request_uri("sip:" + options_.account.domain);
  const std::string expires_text = std::to_string(expires);
  // nua's "outbound" engine (sofia 1.12.11, nua/outbound.c): "natify" + "use-rport" learn the
  // public address from the answer's Via received/rport and register it (UserAgentOptions).
  // No "validate": sofia would route an OPTIONS to its own Contact through the registrar, which
  // the network side (no proxy) answers 481 ("FAILED to validate"). No "outbound" (RFC 5626):
  // the registrar does not do flows. "options-keepalive": an OPTIONS with Max-Forwards: 0 to
  // our own AOR every NUTAG_KEEPALIVE ms; any answer keeps the NAT binding, and a changed
  // received/rport in it registers the new binding.
  const bool keepalive = options_.keepalive.count() > 0;
  nua_register(
      register_handle_, NUTAG_REGISTRAR(registrar.c_str()),
      NUTAG_OUTBOUND(keepalive ? "natify use-rport no-validate options-keepalive"
                               : "natify use-rport no-validate no-options-keepalive"),
      TAG_IF(keepalive, NUTAG_KEEPALIVE(static_cast<unsigned>(options_.keepalive.count()))),
      SIPTAG_EXPIRES_STR(expires_text.c_str()), TAG_END());
  spdlog::debug("sipua: REGISTER terminal={} registrar={} expires={}", options_.account.number,
                registrar, expires);
}

void NuaEngine::unregister_account(ResponseCallback done) {
  if (register_handle_ == nullptr) {
    Response never;
    never.method = "REGISTER";
    never.status = 481;
    never.phrase = "Not registered";
    if (done) done(never);
    return;
  }
  registration_ = Pending{std::move(done), 0};
  nua_unregister(register_handle_, TAG_END());
}

void NuaEngine::start_call(const CallHandle& handle, const std::string& target,
                           const std::string& sdp_offer, std::shared_ptr<CallObserver> observer) {
  auto call = std::make_unique<Call>();
  call->handle = handle;
  call->observer = observer ? std::move(observer) : std::make_shared<CallObserver>();
  const std::string to =
      target.starts_with("sip:") ? target : "sip:" + target + "@" + options_.account.domain;
  const std::string uri = request_uri(target);
  // Our own Call-ID, so that wire messages can be matched to the call before nua reports it.
  call->nh = nua_handle(nua_, nullptr, SIPTAG_TO_STR(to.c_str()), SIPTAG_FROM_STR(aor().c_str()),
                        SIPTAG_CALL_ID_STR(handle.call_id.c_str()), TAG_END());
  if (call->nh == nullptr) {
    call->observer->on_terminated(CallEnd{EndCause::error, 500, "cannot create a nua handle"});
    return;
  }
  const std::string recv_info = "Recv-Info: " + package_list(options_.info_packages);
  // Per request: nua's own default ("timer, 100rel") wins over NUTAG_SUPPORTED.
  nua_invite(call->nh, NUTAG_URL(uri.c_str()),
             TAG_IF(!options_.info_packages.empty(), SIPTAG_HEADER_STR(recv_info.c_str())),
             SIPTAG_SUPPORTED_STR(options_.support_100rel ? "timer, 100rel" : "timer"),
             TAG_IF(!sdp_offer.empty(), SIPTAG_CONTENT_TYPE_STR("application/sdp")),
             TAG_IF(!sdp_offer.empty(), SIPTAG_PAYLOAD_STR(sdp_offer.c_str())), TAG_END());
  spdlog::debug("sipua: INVITE terminal={} target={} call_id={}", options_.account.number, uri,
                handle.call_id);
  calls_by_handle_[call->nh] = call.get();
  calls_by_call_id_[handle.call_id] = call.get();
  calls_[handle.id] = std::move(call);
}

void NuaEngine::hang_up(std::uint64_t id) {
  auto it = calls_.find(id);
  if (it == calls_.end()) return;
  Call& call = *it->second;
  if (call.local_hangup) return;
  call.local_hangup = true;
  if (call.answered) {
    nua_bye(call.nh, TAG_END());
  } else {
    // Before any provisional response nta holds the CANCEL back until one arrives (RFC 3261
    // §9.1), so this is safe at any time before the answer.
    nua_cancel(call.nh, TAG_END());
  }
}

void NuaEngine::options(const std::string& target, ResponseCallback done) {
  const std::string uri = request_uri(target);
  nua_handle_t* nh = nua_handle(nua_, nullptr, SIPTAG_TO_STR(uri.c_str()),
                                SIPTAG_FROM_STR(aor().c_str()), TAG_END());
  if (nh == nullptr) return;
  options_requests_[nh] = Pending{std::move(done), 0};
  nua_options(nh, NUTAG_URL(uri.c_str()), TAG_END());
}

std::vector<std::string> NuaEngine::sequence(const std::string& call_id) const {
  return recorder_.sequence(call_id);
}

std::uint64_t NuaEngine::retransmissions(const std::string& call_id) const {
  return recorder_.retransmissions(call_id);
}

void NuaEngine::on_event(int event_number, int status, char const* phrase, nua_handle_t* nh,
                         sip_t const* sip, const void* tag_list) {
  const auto event = static_cast<nua_event_t>(event_number);
  const auto* tags = static_cast<const tagi_t*>(tag_list);
  switch (event) {
    case nua_r_get_params: {
      if (!ready_) return;
      const tagi_t* contact = tl_find(tags, ntatag_contact);
      std::uint16_t port = 0;
      if (contact != nullptr && contact->t_value != 0) {
        const auto* m = reinterpret_cast<const sip_contact_t*>(contact->t_value);
        const std::string_view text = m->m_url->url_port != nullptr ? m->m_url->url_port : "5060";
        std::from_chars(text.data(), text.data() + text.size(), port);
      }
      auto ready = std::move(ready_);
      ready_ = nullptr;
      ready(port);
      return;
    }
    case nua_r_shutdown:
      if (status < 200 || shutdown_final_) return;
      shutdown_final_ = true;
      spdlog::debug("sipua: nua shut down status={} terminal={}", status, options_.account.number);
      if (shutdown_done_) {
        auto done = std::move(shutdown_done_);
        shutdown_done_ = nullptr;
        done(true);
      }
      return;
    case nua_i_invite:
      // A client only: incoming calls are refused and forgotten.
      nua_respond(nh, SIP_480_TEMPORARILY_UNAVAILABLE, NUTAG_WITH_THIS(nua_), TAG_END());
      nua_handle_destroy(nh);
      return;
    default:
      break;
  }
  if (nh == nullptr) return;
  if (auto it = calls_by_handle_.find(nh); it != calls_by_handle_.end()) {
    on_call_event(*it->second, event, status, phrase, sip, tags);
    return;
  }
  if (nh == register_handle_ && (event == nua_r_register || event == nua_r_unregister)) {
    bool finished = false;
    on_request_response(registration_, nh, status, phrase, sip, finished);
    return;
  }
  if (auto it = options_requests_.find(nh);
      it != options_requests_.end() && event == nua_r_options) {
    bool finished = false;
    on_request_response(it->second, nh, status, phrase, sip, finished);
    if (finished) {
      options_requests_.erase(it);
      nua_handle_destroy(nh);
    }
  }
}

void NuaEngine::on_request_response(Pending& pending, nua_handle_t* nh, int status,
                                    char const* phrase, sip_t const* sip, bool& finished) {
  if (status < 200) return;
  if ((status == 401 || status == 407) && authenticate(nh, pending.auth_rounds, sip)) return;
  finished = true;
  const Response response =
      make_response(sip != nullptr && sip->sip_cseq != nullptr ? sip->sip_cseq->cs_method_name : "",
                    status, phrase, sip);
  spdlog::debug("sipua: {} answered status={} terminal={}", response.method, status,
                options_.account.number);
  if (pending.done) {
    auto done = std::move(pending.done);
    pending.done = nullptr;
    done(response);
  }
}

bool NuaEngine::authenticate(nua_handle_t* nh, int& rounds, sip_t const* sip) {
  if (sip == nullptr || rounds >= kMaxAuthRounds) return false;
  const msg_auth_t* challenge = sip->sip_www_authenticate != nullptr ? sip->sip_www_authenticate
                                                                     : sip->sip_proxy_authenticate;
  if (challenge == nullptr || challenge->au_scheme == nullptr) return false;
  const char* realm = msg_params_find(challenge->au_params, "realm=");
  if (realm == nullptr) return false;
  // "Digest:\"realm\":user:password"; the realm keeps the quotes it had in the challenge.
  std::string quoted = realm;
  if (!quoted.starts_with('"')) quoted = '"' + quoted + '"';
  const std::string credentials = std::string(challenge->au_scheme) + ":" + quoted + ":" +
                                  options_.account.number + ":" + options_.account.password;
  ++rounds;
  nua_authenticate(nh, NUTAG_AUTH(credentials.c_str()), TAG_END());
  return true;
}

void NuaEngine::on_call_event(Call& call, int event_number, int status, char const* phrase,
                              sip_t const* sip, const void* tag_list) {
  const auto event = static_cast<nua_event_t>(event_number);
  const auto* tags = static_cast<const tagi_t*>(tag_list);
  switch (event) {
    case nua_r_invite: {
      const Response response = make_response("INVITE", status, phrase, sip);
      call.observer->on_response(response);
      if ((status == 401 || status == 407) && authenticate(call.nh, call.auth_rounds, sip)) {
        return;
      }
      if (status >= 200 && status < 300) {
        call.answered = true;
        spdlog::debug("sipua: call answered call_id={} terminal={}", call.handle.call_id,
                      options_.account.number);
        call.observer->on_answered(response);
        // The 200 crossed our CANCEL: the call is up after all and must be ended with a BYE
        // (RFC 3261 §9.1).
        if (call.local_hangup) nua_bye(call.nh, TAG_END());
      } else if (status >= 300) {
        call.final_status = status;
        call.final_phrase = response.phrase;
      }
      return;
    }
    case nua_r_prack:
    case nua_r_cancel:
    case nua_r_bye:
      call.observer->on_response(make_response(request_method(event), status, phrase, sip));
      return;
    case nua_i_bye:
      call.remote_bye = true;
      if (sip != nullptr && sip->sip_reason != nullptr) {
        const char* text = msg_params_find(sip->sip_reason->re_params, "text=");
        if (text != nullptr) {
          su_home_t home[1] = {SU_HOME_INIT(home)};
          const char* unquoted = text[0] == '"' ? msg_unquote_dup(home, text) : text;
          if (unquoted != nullptr) call.bye_reason = unquoted;
          su_home_deinit(home);
        }
      }
      return;
    case nua_i_info: {
      if (sip == nullptr) return;
      // Only with info_packages (NUTAG_APPL_METHOD("INFO")): the answer is ours to send.
      const std::string package = unknown_header(sip, "Info-Package").value_or("");
      const auto& taken = options_.info_packages;
      if (package.empty() || std::find(taken.begin(), taken.end(), package) == taken.end()) {
        const std::string recv_info = "Recv-Info: " + package_list(taken);
        nua_respond(call.nh, 469, "Bad Info Package", NUTAG_WITH_THIS(nua_),
                    SIPTAG_HEADER_STR(recv_info.c_str()), TAG_END());
        return;
      }
      nua_respond(call.nh, SIP_200_OK, NUTAG_WITH_THIS(nua_), TAG_END());
      InfoRequest info;
      info.package = package;
      if (sip->sip_content_type != nullptr && sip->sip_content_type->c_type != nullptr) {
        info.content_type = sip->sip_content_type->c_type;
      }
      if (sip->sip_payload != nullptr && sip->sip_payload->pl_data != nullptr) {
        info.body.assign(sip->sip_payload->pl_data, sip->sip_payload->pl_len);
      }
      call.observer->on_info(info);
      return;
    }
    case nua_i_state: {
      int state = nua_callstate_init;
      tl_gets(tags, NUTAG_CALLSTATE_REF(state), TAG_END());
      if (state == nua_callstate_terminated) finish_call(call, status, phrase);
      return;
    }
    case nua_i_terminated:
      finish_call(call, status, phrase);
      return;
    default:
      return;
  }
}

void NuaEngine::finish_call(Call& call, int status, char const* phrase) {
  CallEnd end;
  end.status = status;
  end.phrase = phrase != nullptr ? phrase : "";
  if (call.remote_bye) {
    end.cause = EndCause::remote_bye;
    end.reason_text = call.bye_reason;
  } else if (call.local_hangup) {
    end.cause = call.answered ? EndCause::local_bye : EndCause::local_cancel;
  } else if (call.final_status >= 300) {
    end.cause = EndCause::rejected;
    end.status = call.final_status;
    end.phrase = call.final_phrase;
  } else {
    end.cause = EndCause::error;
  }
  spdlog::debug("sipua: call ended call_id={} terminal={} reason=\"{}\"", call.handle.call_id,
                options_.account.number, end.describe());
  // Keep the call alive through the observer's callback, then drop every trace of the handle:
  // nua sends no more events for a destroyed handle.
  auto owned = std::move(calls_[call.handle.id]);
  calls_.erase(call.handle.id);
  calls_by_handle_.erase(owned->nh);
  calls_by_call_id_.erase(owned->handle.call_id);
  nua_handle_destroy(owned->nh);
  owned->observer->on_terminated(end);
}

void NuaEngine::on_wire_message(WireMessage&& message) {
  recorder_.record(message);
  if (auto it = calls_by_call_id_.find(message.call_id()); it != calls_by_call_id_.end()) {
    it->second->observer->on_message(message);
  }
}

void NuaEngine::shutdown(std::function<void(bool)> done) {
  if (shutdown_final_) {
    if (done) done(true);
    return;
  }
  shutdown_done_ = std::move(done);
  for (auto& [id, call] : calls_)
    call->local_hangup = true;
  shutdown_stage_ = 1;
  shutdown_timer_ = timers_.create_timer([this] { on_shutdown_timer(); });
  shutdown_timer_->enable(options_.shutdown_timeout);
  nua_shutdown(nua_);
}

void NuaEngine::on_shutdown_timer() {
  if (shutdown_final_) return;
  if (shutdown_stage_ == 1) {
    // The peer did not answer our BYE/CANCEL/un-REGISTER in time (or is gone): forget the
    // handles so that nua has nothing left to wait for, and ask again.
    spdlog::warn("sipua: shutdown timed out, dropping {} call(s) terminal={}", calls_.size(),
                 options_.account.number);
    drop_all_handles();
    shutdown_stage_ = 2;
    shutdown_timer_->enable(std::chrono::seconds(1));
    nua_shutdown(nua_);
    return;
  }
  spdlog::error("sipua: nua shutdown did not finish terminal={}", options_.account.number);
  if (shutdown_done_) {
    auto done = std::move(shutdown_done_);
    shutdown_done_ = nullptr;
    done(false);
  }
}

void NuaEngine::drop_all_handles() {
  auto calls = std::move(calls_);
  calls_.clear();
  calls_by_handle_.clear();
  calls_by_call_id_.clear();
  for (auto& [id, call] : calls) {
    nua_handle_destroy(call->nh);
    call->observer->on_terminated(CallEnd{EndCause::shutdown, 0, "user agent shut down"});
  }
  for (auto& [nh, pending] : options_requests_)
    nua_handle_destroy(nh);
  options_requests_.clear();
  if (register_handle_ != nullptr) {
    nua_handle_destroy(register_handle_);
    register_handle_ = nullptr;
  }
}

}  // namespace callcast::sipua
