// NetworkSide: the SIP stack's set-up, the dispatch of its events, digest authentication and the
// registrar. The calls themselves (701-714) are in network_side_calls.cpp.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sofia-sip/nta_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_tag_io.h>
#include <sofia-sip/url.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <system_error>

#include "auth/authorization_header.hpp"
#include "sip/network_side_impl.hpp"
#include "sip/warning_text.hpp"

namespace callcast::sip {
namespace {

constexpr int kRetryAfterSeconds = 5;
constexpr std::uint32_t kSweepIntervalMs = 30'000;

std::string sip_url_host(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

// A port free for both UDP and TCP on `host`, for "port 0": sofia binds each transport on its
// own, and a terminal must reach both on one port.
std::optional<std::uint16_t> free_port_pair(const std::string& host) {
  sockaddr_storage storage{};
  socklen_t length = 0;
  if (host.find(':') != std::string::npos) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&storage);
    a->sin6_family = AF_INET6;
    if (inet_pton(AF_INET6, host.c_str(), &a->sin6_addr) != 1) return std::nullopt;
    length = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&storage);
    a->sin_family = AF_INET;
    if (inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host.c_str(), &a->sin_addr) != 1)
      return std::nullopt;
    length = sizeof *a;
  }
  auto set_port = [&](std::uint16_t port) {
    if (storage.ss_family == AF_INET6) {
      reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port = htons(port);
    } else {
      reinterpret_cast<sockaddr_in*>(&storage)->sin_port = htons(port);
    }
  };
  for (int attempt = 0; attempt < 50; ++attempt) {
    const int tcp = ::socket(storage.ss_family, SOCK_STREAM, 0);
    set_port(0);
    if (tcp < 0 || ::bind(tcp, reinterpret_cast<sockaddr*>(&storage), length) != 0) {
      if (tcp >= 0) ::close(tcp);
      return std::nullopt;
    }
    sockaddr_storage got{};
    socklen_t got_length = sizeof got;
    ::getsockname(tcp, reinterpret_cast<sockaddr*>(&got), &got_length);
    const std::uint16_t port =
        ntohs(got.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&got)->sin6_port
                                        : reinterpret_cast<sockaddr_in*>(&got)->sin_port);
    const int udp = ::socket(storage.ss_family, SOCK_DGRAM, 0);
    set_port(port);
    const bool ok = udp >= 0 && ::bind(udp, reinterpret_cast<sockaddr*>(&storage), length) == 0;
    if (udp >= 0) ::close(udp);
    ::close(tcp);
    if (ok) return port;
  }
  return std::nullopt;
}

// sofia-sip leaves its UDP socket at the kernel's default receive buffer (about 208 KiB): a
// burst of requests (many terminals calling or re-registering at once) overflows it in the
// kernel, and every datagram lost there costs its sender a 500 ms retransmission. Widen the
// buffer of the UDP socket bound to our SIP port; SO_RCVBUFFORCE passes net.core.rmem_max when
// the process may (CAP_NET_ADMIN), else the kernel caps SO_RCVBUF there.
constexpr int kSipUdpReceiveBuffer = 4 * 1024 * 1024;

int widen_udp_receive_buffer(std::uint16_t port) {
  int widened = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    int fd = -1;
    const std::string name = entry.path().filename().string();
    if (std::from_chars(name.data(), name.data() + name.size(), fd).ec != std::errc()) continue;
    int type = 0;
    socklen_t type_length = sizeof type;
    if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_length) != 0 || type != SOCK_DGRAM) {
      continue;
    }
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) continue;
    const std::uint16_t bound =
        ntohs(address.ss_family == AF_INET6  ? reinterpret_cast<sockaddr_in6*>(&address)->sin6_port
              : address.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&address)->sin_port
                                             : 0);
    if (bound != port) continue;
    const int bytes = kSipUdpReceiveBuffer;
    if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0) {
      ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
    }
    ++widened;
  }
  return widened;
}

void nua_callback(nua_event_t event, int status, char const* phrase, nua_t* /*nua*/,
                  nua_magic_t* magic, nua_handle_t* nh, nua_hmagic_t* hmagic, sip_t const* sip,
                  tagi_t tags[]) {
  auto* impl = reinterpret_cast<NetworkSide::Impl*>(magic);
  const auto call = static_cast<CallId>(reinterpret_cast<std::uintptr_t>(hmagic));
  impl->on_event(event, status, phrase, nh, call, sip, tags);
}

std::optional<std::chrono::seconds> parse_seconds(const char* text) {
  if (text == nullptr) return std::nullopt;
  const std::string_view view(text);
  std::uint32_t value = 0;
  const auto* end = view.data() + view.size();
  if (view.empty() || std::from_chars(view.data(), end, value).ptr != end) return std::nullopt;
  return std::chrono::seconds(value);
}

}  // namespace

