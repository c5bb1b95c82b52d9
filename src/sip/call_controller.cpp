#include "sip/call_controller.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/group_registry.hpp"
#include "sip/forwarding_route.hpp"
#include "sip/phone_broadcast_answer.hpp"
#include "sip/phone_viewer_answer.hpp"
#include "sip/viewer_media_end.hpp"
#include "sipwire/audience_info.hpp"
#include "sipwire/broadcaster_answer.hpp"
#include "sipwire/iptv_sdp.hpp"
#include "sipwire/phone_offer.hpp"
#include "sipwire/viewer_answer.hpp"
#include "sipwire/warning_text.hpp"

namespace callcast::sip {
namespace {

constexpr int kRetryAfterSeconds = 5;

std::string_view role_name(CallRole role) {
  return role == CallRole::master ? "master" : "viewer";
}

bool takes_audience_info(const SipRequest& request) {
  return std::any_of(
      request.recv_info.begin(), request.recv_info.end(),
      [](const std::string& value) { return recv_info_lists(value, kAudiencePackage); });
}

// A SIP phone's offer: SDP without an iptv_rtsp line (callcast's terminal always has one; no
// offer at all is answered with our own iptv_rtsp offer, as today).
bool is_phone_offer(std::string_view offer) {
  auto summary = summarize_iptv_offer(offer);
  return summary && summary->has_offer && !summary->has_iptv;
}

bool is_wildcard_host(std::string_view host) {
  return host.empty() || host == "0.0.0.0" || host == "::" || host == "[::]";
}

}  // namespace

CallController::CallController(const core::SipConfig& config, CallTable& table,
                               SignalingStats& counters, Services services)
    : config_(config), table_(table), counters_(counters), services_(std::move(services)) {}

void CallController::set_ut_endpoint(std::string public_url, core::HostPort http_listen) {
  ut_public_url_ = std::move(public_url);
  http_listen_ = std::move(http_listen);
}

long long CallController::elapsed_ms(core::SteadyClock::time_point since) const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(services_.time.now() - since)
      .count();
}

std::string CallController::refuse_at_service_number(std::string_view offer) const {
  auto summary = summarize_iptv_offer(offer);
  // No offer: the 183 carries ours (a terminal that sends none still publishes).
  if (!summary || !summary->has_offer) return {};
  if (!summary->has_iptv) {
    // A SIP phone's audio/video offer (issue 13): what it would send must be something the
    // relay takes, checked before a group is made (the real answer needs the group's address).
    auto phone = parse_phone_offer(offer);
    if (!phone) return "the SDP offer: " + phone.error();
    auto plan = plan_broadcaster_answer(*phone, server_media_at("127.0.0.1", 9));
    if (!plan) return plan.error().warning;
    return {};
  }
  if (summary->direction == IptvDirection::recvonly) {
    return config_.service_number +
           " is the broadcast service number: to watch, call the broadcaster's number";
  }
  return {};
}

Call& CallController::add_call(StackHandle handle, CallRole role, const std::string& caller,
                               const std::string& group, const SipRequest& request) {
  const CallId id = table_.next_call++;
  Call call;
  call.id = id;
  call.role = role;
  call.handle = handle;
  call.caller = caller;
  call.group = group;
  call.tcp = request.over_tcp;
  call.offer = request.body;
  call.webrtc = request.web_caller.has_value();
  call.phone = !call.webrtc && is_phone_offer(request.body);
  call.source_address = request.source_address;
  call.behind_nat = request.behind_nat;
  call.invited_at = services_.time.now();
  call.reached_host = request.request_host;
  call.takes_audience = role == CallRole::master && takes_audience_info(request);
  Call& added = table_.calls.emplace(id, std::move(call)).first->second;
  services_.stack.bind(handle, id);
  return added;
}

