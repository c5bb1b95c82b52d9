// NetworkSide: the SIP thread (SipLoop), sofia-sip behind SofiaSipStack, and the logic
// (SignalingCore) wired together. The logic itself is tested without them (tests/unit/sip).
#include "sip/network_side.hpp"

#include <spdlog/spdlog.h>

#include "sip/signaling_core.hpp"
#include "sip/sip_loop.hpp"
#include "sip/sip_ports.hpp"
#include "sip/sofia_sip_stack.hpp"
#include "sipua/su_timer_factory.hpp"

namespace callcast::sip {

struct NetworkSide::Impl {
  Impl(core::SipConfig c, control::MediaControl& m, forwarding::ForwardingRules& f,
       auth::UserDirectory& u, const auth::DigestAuthenticator& a)
      : config(std::move(c)), media(m), forwarding(f), users(u), authenticator(a) {}

  core::SipConfig config;
  control::MediaControl& media;
  forwarding::ForwardingRules& forwarding;
  auth::UserDirectory& users;
  const auth::DigestAuthenticator& authenticator;
  // Shared with the callbacks handed to the media side, which may run after this is gone: a
  // stopped loop drops what is posted to it.
  std::shared_ptr<SipLoop> loop = std::make_shared<SipLoop>();
  std::unique_ptr<sipua::SuTimerFactory> timers;  // over the loop's root, once it exists
  SofiaSipStack stack;
  // Browsers' calls beside the SIP dialogs: what the logic talks to as its stack.
  WebCalls web{stack};
  // Made and destroyed on the loop thread: its timers belong to the loop's root.
  std::unique_ptr<SignalingCore> core;
  std::string ut_public_url;
  core::HostPort http_listen{"", 0};
  RegistrationStore* registrations = nullptr;
  bool stopping = false;
};

NetworkSide::NetworkSide(core::SipConfig config, control::MediaControl& media,
                         forwarding::ForwardingRules& forwarding, auth::UserDirectory& users,
                         const auth::DigestAuthenticator& authenticator)
    : impl_(std::make_unique<Impl>(std::move(config), media, forwarding, users, authenticator)) {}

void NetworkSide::join_cluster(RegistrationStore& store) {
  impl_->registrations = &store;
}

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
  std::string error;
  const bool started = impl.loop->start(
      [&](su_root_s* root, std::string& why) {
        auto loop = impl.loop;
        impl.timers = std::make_unique<sipua::SuTimerFactory>(root);
        impl.core = std::make_unique<SignalingCore>(
            impl.config, SignalingCore::Dependencies{
                             impl.media, impl.forwarding, impl.users, impl.authenticator, impl.web,
                             core::RealTimeSource::instance(), *impl.timers,
                             [loop](std::function<void()> task) { loop->post(std::move(task)); },
                             impl.registrations, impl.registrations != nullptr});
        impl.core->set_ut_endpoint(impl.ut_public_url, impl.http_listen);
        impl.web.set_events(impl.core.get());
        impl.web.set_post([loop](std::function<void()> task) { loop->post(std::move(task)); });
        if (!impl.stack.start(root, address, *impl.core, why, impl.config.trusted_proxies)) {
          impl.core.reset();
          return false;
        }
        if (widen_udp_receive_buffer(address.port) == 0) {
          spdlog::warn("sip: could not find the SIP UDP socket to widen its receive buffer");
        }
        impl.core->start(address);
        return true;
      },
      error,
      [&impl] {
        impl.stack.destroy();
        impl.web.set_events(nullptr);
        impl.core.reset();
      });
  if (!started) return fail(error);

  auto loop = impl.loop;
  Impl* self = &impl;
  impl.media.subscribe([loop, self](const core::GroupEvent& event) {
    loop->post([self, event] {
      if (self->core) self->core->on_media_event(event);
    });
  });
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
    if (impl.core) impl.core->stop("server shutting down");
    impl.stack.shutdown([&impl] { impl.loop->quit(); });
  });
}

void NetworkSide::stats(std::function<void(SignalingStats)> done) {
  Impl* self = impl_.get();
  impl_->loop->post([self, done = std::move(done)] {
    if (self->core) done(self->core->stats());
  });
}

void NetworkSide::resync(control::ResyncCause cause) {
  Impl* self = impl_.get();
  impl_->loop->post([self, cause] {
    auto loop = self->loop;
    self->media.list_groups([loop, self, cause](auto result) {
      loop->post([self, cause, result = std::move(result)] {
        if (!result) {
          spdlog::warn("sip: resync with the media side failed: {}", result.error().message);
          return;
        }
        if (self->core) self->core->on_resync(*result, cause);
      });
    });
  });
}

void NetworkSide::web_call(WebCallRequest request, std::function<void(WebCallAnswer)> done) {
  Impl* self = impl_.get();
  auto refuse_unavailable = [](const std::function<void(WebCallAnswer)>& reply) {
    WebCallAnswer answer;
    answer.status = 503;
    answer.message = "the network side is not running";
    reply(std::move(answer));
  };
  // A task the stopped loop drops takes `done` along: the HTTP side answers a dropped reply.
  impl_->loop->post(
      [self, request = std::move(request), done = std::move(done), refuse_unavailable]() mutable {
        if (!self->core || self->stopping) return refuse_unavailable(done);
        SipRequest invite;
        invite.has_request_uri = true;
        const std::string dialled = request.publish ? self->config.service_number : request.dialled;
        invite.request_user = dialled;
        invite.has_from = true;
        invite.from_user = request.caller;
        invite.has_to = true;
        invite.to_user = dialled;
        invite.web_caller = request.caller;
        invite.content_type = "application/sdp";
        invite.body = std::move(request.offer);
        invite.source_address = std::move(request.source_address);
        const StackHandle handle = self->web.open(request.caller, std::move(done));
        self->core->on_invite(handle, invite);
      });
}

void NetworkSide::end_web_call(std::string session, std::string caller,
                               std::function<void(bool)> done) {
  Impl* self = impl_.get();
  impl_->loop->post(
      [self, session = std::move(session), caller = std::move(caller), done = std::move(done)]() {
        done(self->core && self->web.close(session, caller));
      });
}

void NetworkSide::set_ut_endpoint(std::string public_url, core::HostPort http_listen) {
  impl_->ut_public_url = std::move(public_url);
  impl_->http_listen = std::move(http_listen);
}

}  // namespace callcast::sip