bool body_cut_short(const sip_t* sip) {
  if (sip == nullptr || sip->sip_content_length == nullptr) return false;
  const std::size_t received = sip->sip_payload != nullptr ? sip->sip_payload->pl_len : 0;
  return sip->sip_content_length->l_length > received;
}

NetworkSide::NetworkSide(core::SipConfig config, control::MediaControl& media,
                         forwarding::ForwardingStore& forwarding, auth::UserDirectory& users,
                         const auth::DigestAuthenticator& authenticator)
    : impl_(std::make_unique<Impl>(std::move(config), media, forwarding, users, authenticator)) {}

NetworkSide::~NetworkSide() {
  stop();
}

Result<core::HostPort, std::string> NetworkSide::start() {
  Impl& impl = *impl_;
  core::HostPort address = impl.config.listen;
  if (address.port == 0) {
    auto port = free_port_pair(address.host);
    if (!port) return fail("sip: no port free for both UDP and TCP on " + address.host);
    address.port = *port;
  }
  const std::string url = "sip:" + sip_url_host(address.host) + ":" + std::to_string(address.port);
  std::string error;
  const bool started = impl.loop->start(
      [&](su_root_t* root, std::string& why) {
        impl.nua = nua_create(
            root, nua_callback, reinterpret_cast<nua_magic_t*>(&impl), NUTAG_URL(url.c_str()),
            // REGISTER reaches the application only when it is named twice (NOTES-deps.md).
            NUTAG_APPL_METHOD("REGISTER"), NUTAG_ALLOW("REGISTER"), NUTAG_ALLOW("PRACK"),
            // The SDP is ours (iptv_rtsp): no offer/answer engine in between.
            NUTAG_MEDIA_ENABLE(0), NUTAG_AUTOANSWER(0), NUTAG_AUTOALERT(0), NUTAG_ENABLEINVITE(1),
            // A 183 carrying the publish URI goes reliably (RFC 3262) when the caller supports it.
            NUTAG_EARLY_MEDIA(1), NUTAG_ONLY183_100REL(1), NUTAG_SUPPORTED("100rel"),
            // Terminals behind a NAT (RFC 3581): a request whose Via has ";rport" is answered
            // to the address and port it came from, and the Via gets received/rport, from which
            // the terminal learns its public address and registers it as its Contact; in-dialog
            // requests (the BYE ending a viewer's call) then go to that public Contact.
            NTATAG_SERVER_RPORT(1), SIPTAG_SERVER_STR("callcast/0.1"),
            SIPTAG_USER_AGENT_STR("callcast/0.1"), TAG_END());
        if (impl.nua == nullptr) {
          why = "sip: cannot listen on " + core::to_string(address) +
                " (UDP and TCP): in use or not a local address";
          return false;
        }
        if (widen_udp_receive_buffer(address.port) == 0) {
          spdlog::warn("sip: could not find the SIP UDP socket to widen its receive buffer");
        }
        return true;
      },
      error,
      [&impl] {
        if (impl.nua != nullptr) nua_destroy(impl.nua);
        impl.nua = nullptr;
        su_home_deinit(impl.home);  // the block table of the scratch home
      });
  if (!started) return fail(error);
  impl.bound = address;

  auto loop = impl.loop;
  Impl* self = &impl;
  impl.media.subscribe([loop, self](const core::GroupEvent& event) {
    loop->post([self, event] { self->on_media_event(event); });
  });
  loop->post([self] { self->schedule_sweep(); });
  spdlog::info("sip: listening on {} (UDP and TCP), service number {}, realm {}",
               core::to_string(address), impl.config.service_number, impl.config.realm);
  return address;
}

void NetworkSide::stop() {
  if (!impl_) return;
  Impl& impl = *impl_;
  impl.loop->stop([&impl] {
    if (impl.stopping) return;
    impl.stopping = true;
    std::vector<std::string> groups;
    for (const auto& [group, id] : impl.broadcasts)
      groups.push_back(group);
    for (const auto& group : groups)
      impl.end_broadcast(group, "server shutting down", true);
    for (auto& [id, call] : impl.calls) {
      if (call.state != CallState::ending) impl.hang_up(call, "server shutting down");
    }
    if (impl.nua == nullptr) {
      impl.loop->quit();
      return;
    }
    nua_shutdown(impl.nua);
  });
}