void CallController::on_invite(StackHandle handle, const SipRequest& request) {
  ++counters_.invites;
  // Refused before the dialled number says which kind of call it is.
  auto refuse = [&](const SipAnswer& answer) {
    respond_invite(handle, answer, SipMetrics::InviteKind::unclassified);
  };
  if (!request.has_request_uri || !request.has_from) {
    return refuse(refusal(400, "Bad Request", "INVITE without Request-URI or From"));
  }
  if (request.body_cut_short) {
    return refuse(refusal(400, "Bad Request", "the body is shorter than its Content-Length"));
  }
  if (stopping_) {
    return refuse(refusal(503, "Service Unavailable", "shutting down", kRetryAfterSeconds));
  }
  // The cap comes before authentication: a flood costs no digest work and no state.
  if (table_.calls.size() >= config_.max_calls) {
    ++counters_.rejected_over_cap;
    return refuse(refusal(503, "Service Unavailable",
                          "too many calls (" + std::to_string(config_.max_calls) + ")",
                          kRetryAfterSeconds));
  }
  // A browser's request comes authenticated by the HTTP side (issue 14).
  auto user = request.web_caller ? request.web_caller
                                 : services_.authenticator.authenticate(handle, request, "INVITE");
  if (!user) return;
  if (!request.from_user || *user != *request.from_user) {
    ++counters_.auth_failures;
    return refuse(refusal(403, "Forbidden", "From does not match the authenticated user"));
  }
  if (!request.body.empty() && request.content_type != kSdpContentType) {
    SipAnswer unsupported = refusal(415, "Unsupported Media Type", {});
    unsupported.accept = "application/sdp";
    return refuse(unsupported);
  }
  if (!request.request_user || !core::is_valid_number(*request.request_user)) {
    return refuse(refusal(404, "Not Found", "the Request-URI holds no number"));
  }
  const std::string& dialled = *request.request_user;
  if (request.web_caller) {
    // Its WebRTC offer is read by the media side, which answers it: WHEP to watch a number, WHIP
    // to broadcast (its call to the service number).
    if (dialled == config_.service_number) return start_broadcast(handle, request, *user);
    return start_viewer_call(handle, request, *user, dialled);
  }
  // Check the offer before anything is created: what we cannot use gets 488 and changes nothing.
  auto usable = make_iptv_sdp(request.body, IptvSdpParams{"rtsp://127.0.0.1/check", 0});
  if (!usable) {
    spdlog::info("sip: terminal={} event=invite_refused status=488 reason=\"{}\"", *user,
                 usable.error().reason);
    return refuse(refusal(488, "Not Acceptable Here", usable.error().reason));
  }
  if (dialled == config_.service_number) {
    if (auto why = refuse_at_service_number(request.body); !why.empty()) {
      spdlog::info("sip: terminal={} step=701 event=invite_refused status=488 reason=\"{}\"", *user,
                   why);
      return refuse(refusal(488, "Not Acceptable Here", why));
    }
    start_broadcast(handle, request, *user);
  } else {
    start_viewer_call(handle, request, *user, dialled);
  }
}

void CallController::start_broadcast(StackHandle handle, const SipRequest& request,
                                     const std::string& master) {
  if (table_.broadcasts.contains(master)) {
    spdlog::info(
        "sip: group={} terminal={} step=701 event=invite_refused status=486 "
        "reason=already_broadcasting",
        master, master);
    respond_invite(handle, refusal(486, "Busy Here", master + " is already broadcasting"),
                   SipMetrics::InviteKind::service);
    return;
  }
  const Call& call = add_call(handle, CallRole::master, master, master, request);
  const CallId id = call.id;
  table_.broadcasts[master] = id;
  spdlog::info(
      "sip: group={} terminal={} step=701 event=broadcast_invite transport={} audience_info={}",
      master, master, call.tcp ? "tcp" : "udp", call.takes_audience ? 1 : 0);
  services_.media.create_group(master,
                               on_loop<control::GroupCreated>([this, id, master](auto result) {
                                 Call* master_call = table_.find(id);
                                 if (master_call == nullptr) {
                                   // Cancelled while the group was being made.
                                   if (result) services_.media.close_group(master, [](auto) {});
                                   return;
                                 }
                                 on_group_created(*master_call, std::move(result));
                               }));
}

void CallController::on_group_created(Call& call,
                                      Result<control::GroupCreated, control::ControlError> result) {
  const CallId id = call.id;
  if (!result) {
    const auto& error = result.error();
    spdlog::warn(
        "sip: group={} terminal={} step=702 event=create_group_failed error={} "
        "message=\"{}\"",
        call.group, call.caller, control::to_string(error.code), error.message);
    table_.broadcasts.erase(call.group);
    fail_for_media_error(call, error);
    return;
  }
  call.media_done = true;
  if (call.phone) return start_phone_broadcast(call, *result);
  if (call.webrtc) return start_browser_broadcast(call);
  auto sdp = make_iptv_sdp(call.offer, IptvSdpParams{result->publish_url, id});
  call.sdp = sdp ? *sdp : std::string();
  answer(call, 183, "Session Progress");
  call.state = CallState::early;
  spdlog::info(
      "sip: group={} terminal={} step=704 event=session_progress publish_url_sent=1 "
      "after_ms={}",
      call.group, call.caller, elapsed_ms(call.invited_at));
  call.join_timer = services_.timers.create_timer([this, id] { on_join_timeout(id); });
  call.join_timer->enable(config_.master_join_timeout);
}

std::string CallController::media_host_of(const Call& call, const std::string& sdp_host) const {
  // A phone behind a NAT writes its private address into its SDP; its RTP comes from (and must
  // go to) the NAT's public address, where its SIP came from, with the ports a port-preserving
  // NAT keeps (what an SBC's "fix nated SDP" does). Latching then corrects the ports.
  if (!call.behind_nat || call.source_address.empty() || sdp_host == call.source_address) {
    return sdp_host;
  }
  spdlog::info("sip: group={} terminal={} event=phone_behind_nat sdp_address={} media_address={}",
               call.group, call.caller, sdp_host, call.source_address);
  return call.source_address;
}

