#include "sip/sofia_sip_stack.hpp"

#include <sofia-sip/nta_tag.h>
#include <sofia-sip/nua.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/su_tag_io.h>
#include <sofia-sip/url.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <string_view>

#include "auth/authorization_header.hpp"
#include "sip/request_source.hpp"

namespace callcast::sip {
namespace {

std::string sip_url_host(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

void nua_callback(nua_event_t event, int status, char const* phrase, nua_t* /*nua*/,
                  nua_magic_t* magic, nua_handle_t* nh, nua_hmagic_t* hmagic, sip_t const* sip,
                  tagi_t tags[]) {
  auto* stack = reinterpret_cast<SofiaSipStack*>(magic);
  const auto call = static_cast<CallId>(reinterpret_cast<std::uintptr_t>(hmagic));
  stack->on_event(event, status, phrase, nh, call, sip, tags);
}

nua_handle_t* handle_of(StackHandle handle) {
  return reinterpret_cast<nua_handle_t*>(handle);
}

std::optional<std::chrono::seconds> parse_seconds(const char* text) {
  if (text == nullptr) return std::nullopt;
  const std::string_view view(text);
  std::uint32_t value = 0;
  const auto* end = view.data() + view.size();
  if (view.empty() || std::from_chars(view.data(), end, value).ptr != end) return std::nullopt;
  return std::chrono::seconds(value);
}

std::optional<std::string> text(const char* value) {
  return value == nullptr ? std::nullopt : std::optional<std::string>(value);
}

bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// What the network side reads of an INVITE or a REGISTER.
SipRequest read_request(const sip_t* sip, const std::vector<std::string>& trusted_proxies) {
  SipRequest request;
  if (sip == nullptr) return request;
  if (sip->sip_request != nullptr) {
    request.has_request_uri = true;
    request.request_user = text(sip->sip_request->rq_url->url_user);
    if (sip->sip_request->rq_url->url_host != nullptr) {
      request.request_host = sip->sip_request->rq_url->url_host;
    }
  }
  if (sip->sip_from != nullptr) {
    request.has_from = true;
    request.from_user = text(sip->sip_from->a_url->url_user);
  }
  if (sip->sip_to != nullptr) {
    request.has_to = true;
    request.to_user = text(sip->sip_to->a_url->url_user);
  }
  if (sip->sip_call_id != nullptr) request.call_id = text(sip->sip_call_id->i_id);
  if (sip->sip_cseq != nullptr) request.cseq = sip->sip_cseq->cs_seq;
  if (sip->sip_expires != nullptr)
    request.expires = std::chrono::seconds(sip->sip_expires->ex_delta);
  for (const auto* contact = sip->sip_contact; contact != nullptr; contact = contact->m_next) {
    if (contact->m_url->url_type == url_any) {
      request.wildcard_contact = true;
      continue;
    }
    char* uri = url_as_string(nullptr, contact->m_url);
    if (uri == nullptr) continue;
    request.contacts.push_back({uri, parse_seconds(contact->m_expires)});
    su_free(nullptr, uri);
  }
  for (const auto* header = sip->sip_authorization; header != nullptr; header = header->au_next) {
    auto credentials = auth::digest_credentials_from_sofia(header->au_scheme, header->au_params);
    if (credentials) request.credentials.push_back(std::move(*credentials));
  }
  if (sip->sip_content_type != nullptr) request.content_type = text(sip->sip_content_type->c_type);
  if (sip->sip_payload != nullptr && sip->sip_payload->pl_data != nullptr) {
    request.body.assign(sip->sip_payload->pl_data, sip->sip_payload->pl_len);
  }
  if (sip->sip_content_length != nullptr) {
    const std::size_t received = sip->sip_payload != nullptr ? sip->sip_payload->pl_len : 0;
    request.body_cut_short = sip->sip_content_length->l_length > received;
  }
  const char* protocol = sip->sip_via != nullptr ? sip->sip_via->v_protocol : nullptr;
  request.over_tcp =
      protocol != nullptr && std::string_view(protocol).find("TCP") != std::string_view::npos;
  // nta adds received= to the top Via when the request came from another address than its host
  // says (RFC 3261 §18.2.1), so this is the packet's source address either way; below a trusted
  // proxy's Via, the proxy's received= says where the terminal's packet came from.
  std::vector<ViaHop> vias;
  for (const sip_via_t* via = sip->sip_via; via != nullptr; via = via->v_next) {
    vias.push_back({via->v_host != nullptr ? via->v_host : "",
                    via->v_received != nullptr ? via->v_received : ""});
  }
  const RequestSource source = request_source(vias, trusted_proxies);
  request.source_address = source.address;
  request.behind_nat = source.behind_nat;
  // Recv-Info is not a header this version of sofia knows by name.
  for (const sip_unknown_t* header = sip->sip_unknown; header != nullptr;
       header = header->un_next) {
    if (header->un_name != nullptr && header->un_value != nullptr &&
        same_name(header->un_name, "Recv-Info")) {
      request.recv_info.emplace_back(header->un_value);
    }
  }
  return request;
}

}  // namespace

SofiaSipStack::~SofiaSipStack() {
  destroy();
}

bool SofiaSipStack::start(su_root_s* root, const core::HostPort& address, SipStackEvents& events,
                          std::string& why, std::vector<std::string> trusted_proxies) {
  events_ = &events;
  trusted_proxies_ = std::move(trusted_proxies);
  const std::string url = "sip:" + sip_url_host(address.host) + ":" + std::to_string(address.port);
  nua_ = nua_create(
      root, nua_callback, reinterpret_cast<nua_magic_t*>(this), NUTAG_URL(url.c_str()),
      // REGISTER reaches the application only when it is named twice (NOTES-deps.md).
      NUTAG_APPL_METHOD("REGISTER"), NUTAG_ALLOW("REGISTER"), NUTAG_ALLOW("PRACK"),
      // The SDP is ours (iptv_rtsp): no offer/answer engine in between.
      NUTAG_MEDIA_ENABLE(0), NUTAG_AUTOANSWER(0), NUTAG_AUTOALERT(0), NUTAG_ENABLEINVITE(1),
      // A 183 carrying the publish URI goes reliably (RFC 3262) when the caller supports it.
      NUTAG_EARLY_MEDIA(1), NUTAG_ONLY183_100REL(1), NUTAG_SUPPORTED("100rel"),
      // Terminals behind a NAT (RFC 3581): a request whose Via has ";rport" is answered to the
      // address and port it came from, and the Via gets received/rport, from which the terminal
      // learns its public address and registers it as its Contact; in-dialog requests (the BYE
      // ending a viewer's call) then go to that public Contact.
      NTATAG_SERVER_RPORT(1), SIPTAG_SERVER_STR("callcast/0.1"),
      SIPTAG_USER_AGENT_STR("callcast/0.1"), TAG_END());
  if (nua_ == nullptr) {
    why = "sip: cannot listen on " + core::to_string(address) +
          " (UDP and TCP): in use or not a local address";
    return false;
  }
  return true;
}

void SofiaSipStack::shutdown(std::function<void()> done) {
  if (nua_ == nullptr) {
    if (done) done();
    return;
  }
  shutdown_done_ = std::move(done);
  nua_shutdown(nua_);
}

void SofiaSipStack::destroy() {
  if (nua_ != nullptr) nua_destroy(nua_);
  nua_ = nullptr;
}

void SofiaSipStack::respond(StackHandle handle, const SipAnswer& answer) {
  nua_handle_t* nh = handle_of(handle);
  const std::string retry = std::to_string(answer.retry_after_s);
  const auto& www = answer.www_authenticate;
  const char* first = www.empty() ? nullptr : www[0].c_str();
  const char* second = www.size() > 1 ? www[1].c_str() : nullptr;
  const bool with_body = !answer.content_type.empty();
  nua_respond(
      nh, answer.status, answer.phrase, TAG_IF(nh == dispatching_, NUTAG_WITH_THIS(nua_)),
      TAG_IF(!answer.warning.empty(), SIPTAG_WARNING_STR(answer.warning.c_str())),
      TAG_IF(answer.retry_after_s > 0, SIPTAG_RETRY_AFTER_STR(retry.c_str())),
      TAG_IF(first, SIPTAG_WWW_AUTHENTICATE_STR(first)),
      TAG_IF(second, SIPTAG_WWW_AUTHENTICATE_STR(second)),
      TAG_IF(!answer.min_expires.empty(), SIPTAG_MIN_EXPIRES_STR(answer.min_expires.c_str())),
      TAG_IF(!answer.accept.empty(), SIPTAG_ACCEPT_STR(answer.accept.c_str())),
      TAG_IF(with_body, SIPTAG_CONTENT_TYPE_STR(answer.content_type.c_str())),
      TAG_IF(with_body, SIPTAG_PAYLOAD_STR(answer.body.c_str())),
      TAG_IF(!answer.call_info.empty(), SIPTAG_CALL_INFO_STR(answer.call_info.c_str())),
      TAG_IF(!answer.contact.empty(), SIPTAG_CONTACT_STR(answer.contact.c_str())), TAG_END());
}

void SofiaSipStack::bye(StackHandle handle, const std::string& reason) {
  nua_bye(handle_of(handle), SIPTAG_REASON_STR(reason.c_str()), TAG_END());
}

void SofiaSipStack::info(StackHandle handle, const std::string& info_package,
                         const std::string& content_type, const std::string& body) {
  const std::string package = "Info-Package: " + info_package;
  nua_info(handle_of(handle), SIPTAG_HEADER_STR(package.c_str()),
           SIPTAG_CONTENT_TYPE_STR(content_type.c_str()), SIPTAG_PAYLOAD_STR(body.c_str()),
           TAG_END());
}

void SofiaSipStack::bind(StackHandle handle, CallId call) {
  nua_handle_bind(handle_of(handle),
                  reinterpret_cast<nua_hmagic_t*>(static_cast<std::uintptr_t>(call)));
}

void SofiaSipStack::on_event(int event_code, int status, const char* phrase, nua_handle_s* nh,
                             CallId call, const sip_s* sip, const void* tag_list) {
  const auto event = static_cast<nua_event_t>(event_code);
  auto* tags = static_cast<tagi_t*>(const_cast<void*>(tag_list));
  const auto handle = reinterpret_cast<StackHandle>(nh);
  switch (event) {
    case nua_i_invite:
      dispatching_ = nh;
      events_->on_invite(handle, read_request(sip, trusted_proxies_));
      dispatching_ = nullptr;
      return;
    case nua_i_register:
      dispatching_ = nh;
      events_->on_register(handle, read_request(sip, trusted_proxies_));
      dispatching_ = nullptr;
      nua_handle_destroy(nh);
      return;
    case nua_i_cancel:
      events_->on_call_ended(call, "CANCEL");
      return;
    case nua_i_bye:
      events_->on_call_ended(call, "BYE");
      return;
    case nua_i_state: {
      int state = nua_callstate_init;
      tl_gets(tags, NUTAG_CALLSTATE_REF(state), TAG_END());
      if (state == nua_callstate_ready && call != 0) events_->on_call_confirmed(call);
      if (state == nua_callstate_terminated) {
        events_->on_call_ended(call, "terminated");
        nua_handle_destroy(nh);
      }
      return;
    }
    case nua_r_bye:
      spdlog::debug("sip: BYE answered {} {}", status, phrase ? phrase : "");
      return;
    case nua_r_info:
      if (status >= 200) events_->on_info_answered(call, status);
      return;
    case nua_r_shutdown:
      if (status >= 200 && shutdown_done_) {
        auto done = std::move(shutdown_done_);
        shutdown_done_ = nullptr;
        done();
      }
      return;
    case nua_i_error:
      spdlog::warn("sip: stack error {} {}", status, phrase ? phrase : "");
      return;
    case nua_i_refer:
    case nua_i_publish:
    case nua_i_message:
    case nua_i_chat:
    case nua_i_subscribe:
    case nua_i_notify:
    case nua_i_method:
      // Outside a call the stack has answered these itself (405/501); nobody keeps the handle.
      if (nh != nullptr && call == 0) nua_handle_destroy(nh);
      return;
    default:
      return;
  }
}

}  // namespace callcast::sip