void NetworkSide::stats(std::function<void(SignalingStats)> done) {
  Impl* self = impl_.get();
  impl_->loop->post([self, done = std::move(done)] {
    SignalingStats stats = self->counters;
    stats.calls = self->calls.size();
    stats.broadcasts = self->broadcasts.size();
    stats.viewer_calls = 0;
    for (const auto& [id, call] : self->calls) {
      if (call.role == CallRole::viewer) ++stats.viewer_calls;
    }
    for (const auto& [group, id] : self->broadcasts) {
      const Call* master = self->find(id);
      if (master == nullptr) continue;
      if (master->restored) ++stats.restored_broadcasts;
      const auto playing = self->playing.find(group);
      const char* state = master->state == CallState::setting_up ? "setting_up"
                          : master->state == CallState::early    ? "early"
                          : master->state == CallState::answered ? "live"
                                                                 : "ending";
      stats.broadcast_list.push_back({group, state, master->restored,
                                      playing == self->playing.end() ? 0 : playing->second.size()});
    }
    stats.registrations = self->registrar.binding_count();
    stats.registered_users = self->registrar.user_count();
    done(stats);
  });
}

void NetworkSide::resync(control::ResyncCause cause) {
  Impl* self = impl_.get();
  impl_->loop->post([self, cause] {
    self->media.list_groups(
        self->on_loop<std::vector<control::GroupSnapshot>>([self, cause](auto result) {
          if (!result) {
            spdlog::warn("sip: resync with the media side failed: {}", result.error().message);
            return;
          }
          self->on_resync(*result, cause);
        }));
  });
}

void NetworkSide::set_ut_endpoint(std::string public_url, core::HostPort http_listen) {
  impl_->ut_public_url = std::move(public_url);
  impl_->http_listen = std::move(http_listen);
}

void NetworkSide::Impl::schedule_sweep() {
  sweep_timer = loop->schedule(kSweepIntervalMs, [this] {
    const auto dropped = registrar.sweep(Clock::now());
    if (dropped > 0) spdlog::debug("sip: registrar dropped {} expired bindings", dropped);
    schedule_sweep();
  });
}