void CallController::start_phone_broadcast(Call& call, const control::GroupCreated& created) {
  // Read and planned at the INVITE already (refuse_at_service_number): cannot fail here but for
  // a media side that answered no RTP address.
  auto offer = parse_phone_offer(call.offer);
  if (!offer) return fail_phone_broadcast(call, "the SDP offer: " + offer.error());
  if (created.rtp_host.empty() || created.rtp_port == 0) {
    return fail_phone_broadcast(call, "the media side gave no RTP address for a phone");
  }
  auto plan = plan_broadcaster_answer(*offer, server_media_of(created));
  if (!plan) return fail_phone_broadcast(call, plan.error().warning);
  for (const auto& note : plan->answer.notes) {
    spdlog::info("sip: group={} terminal={} step=704 event=phone_answer_note note=\"{}\"",
                 call.group, call.caller, note);
  }
  // 704-707 are one answer for a phone: the 200 goes with this SDP when the media side tells
  // that the group is live (706, master_joined), right after its RTP was set up here.
  call.sdp = phone_broadcast_answer_sdp(*plan, created, call.id);
  call.state = CallState::early;
  call.join_timer = services_.timers.create_timer([this, id = call.id] { on_join_timeout(id); });
  call.join_timer->enable(config_.master_join_timeout);
  control::PhonePublisherRequest request{call.group, call.caller, call.source_address,
                                         phone_publish_tracks(*plan)};
  for (auto& track : request.tracks)
    track.host = media_host_of(call, track.host);
  spdlog::info(
      "sip: group={} terminal={} step=704 event=phone_broadcast tool=\"{}\" tracks={} "
      "source={}",
      call.group, call.caller, offer->tool, request.tracks.size(), call.source_address);
  services_.media.start_phone_publisher(
      std::move(request),
      on_loop<control::PhonePublisherStarted>([this, id = call.id](auto result) {
        Call* master = table_.find(id);
        if (master == nullptr || master->state == CallState::ending) return;  // ended meanwhile
        if (!result) {
          const auto& error = result.error();
          spdlog::warn(
              "sip: group={} terminal={} step=705 event=phone_media_failed error={} "
              "message=\"{}\"",
              master->group, master->caller, control::to_string(error.code), error.message);
          return fail_phone_broadcast(*master, "media side: " + error.message);
        }
        spdlog::info("sip: group={} terminal={} step=705 event=phone_publishing session={}",
                     master->group, master->caller, result->session);
      }));
}

void CallController::start_browser_broadcast(Call& call) {
  call.state = CallState::early;
  call.join_timer = services_.timers.create_timer([this, id = call.id] { on_join_timeout(id); });
  call.join_timer->enable(config_.master_join_timeout);
  spdlog::info("sip: group={} terminal={} step=704 event=browser_broadcast source={}", call.group,
               call.caller, call.source_address);
  services_.media.start_webrtc_publisher(
      control::WebRtcPublisherRequest{call.group, call.caller, call.offer, call.source_address, {}},
      on_loop<control::WebRtcViewerStarted>([this, id = call.id](auto result) {
        Call* master = table_.find(id);
        if (master == nullptr || master->state == CallState::ending) return;  // ended meanwhile
        if (!result) {
          const auto& error = result.error();
          spdlog::warn(
              "sip: group={} terminal={} step=705 event=browser_media_failed error={} "
              "message=\"{}\"",
              master->group, master->caller, control::to_string(error.code), error.message);
          return fail_phone_broadcast(*master, error.message);
        }
        spdlog::info("sip: group={} terminal={} step=705 event=browser_publishing session={}",
                     master->group, master->caller, result->session);
        master->sdp = std::move(result->answer);
        // 706 may have come first (the media side tells it as it takes the publisher).
        if (master->browser_live) on_master_joined(*master);
      }));
}

void CallController::fail_phone_broadcast(Call& call, const std::string& why) {
  const std::string group = call.group;
  spdlog::info(
      "sip: group={} terminal={} step=704 event=invite_refused kind=phone status=488 "
      "reason=\"{}\"",
      group, call.caller, why);
  // The group was made for this call: it goes with it (fail_call forgets that it was made).
  const bool group_created = call.media_done;
  fail_call(call, 488, "Not Acceptable Here", why);
  end_broadcast(group, "phone_media_refused", false);
  if (group_created) services_.media.close_group(group, [](auto) {});
}

void CallController::on_join_timeout(CallId id) {
  Call* call = table_.find(id);
  if (call == nullptr || call->state != CallState::early) return;
  const std::string group = call->group;
  spdlog::warn("sip: group={} terminal={} step=706 event=master_join_timeout after_s={}", group,
               call->caller, config_.master_join_timeout.count());
  // fail_call forgets that the group exists: remember it, or end_broadcast leaves it open.
  const bool group_created = call->media_done;
  fail_call(*call, 408, "Request Timeout",
            "the broadcast's media did not connect within " +
                std::to_string(config_.master_join_timeout.count()) + " s");
  end_broadcast(group, "master_join_timeout", false);
  if (group_created) services_.media.close_group(group, [](auto) {});
}

void CallController::start_viewer_call(StackHandle handle, const SipRequest& request,
                                       const std::string& viewer, const std::string& dialled) {
  RouteLookups lookups;
  lookups.user_exists = [this](std::string_view number) { return services_.users.exists(number); };
  lookups.target_of = [this](std::string_view number,
                             std::string& error) -> std::optional<std::string> {
    auto target = services_.forwarding.unconditional_target(number);
    if (!target) {
      error = target.error();
      return std::nullopt;
    }
    return *target;
  };
  const auto route = resolve_forwarding(dialled, config_.service_number, lookups);
  auto refuse = [&](int status, const char* phrase, const std::string& why) {
    spdlog::info("sip: group={} terminal={} step=710 event=invite_refused status={} reason=\"{}\"",
                 dialled, viewer, status, why);
    respond_invite(handle, refusal(status, phrase, why), SipMetrics::InviteKind::viewer);
  };
  switch (route.kind) {
    case RouteKind::unknown_number:
      return refuse(404, "Not Found", route.number + " is not a known number");
    case RouteKind::not_forwarded:
      return refuse(480, "Temporarily Unavailable",
                    route.number +
                        " is not broadcasting (its calls are not forwarded to the "
                        "broadcast service)");
    case RouteKind::loop:
      return refuse(482, "Loop Detected", "call forwarding of " + dialled + " loops");
    case RouteKind::too_many_hops:
      return refuse(483, "Too Many Hops",
                    "call forwarding of " + dialled + " is longer than " +
                        std::to_string(kMaxForwardingHops) + " hops");
    case RouteKind::lookup_failed:
      spdlog::error("sip: forwarding store failed: {}", route.detail);
      return refuse(500, "Server Internal Error", "forwarding lookup failed");
    case RouteKind::broadcast:
      break;
  }
  const std::string& group = route.number;
  const Call* master = table_.master_of(group);
  if (master != nullptr && master->state != CallState::answered) {
    return refuse(480, "Temporarily Unavailable", group + " is not broadcasting");
  }
  if (!request.web_caller && is_phone_offer(request.body)) {
    // Read now so that an offer we cannot read is refused before anything is admitted.
    if (auto offer = parse_phone_offer(request.body); !offer) {
      return refuse(488, "Not Acceptable Here", "the SDP offer: " + offer.error());
    }
  }
  const CallId id = add_call(handle, CallRole::viewer, viewer, group, request).id;
  // 710: the call is diverted to the service; tell the caller, as a forwarding switch would
  // (only once there is a broadcast to divert it to).
  auto diverted = [this, dialled, hops = route.chain.size() - 1](const Call& call) {
    services_.stack.respond(call.handle, refusal(181, "Call Is Being Forwarded", {}));
    spdlog::info("sip: group={} terminal={} step=710 event=viewer_invite dialled={} hops={}",
                 call.group, call.caller, dialled, hops);
  };
  if (master == nullptr) {
    // No broadcast of this number here, yet its calls forward to the service: its master's
    // dialog may be on another signaling node of the cluster (issue 15: the node Kamailio sent
    // it to died, or was taken out, and the number's hash now lands here). The media side is
    // the truth about whether the group is live, so ask it, without blocking this thread.
    services_.media.get_group(
        group, on_loop<control::GroupSnapshot>([this, id, diverted](auto result) {
          Call* call = table_.find(id);
          if (call == nullptr || call->state == CallState::ending) return;  // cancelled
          if (!adopt_broadcast(call->group, result)) {
            spdlog::info(
                "sip: group={} terminal={} step=710 event=invite_refused status={} "
                "reason=\"{}\"",
                call->group, call->caller,
                !result && result.error().code != control::ControlErrorCode::not_found ? 503 : 480,
                result ? "not live on the media side" : result.error().message);
            if (!result && result.error().code != control::ControlErrorCode::not_found) {
              return fail_for_media_error(*call, result.error());
            }
            return fail_call(*call, 480, "Temporarily Unavailable",
                             call->group + " is not broadcasting");
          }
          diverted(*call);
          admit_viewer(*call);
        }));
    return;
  }
  Call& call = table_.calls.at(id);
  diverted(call);
  admit_viewer(call);
}

bool CallController::adopt_broadcast(
    const std::string& group, const Result<control::GroupSnapshot, control::ControlError>& found) {
  if (const Call* master = table_.master_of(group); master != nullptr) {
    return master->state == CallState::answered;  // another viewer's call adopted it meanwhile
  }
  // A stalled master is still the group's master until the media side says master_lost.
  if (!found || (found->state != "live" && found->state != "stalled")) return false;
  restore_broadcast(*found, /*adopted=*/true);
  return true;
}

void CallController::restore_broadcast(const control::GroupSnapshot& group, bool adopted) {
  const CallId id = table_.next_call++;
  Call call;
  call.id = id;
  call.role = CallRole::master;
  call.state = CallState::answered;
  call.caller = group.master.empty() ? group.group : group.master;
  call.group = group.group;
  call.media_done = true;
  call.restored = true;
  call.adopted = adopted;
  call.invited_at = services_.time.now();
  table_.calls.emplace(id, std::move(call));
  table_.broadcasts[group.group] = id;
  auto& now_playing = table_.playing[group.group];
  now_playing.clear();
  auto& admitted = table_.restored_viewers[group.group];
  for (const auto& viewer : group.viewers) {
    admitted.insert(viewer.viewer);
    if (viewer.state == "playing" || viewer.state == "paused") now_playing.insert(viewer.viewer);
  }
  auto target = services_.forwarding.unconditional_target(group.group);
  const bool forwarded = target && *target && **target == config_.service_number;
  spdlog::info(
      "sip: group={} terminal={} step=703 event=broadcast_{} viewers={} forwarding_to_service={}",
      group.group, group.master, adopted ? "adopted" : "restored", now_playing.size(),
      forwarded ? 1 : 0);
}