void NetworkSide::Impl::on_event(nua_event_t event, int status, const char* phrase,
                                 nua_handle_t* nh, CallId call, const sip_t* sip, tagi_t tags[]) {
  switch (event) {
    case nua_i_invite:
      on_invite(nh, sip);
      return;
    case nua_i_register:
      on_register(nh, sip);
      nua_handle_destroy(nh);
      return;
    case nua_i_cancel:
      on_call_ended(call, "CANCEL");
      return;
    case nua_i_bye:
      on_call_ended(call, "BYE");
      return;
    case nua_i_state: {
      int state = nua_callstate_init;
      tl_gets(tags, NUTAG_CALLSTATE_REF(state), TAG_END());
      if (state == nua_callstate_terminated) {
        on_call_ended(call, "terminated");
        nua_handle_destroy(nh);
      }
      return;
    }
    case nua_r_bye:
      spdlog::debug("sip: BYE answered {} {}", status, phrase ? phrase : "");
      return;
    case nua_r_info:
      if (status >= 200) on_info_answered(call, status);
      return;
    case nua_r_shutdown:
      if (status >= 200) loop->quit();
      return;
    case nua_i_error:
      spdlog::warn("sip: stack error {} {}", status, phrase ? phrase : "");
      return;
    case nua_i_options:
    case nua_i_ack:
    case nua_i_prack:
    case nua_i_active:
    case nua_i_terminated:
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

void NetworkSide::Impl::count_answer(const Call& call, int status) {
  const auto kind = call.role == CallRole::master ? SipMetrics::InviteKind::service
                                                  : SipMetrics::InviteKind::viewer;
  counters.metrics.invite_answered(kind, status);
  if (status >= 200 && status < 300) {
    counters.metrics.call_set_up(kind, std::chrono::steady_clock::now() - call.invited_at);
  }
}

void NetworkSide::Impl::respond(nua_handle_t* nh, int status, const char* phrase,
                                const std::string& warning, bool with_this, int retry_after_s) {
  const std::string warning_header = warning.empty() ? std::string() : make_warning_value(warning);
  const std::string retry = std::to_string(retry_after_s);
  if (answering_invite) counters.metrics.invite_answered(*answering_invite, status);
  nua_respond(nh, status, phrase, TAG_IF(with_this, NUTAG_WITH_THIS(nua)),
              TAG_IF(!warning.empty(), SIPTAG_WARNING_STR(warning_header.c_str())),
              TAG_IF(retry_after_s > 0, SIPTAG_RETRY_AFTER_STR(retry.c_str())), TAG_END());
}

std::optional<std::string> NetworkSide::Impl::authenticate(nua_handle_t* nh, const sip_t* sip,
                                                           const char* method, bool with_this) {
  auth::DigestCheck check{auth::DigestVerdict::malformed, {}};
  bool found = false;
  for (const auto* header = sip->sip_authorization; header != nullptr; header = header->au_next) {
    auto credentials = auth::digest_credentials_from_sofia(header->au_scheme, header->au_params);
    if (!credentials || credentials->realm != authenticator.realm()) continue;
    found = true;
    check = authenticator.verify(*credentials, method, users);
    spdlog::debug("sip: terminal={} digest verdict={} algorithm={}", check.user,
                  auth::to_string(check.verdict), credentials->algorithm);
    break;
  }
  if (found && check.verdict == auth::DigestVerdict::ok) return check.user;
  if (found && (check.verdict == auth::DigestVerdict::wrong_password ||
                check.verdict == auth::DigestVerdict::unknown_user)) {
    ++counters.auth_failures;
    spdlog::info("sip: terminal={} event=auth_failed method={} verdict={}", check.user, method,
                 auth::to_string(check.verdict));
    respond(nh, 403, "Forbidden", "wrong user name or password", with_this);
    return std::nullopt;
  }
  ++counters.auth_challenges;
  if (answering_invite) counters.metrics.invite_answered(*answering_invite, 401);
  const auto challenges =
      authenticator.challenges(check.verdict == auth::DigestVerdict::stale_nonce);
  const char* first = challenges.empty() ? nullptr : challenges[0].c_str();
  const char* second = challenges.size() > 1 ? challenges[1].c_str() : nullptr;
  nua_respond(nh, SIP_401_UNAUTHORIZED, TAG_IF(with_this, NUTAG_WITH_THIS(nua)),
              TAG_IF(first, SIPTAG_WWW_AUTHENTICATE_STR(first)),
              TAG_IF(second, SIPTAG_WWW_AUTHENTICATE_STR(second)), TAG_END());
  return std::nullopt;
}

void NetworkSide::Impl::on_register(nua_handle_t* nh, const sip_t* sip) {
  ++counters.registers;
  if (sip == nullptr || sip->sip_to == nullptr || sip->sip_call_id == nullptr ||
      sip->sip_cseq == nullptr) {
    respond(nh, 400, "Bad Request", "REGISTER without To, Call-ID or CSeq", true);
    return;
  }
  if (body_cut_short(sip)) {
    respond(nh, 400, "Bad Request", "the body is shorter than its Content-Length", true);
    return;
  }
  auto user = authenticate(nh, sip, "REGISTER", true);
  if (!user) return;
  const char* to_user = sip->sip_to->a_url->url_user;
  if (to_user == nullptr || *user != to_user) {
    ++counters.auth_failures;
    respond(nh, 403, "Forbidden", "a user may only register its own number", true);
    return;
  }
  RegisterRequest request;
  request.aor = *user;
  request.call_id = sip->sip_call_id->i_id;
  request.cseq = sip->sip_cseq->cs_seq;
  if (sip->sip_expires != nullptr)
    request.expires = std::chrono::seconds(sip->sip_expires->ex_delta);
  for (const auto* contact = sip->sip_contact; contact != nullptr; contact = contact->m_next) {
    if (contact->m_url->url_type == url_any) {
      request.wildcard = true;
      continue;
    }
    char* uri = url_as_string(home, contact->m_url);
    if (uri == nullptr) continue;
    request.contacts.push_back({uri, parse_seconds(contact->m_expires)});
    su_free(home, uri);
  }
  const auto now = Clock::now();
  auto applied = registrar.apply(request, now);
  if (!applied) {
    const auto& error = applied.error();
    switch (error.code) {
      case RegisterErrorCode::bad_request:
        respond(nh, 400, "Bad Request", error.message, true);
        break;
      case RegisterErrorCode::interval_too_brief: {
        const std::string min = std::to_string(registrar.limits().min_expires.count());
        nua_respond(nh, SIP_423_INTERVAL_TOO_BRIEF, NUTAG_WITH_THIS(nua),
                    SIPTAG_MIN_EXPIRES_STR(min.c_str()), TAG_END());
        break;
      }
      case RegisterErrorCode::out_of_order:
        respond(nh, 500, "Server Internal Error", error.message, true);
        break;
      case RegisterErrorCode::too_many:
        ++counters.rejected_over_cap;
        respond(nh, 503, "Service Unavailable", error.message, true, kRetryAfterSeconds);
        break;
    }
    spdlog::info("sip: terminal={} event=register_refused reason=\"{}\"", *user, error.message);
    return;
  }
  std::string contacts;
  for (const auto& binding : *applied) {
    const auto left = std::chrono::duration_cast<std::chrono::seconds>(binding.expires - now);
    if (!contacts.empty()) contacts += ", ";
    contacts += "<" + binding.uri + ">;expires=" + std::to_string(left.count());
  }
  nua_respond(nh, SIP_200_OK, NUTAG_WITH_THIS(nua),
              TAG_IF(!contacts.empty(), SIPTAG_CONTACT_STR(contacts.c_str())), TAG_END());
  spdlog::info("sip: terminal={} event=registered contacts={}", *user, applied->size());
}

}  // namespace callcast::sip