void CallController::admit_viewer(Call& admitting) {
  const CallId id = admitting.id;
  const std::string group = admitting.group;
  const std::string viewer = admitting.caller;
  services_.media.admit_viewer(
      group, viewer, on_loop<control::ViewerAdmitted>([this, id, group, viewer](auto result) {
        Call* call = table_.find(id);
        if (call == nullptr) {
          // Cancelled meanwhile: undo unless another dialog still holds it.
          if (result) release_viewer_admission(group, viewer);
          return;
        }
        on_viewer_admitted(*call, std::move(result));
      }));
}

void CallController::release_viewer_admission(const std::string& group, const std::string& viewer) {
  Call gone;
  gone.role = CallRole::viewer;
  gone.group = group;
  gone.caller = viewer;
  gone.media_done = true;
  release_media(gone);
}

void CallController::on_viewer_admitted(
    Call& call, Result<control::ViewerAdmitted, control::ControlError> result) {
  const CallId id = call.id;
  if (!result) {
    const auto& error = result.error();
    spdlog::info("sip: group={} terminal={} step=712 event=admit_failed error={} message=\"{}\"",
                 call.group, call.caller, control::to_string(error.code), error.message);
    fail_for_media_error(call, error);
    return;
  }
  call.media_done = true;
  if (auto restored = table_.restored_viewers.find(call.group);
      restored != table_.restored_viewers.end()) {
    restored->second.erase(call.caller);  // this dialog owns the admission now
  }
  if (call.phone) return answer_phone(call, *result);
  if (call.webrtc) return answer_browser(call);
  auto sdp = make_iptv_sdp(call.offer, IptvSdpParams{result->play_url, id});
  call.sdp = sdp ? *sdp : std::string();
  answer(call, 200, "OK");
  call.state = CallState::answered;
  spdlog::info("sip: group={} terminal={} step=713 event=viewer_answered after_ms={}", call.group,
               call.caller, elapsed_ms(call.invited_at));
  expect_viewer_media(call);
}

void CallController::answer_phone(Call& call, const control::ViewerAdmitted& admitted) {
  auto offer = parse_phone_offer(call.offer);  // read at the INVITE: cannot fail here
  if (!offer) return fail_call(call, 488, "Not Acceptable Here", "the SDP offer: " + offer.error());
  if (admitted.tracks.empty()) {
    spdlog::info(
        "sip: group={} terminal={} step=712 event=invite_refused kind=phone status=480 "
        "reason=no_tracks",
        call.group, call.caller);
    return fail_call(call, 480, "Temporarily Unavailable",
                     call.group + " is not live yet: its broadcast has no media to send");
  }
  const GroupCodecs group = group_codecs_of(admitted.tracks);
  auto plan = plan_viewer_answer(*offer, group, server_media_of(admitted));
  if (!plan) {
    spdlog::info(
        "sip: group={} terminal={} step=713 event=invite_refused kind=phone status={} "
        "tool=\"{}\" reason=\"{}\"",
        call.group, call.caller, plan.error().status, offer->tool, plan.error().warning);
    return fail_call(call, 488, "Not Acceptable Here", plan.error().warning);
  }
  std::string warning = user_notes(*plan);
  if (plan->audio && plan->audio->transcode_from) {
    spdlog::info("sip: group={} terminal={} step=713 event=phone_audio_transcoded from={} to={}/{}",
                 call.group, call.caller, encoding_name(*plan->audio->transcode_from),
                 encoding_name(plan->audio->codec), plan->audio->clock_rate);
  }
  for (const auto& note : plan->notes) {
    spdlog::info("sip: group={} terminal={} step=713 event=phone_answer_note note=\"{}\"",
                 call.group, call.caller, note);
  }
  call.sdp = phone_answer_sdp(*plan, admitted, call.id);
  call.warning = std::move(warning);
  control::PhoneViewerRequest request{call.group, call.caller, call.source_address,
                                      phone_routes(*plan)};
  for (auto& route : request.tracks)
    route.host = media_host_of(call, route.host);
  call.phone_media = std::move(request);
  answer(call, 200, "OK");
  call.state = CallState::answered;
  spdlog::info(
      "sip: group={} terminal={} step=713 event=viewer_answered kind=phone source={} after_ms={}",
      call.group, call.caller, call.source_address, elapsed_ms(call.invited_at));
  expect_viewer_media(call);
}

void CallController::answer_browser(Call& browser) {
  const CallId id = browser.id;
  const std::string group_name = browser.group;
  const std::string viewer = browser.caller;
  services_.media.start_webrtc_viewer(
      control::WebRtcViewerRequest{
          browser.group, browser.caller, browser.offer, browser.source_address, {}},
      on_loop<control::WebRtcViewerStarted>([this, id, group_name, viewer](auto result) {
        Call* call = table_.find(id);
        if (call == nullptr) {
          if (result) release_viewer_admission(group_name, viewer);
          return;
        }
        if (call->state != CallState::setting_up) return;  // the broadcast ended meanwhile
        if (!result) {
          const auto& error = result.error();
          spdlog::info(
              "sip: group={} terminal={} step=713 event=invite_refused kind=browser error={} "
              "message=\"{}\"",
              call->group, call->caller, control::to_string(error.code), error.message);
          if (error.code == control::ControlErrorCode::bad_request) {
            return fail_call(*call, 488, "Not Acceptable Here", error.message);
          }
          return fail_for_media_error(*call, error);
        }
        call->sdp = std::move(result->answer);
        answer(*call, 200, "OK");
        call->state = CallState::answered;
        spdlog::info(
            "sip: group={} terminal={} step=713 event=viewer_answered kind=browser source={} "
            "after_ms={}",
            call->group, call->caller, call->source_address, elapsed_ms(call->invited_at));
        expect_viewer_media(*call);
      }));
}

void CallController::on_call_confirmed(CallId id) {
  Call* call = table_.find(id);
  if (call == nullptr || call->state != CallState::answered || !call->phone_media) return;
  control::PhoneViewerRequest request = std::move(*call->phone_media);
  call->phone_media.reset();
  const std::string group_name = call->group;
  const std::string viewer = call->caller;
  services_.media.start_phone_viewer(
      std::move(request),
      on_loop<control::PhoneViewerStarted>([this, id, group_name, viewer](auto result) {
        Call* confirmed = table_.find(id);
        if (confirmed == nullptr) {
          // Ended meanwhile (its release went before this start was done): undo.
          if (result) release_viewer_admission(group_name, viewer);
          return;
        }
        on_phone_viewer_started(*confirmed, std::move(result));
      }));
}

void CallController::on_phone_viewer_started(
    Call& call, Result<control::PhoneViewerStarted, control::ControlError> result) {
  if (call.state != CallState::answered) return;  // the broadcast ended meanwhile
  if (!result) {
    const auto& error = result.error();
    spdlog::info(
        "sip: group={} terminal={} step=714 event=phone_media_failed error={} message=\"{}\"",
        call.group, call.caller, control::to_string(error.code), error.message);
    // Answered already: the BYE says why (hang_up releases the admission).
    return hang_up(call, "its media could not start: " + error.message,
                   "SIP;cause=" + std::to_string(control::http_status(error.code)) +
                       ";text=\"the media could not start\"");
  }
  call.media_started = true;
  if (call.media_start_timer) call.media_start_timer->disable();
  spdlog::info(
      "sip: group={} terminal={} step=714 event=phone_media_started session={} after_ms={}",
      call.group, call.caller, result->session, elapsed_ms(call.invited_at));
}

void CallController::expect_viewer_media(Call& call) {
  if (call.media_started) return;
  const CallId id = call.id;
  call.media_start_timer =
      services_.timers.create_timer([this, id] { on_media_start_timeout(id); });
  call.media_start_timer->enable(config_.viewer_media_start_timeout);
}

void CallController::on_media_start_timeout(CallId id) {
  Call* call = table_.find(id);
  if (call == nullptr || call->state != CallState::answered || call->media_started) return;
  const auto seconds = config_.viewer_media_start_timeout.count();
  spdlog::warn(
      "sip: group={} terminal={} step=714 event=viewer_media_start_timeout kind={} after_s={}",
      call->group, call->caller, call->phone ? "phone" : "rtsp", seconds);
  // An answered call with nothing in it must not stay up silently: the BYE says why, and
  // hang_up releases the admission (unless another call of the viewer holds it).
  hang_up(*call, "media did not start within " + std::to_string(seconds) + " s",
          media_start_timeout_bye_reason(seconds));
}

Call* CallController::newest_viewer_call(const std::string& group, const std::string& viewer) {
  Call* newest = nullptr;
  for (auto& [id, call] : table_.calls) {
    if (call.role == CallRole::viewer && call.group == group && call.caller == viewer &&
        call.media_done &&
        (call.state == CallState::setting_up || call.state == CallState::answered)) {
      newest = &call;  // the map is ordered by id: the last one is the newest
    }
  }
  return newest;
}

void CallController::on_viewer_playing(const std::string& group, const std::string& viewer) {
  Call* call = newest_viewer_call(group, viewer);
  if (call == nullptr || call->media_started) return;
  call->media_started = true;
  if (call->media_start_timer) call->media_start_timer->disable();
  spdlog::info("sip: group={} terminal={} step=714 event=viewer_media_started after_ms={}", group,
               viewer, elapsed_ms(call->invited_at));
}

void CallController::on_viewer_media_ended(const std::string& group, const std::string& viewer,
                                           const std::string& reason) {
  const ViewerMediaEnd end = classify_viewer_media_end(reason);
  const std::string bye_reason = viewer_media_end_bye_reason(end);
  if (bye_reason.empty()) return;
  // A replacing call is the newest: the older ones lost their media to it. Otherwise the
  // session was that of a call whose media had started; a call of the same viewer that is
  // still waiting for its own media keeps waiting (its start timer runs).
  const Call* newest = newest_viewer_call(group, viewer);
  std::vector<CallId> ending;
  for (const auto& [id, call] : table_.calls) {
    if (call.role != CallRole::viewer || call.group != group || call.caller != viewer ||
        call.state != CallState::answered) {
      continue;
    }
    const bool its_media = end == ViewerMediaEnd::replaced_by_call
                               ? newest != nullptr && id < newest->id
                               : call.media_started;
    if (its_media) ending.push_back(id);
  }
  for (const CallId id : ending) {
    Call* call = table_.find(id);
    if (call == nullptr) continue;  // looked up again after hang_up() of the ones before
    spdlog::info(
        "sip: group={} terminal={} step=714 event=viewer_media_ended_by_media_side reason=\"{}\"",
        group, viewer, reason);
    hang_up(*call, "media ended by the media side: " + reason, bye_reason);
  }
}

void CallController::on_master_joined(Call& call) {
  if (call.webrtc && call.sdp.empty()) {
    call.browser_live = true;  // the 200 waits for the media side's answer to its offer
    return;
  }
  if (call.join_timer) call.join_timer->disable();
  answer(call, 200, "OK");
  call.state = CallState::answered;
  spdlog::info("sip: group={} terminal={} step=707 event=broadcast_answered after_ms={}",
               call.group, call.caller, elapsed_ms(call.invited_at));
  set_master_forwarding(call);
  services_.audience.on_audience_changed(call.group);
}

void CallController::set_master_forwarding(const Call& call) {
  // 708 ([0154]): the network side points the master's number at the service number itself,
  // so viewers reach the broadcast whatever the terminal knows (a SIP phone never calls the Ut
  // API); the terminal's own PUT (older terminals, or --ut-url) then only replaces the rule with
  // the same one. Off: forwarding is the terminal's alone.
  if (!config_.auto_forwarding) return;
  auto current = services_.forwarding.unconditional_target(call.group);
  if (!current) {
    spdlog::error("sip: group={} terminal={} step=708 event=forwarding_read_failed error=\"{}\"",
                  call.group, call.caller, current.error());
    return;
  }
  if (*current) {
    // The user's own rule: to another number it is kept (viewers go where the user said, and
    // the end of the broadcast leaves it); to the service number the terminal set it already.
    const bool own = **current != config_.service_number;
    spdlog::info("sip: group={} terminal={} step=708 event={} target={}", call.group, call.caller,
                 own ? "forwarding_kept" : "forwarding_already_set", **current);
    return;
  }
  auto set = services_.forwarding.set_unconditional(call.group, config_.service_number);
  if (!set) {
    spdlog::error("sip: group={} terminal={} step=708 event=forwarding_set_failed error=\"{}\"",
                  call.group, call.caller, set.error());
    return;
  }
  spdlog::info("sip: group={} terminal={} step=708 event=forwarding_set target={} by=network_side",
               call.group, call.caller, config_.service_number);
}

std::string CallController::ut_call_info(const Call& call) const {
  std::string base = ut_public_url_;
  if (base.empty()) {
    if (http_listen_.port == 0) return {};
    std::string host = is_wildcard_host(http_listen_.host) ? call.reached_host : http_listen_.host;
    if (host.empty()) return {};
    if (host.find(':') != std::string::npos && host.front() != '[') host = "[" + host + "]";
    base = "http://" + host + ":" + std::to_string(http_listen_.port);
  }
  return "<" + base + ">;purpose=callcast-ut";
}

void CallController::answer(Call& call, int status, const char* phrase) {
  SipAnswer answer;
  answer.status = status;
  answer.phrase = phrase;
  answer.content_type = "application/sdp";
  answer.body = call.sdp;
  if (!call.warning.empty()) answer.warning = make_warning_value(call.warning);
  // The master's terminal learns where to set its forwarding (708), instead of guessing.
  if (call.role == CallRole::master) answer.call_info = ut_call_info(call);
  // Over TCP the dialog's later requests must come back over TCP (NOTES-deps.md).
  if (call.tcp) {
    answer.contact =
        "<sip:" + (call.role == CallRole::master ? config_.service_number : call.group) + "@" +
        (bound_.host.find(':') != std::string::npos ? "[" + bound_.host + "]" : bound_.host) + ":" +
        std::to_string(bound_.port) + ";transport=tcp>";
  }
  respond_invite(call.handle, answer, invite_kind(call.role));
  // The set-up time of a call: its INVITE to its 200 (the master's 183 is on the way).
  if (status == 200)
    counters_.metrics.call_set_up(invite_kind(call.role), services_.time.now() - call.invited_at);
}

void CallController::respond_invite(StackHandle handle, const SipAnswer& answer,
                                    SipMetrics::InviteKind kind) {
  counters_.metrics.invite_answered(kind, answer.status);
  services_.stack.respond(handle, answer);
}

void CallController::fail_for_media_error(Call& call, const control::ControlError& error) {
  const bool master = call.role == CallRole::master;
  switch (error.code) {
    case control::ControlErrorCode::conflict:
      return fail_call(call, 486, "Busy Here", call.group + " is already broadcasting");
    case control::ControlErrorCode::limit_reached:
      // A master finds the media side out of groups (try later); a viewer finds the group full.
      if (master) {
        return fail_call(call, 503, "Service Unavailable", "media side: " + error.message,
                         kRetryAfterSeconds);
      }
      return fail_call(call, 486, "Busy Here", "the broadcast of " + call.group + " is full");
    case control::ControlErrorCode::unavailable:
      return fail_call(call, 503, "Service Unavailable", "media side: " + error.message,
                       kRetryAfterSeconds);
    case control::ControlErrorCode::not_found:
      if (!master) {
        return fail_call(call, 480, "Temporarily Unavailable", call.group + " is not broadcasting");
      }
      [[fallthrough]];
    default:
      return fail_call(call, 500, "Server Internal Error", "media side: " + error.message);
  }
}

void CallController::fail_call(Call& call, int status, const char* phrase,
                               const std::string& warning, int retry_after_s) {
  if (call.join_timer) call.join_timer->disable();
  if (call.media_start_timer) call.media_start_timer->disable();
  respond_invite(call.handle, refusal(status, phrase, warning, retry_after_s),
                 invite_kind(call.role));
  release_media(call);
  call.media_done = false;
  call.state = CallState::ending;
}

void CallController::hang_up(Call& call, const std::string& why, const std::string& bye_reason) {
  if (call.audience_timer) call.audience_timer->disable();
  if (call.media_start_timer) call.media_start_timer->disable();
  if (call.state == CallState::answered) {
    services_.stack.bye(call.handle, bye_reason);
    spdlog::info("sip: group={} terminal={} step=714 event=bye_sent role={} reason=\"{}\"",
                 call.group, call.caller, role_name(call.role), why);
    if (call.role == CallRole::viewer) release_media(call);
    call.media_done = false;
    call.state = CallState::ending;
  } else if (call.state != CallState::ending) {
    fail_call(call, 480, "Temporarily Unavailable", "the broadcast ended: " + why);
  }
}

void CallController::release_media(const Call& call) {
  if (!call.media_done || call.role != CallRole::viewer) return;
  for (const auto& [id, other] : table_.calls) {
    if (other.id != call.id && other.role == CallRole::viewer && other.media_done &&
        other.group == call.group && other.caller == call.caller) {
      return;  // the same viewer still watches through another dialog
    }
  }
  services_.media.remove_viewer(call.group, call.caller, [](auto) {});
}

void CallController::end_broadcast(const std::string& group, const std::string& why,
                                   bool close_media, const std::string& bye_reason) {
  auto it = table_.broadcasts.find(group);
  bool leave_to_cluster = false;
  if (it != table_.broadcasts.end()) {
    const CallId master_id = it->second;
    if (Call* master = table_.find(master_id); master != nullptr) {
      // A restored broadcast's group always goes: it takes the viewers whose dialogs are
      // unknown here (they cannot be sent a BYE) off the media side with it. Except when this
      // node stops while the broadcast lives on: an adopted one stays for the cluster.
      leave_to_cluster = master->adopted && stopping_;
      close_media = (close_media || master->restored) && master->media_done && !leave_to_cluster;
      master->media_done = false;
      if (master->restored) {
        spdlog::info(
            "sip: group={} terminal={} step=703 event=restored_broadcast_ended "
            "reason=\"{}\" bye_sent=0",
            group, master->caller, why);
        table_.calls.erase(master_id);  // no dialog: the stack will not report its end
      } else {
        hang_up(*master, why, bye_reason);
      }
    }
    table_.broadcasts.erase(it);
  }
  for (auto& [id, call] : table_.calls) {
    if (call.role == CallRole::viewer && call.group == group && call.state != CallState::ending) {
      call.media_done = false;  // the group goes as a whole
      hang_up(call, why, bye_reason);
    }
  }
  table_.playing.erase(group);
  table_.restored_viewers.erase(group);
  if (close_media) services_.media.close_group(group, [](auto) {});
  // Only a rule that still points at the service number goes: one the user set to another
  // number (before or during the broadcast) is theirs. Without auto_forwarding the terminal
  // clears its own rule (Ut DELETE).
  if (config_.auto_forwarding && !leave_to_cluster) {
    auto cleared = services_.forwarding.clear_unconditional_if(group, config_.service_number);
    if (!cleared) {
      spdlog::error("sip: group={} event=forwarding_clear_failed error=\"{}\"", group,
                    cleared.error());
    } else if (*cleared) {
      spdlog::info("sip: group={} terminal={} step=708 event=forwarding_cleared", group, group);
    }
  }
  spdlog::info("sip: group={} step=703 event=broadcast_ended reason=\"{}\"", group, why);
}

void CallController::on_call_ended(CallId id, const char* why) {
  auto it = table_.calls.find(id);
  if (it == table_.calls.end()) return;
  Call call = std::move(it->second);
  table_.calls.erase(it);
  // `call` and its timers go at the end of this scope, which cancels them.
  if (call.join_timer) call.join_timer->disable();
  if (call.audience_timer) call.audience_timer->disable();
  if (call.media_start_timer) call.media_start_timer->disable();
  spdlog::info("sip: group={} terminal={} step={} event=call_ended role={} by={} after_ms={}",
               call.group, call.caller, call.role == CallRole::master ? 703 : 714,
               role_name(call.role), why, elapsed_ms(call.invited_at));
  if (call.role == CallRole::master) {
    auto master = table_.broadcasts.find(call.group);
    if (master != table_.broadcasts.end() && master->second == id) {
      table_.broadcasts.erase(master);
      // Put it back for end_broadcast without the call itself, which needs no BYE.
      const bool close_media = call.media_done;
      end_broadcast(call.group, std::string("master ") + why, false);
      if (close_media) services_.media.close_group(call.group, [](auto) {});
    }
  } else {
    release_media(call);
  }
}

void CallController::end_all(const std::string& why) {
  stopping_ = true;
  std::vector<std::string> groups;
  for (const auto& [group, id] : table_.broadcasts)
    groups.push_back(group);
  for (const auto& group : groups)
    end_broadcast(group, why, true);
  for (auto& [id, call] : table_.calls) {
    if (call.state != CallState::ending) hang_up(call, why);
  }
}

}  // namespace callcast::sip
