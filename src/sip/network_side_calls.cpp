// The calls of the patent's figure 7 on the network side:
//   broadcast: 701 INVITE to the service number -> 702 create_group -> 704 183 with the publish
//              URI -> 706 master_joined -> 707 200 OK;
//   watch:     710 INVITE to the master's number -> forwarding -> 181 -> 711-712 admit_viewer ->
//              713 200 OK with the play URI;
//   ending:    the master's BYE or CANCEL, or the media side's master_lost, ends the group and
//              every viewer dialog of it; a viewer's BYE removes that viewer.
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <string_view>
#include <vector>

#include "core/group_registry.hpp"
#include "sip/audience_info.hpp"
#include "sip/forwarding_route.hpp"
#include "sip/iptv_sdp.hpp"
#include "sip/network_side_impl.hpp"

namespace callcast::sip {
namespace {

constexpr int kRetryAfterSeconds = 5;

std::string_view role_name(CallRole role) {
  return role == CallRole::master ? "master" : "viewer";
}

std::string body_of(const sip_t* sip) {
  if (sip->sip_payload == nullptr || sip->sip_payload->pl_data == nullptr) return {};
  return std::string(sip->sip_payload->pl_data, sip->sip_payload->pl_len);
}

bool came_over_tcp(const sip_t* sip) {
  const char* protocol = sip->sip_via != nullptr ? sip->sip_via->v_protocol : nullptr;
  return protocol != nullptr && std::string_view(protocol).find("TCP") != std::string_view::npos;
}

// The values of every header sofia does not know by name (Recv-Info in this version of sofia).
std::vector<std::string_view> unknown_headers(const sip_t* sip, std::string_view name) {
  std::vector<std::string_view> values;
  for (const sip_unknown_t* header = sip->sip_unknown; header != nullptr;
       header = header->un_next) {
    if (header->un_name == nullptr || header->un_value == nullptr) continue;
    const std::string_view header_name(header->un_name);
    if (header_name.size() == name.size() &&
        std::equal(name.begin(), name.end(), header_name.begin(),
                   [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
      values.emplace_back(header->un_value);
    }
  }
  return values;
}

bool takes_audience_info(const sip_t* sip) {
  for (const auto value : unknown_headers(sip, "Recv-Info")) {
    if (recv_info_lists(value, kAudiencePackage)) return true;
  }
  return false;
}

// The viewers of a snapshot whose media session runs (viewer_joined without viewer_left).
std::set<std::string> playing_viewers(const control::GroupSnapshot& group) {
  std::set<std::string> viewers;
  for (const auto& viewer : group.viewers) {
    if (viewer.state == "playing" || viewer.state == "paused") viewers.insert(viewer.viewer);
  }
  return viewers;
}

bool is_wildcard_host(std::string_view host) {
  return host.empty() || host == "0.0.0.0" || host == "::" || host == "[::]";
}

long long elapsed_ms(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               since)
      .count();
}

}  // namespace

std::string NetworkSide::Impl::refuse_at_service_number(std::string_view offer) const {
  auto summary = summarize_iptv_offer(offer);
  // No offer: the 183 carries ours (a terminal that sends none still publishes).
  if (!summary || !summary->has_offer) return {};
  if (!summary->has_iptv) {
    // A SIP phone's audio/video offer: nothing here can take its RTP yet. Say so at once rather
    // than let it wait for a media connection that never comes (408 after 15 s).
    return "publishing to " + config.service_number +
           " needs an iptv_rtsp offer (m=application 9 TCP iptv_rtsp); SIP phones cannot "
           "broadcast here yet";
  }
  if (summary->direction == IptvDirection::recvonly) {
    return config.service_number +
           " is the broadcast service number: to watch, call the broadcaster's number";
  }
  return {};
}

Call* NetworkSide::Impl::find(CallId id) {
  auto it = calls.find(id);
  return it == calls.end() ? nullptr : &it->second;
}

CallId NetworkSide::Impl::add_call(nua_handle_t* nh, CallRole role, const std::string& caller,
                                   const std::string& group, const sip_t* sip) {
  const CallId id = next_call++;
  Call call;
  call.id = id;
  call.role = role;
  call.handle = nh;
  call.caller = caller;
  call.group = group;
  call.tcp = came_over_tcp(sip);
  call.offer = body_of(sip);
  call.invited_at = std::chrono::steady_clock::now();
  if (sip->sip_request != nullptr && sip->sip_request->rq_url->url_host != nullptr) {
    call.reached_host = sip->sip_request->rq_url->url_host;
  }
  call.takes_audience = role == CallRole::master && takes_audience_info(sip);
  calls.emplace(id, std::move(call));
  nua_handle_bind(nh, reinterpret_cast<nua_hmagic_t*>(static_cast<std::uintptr_t>(id)));
  return id;
}

void NetworkSide::Impl::on_invite(nua_handle_t* nh, const sip_t* sip) {
  ++counters.invites;
  const SipMetrics::Answering answering(answering_invite, SipMetrics::InviteKind::unclassified);
  if (sip == nullptr || sip->sip_request == nullptr || sip->sip_from == nullptr) {
    respond(nh, 400, "Bad Request", "INVITE without Request-URI or From", true);
    return;
  }
  if (body_cut_short(sip)) {
    respond(nh, 400, "Bad Request", "the body is shorter than its Content-Length", true);
    return;
  }
  if (stopping) {
    respond(nh, 503, "Service Unavailable", "shutting down", true, kRetryAfterSeconds);
    return;
  }
  // The cap comes before authentication: a flood costs no digest work and no state.
  if (calls.size() >= config.max_calls) {
    ++counters.rejected_over_cap;
    respond(nh, 503, "Service Unavailable",
            "too many calls (" + std::to_string(config.max_calls) + ")", true, kRetryAfterSeconds);
    return;
  }
  auto user = authenticate(nh, sip, "INVITE", true);
  if (!user) return;
  const char* from_user = sip->sip_from->a_url->url_user;
  if (from_user == nullptr || *user != from_user) {
    ++counters.auth_failures;
    respond(nh, 403, "Forbidden", "From does not match the authenticated user", true);
    return;
  }
  if (sip->sip_payload != nullptr && sip->sip_payload->pl_len > 0 &&
      (sip->sip_content_type == nullptr || sip->sip_content_type->c_type == nullptr ||
       std::string_view(sip->sip_content_type->c_type) != kSdpContentType)) {
    counters.metrics.invite_answered(SipMetrics::InviteKind::unclassified, 415);
    nua_respond(nh, SIP_415_UNSUPPORTED_MEDIA, NUTAG_WITH_THIS(nua),
                SIPTAG_ACCEPT_STR("application/sdp"), TAG_END());
    return;
  }
  const char* dialled = sip->sip_request->rq_url->url_user;
  if (dialled == nullptr || !core::is_valid_number(dialled)) {
    respond(nh, 404, "Not Found", "the Request-URI holds no number", true);
    return;
  }
  // Check the offer before anything is created: what we cannot use gets 488 and changes nothing.
  auto usable = make_iptv_sdp(body_of(sip), IptvSdpParams{"rtsp://127.0.0.1/check", 0});
  if (!usable) {
    spdlog::info("sip: terminal={} event=invite_refused status=488 reason=\"{}\"", *user,
                 usable.error().reason);
    respond(nh, 488, "Not Acceptable Here", usable.error().reason, true);
    return;
  }
  if (dialled == config.service_number) {
    if (auto why = refuse_at_service_number(body_of(sip)); !why.empty()) {
      spdlog::info("sip: terminal={} step=701 event=invite_refused status=488 reason=\"{}\"", *user,
                   why);
      respond(nh, 488, "Not Acceptable Here", why, true);
      return;
    }
    start_broadcast(nh, sip, *user);
  } else {
    start_viewer_call(nh, sip, *user, dialled);
  }
}

void NetworkSide::Impl::start_broadcast(nua_handle_t* nh, const sip_t* sip,
                                        const std::string& master) {
  answering_invite = SipMetrics::InviteKind::service;
  if (broadcasts.contains(master)) {
    spdlog::info(
        "sip: group={} terminal={} step=701 event=invite_refused status=486 "
        "reason=already_broadcasting",
        master, master);
    respond(nh, 486, "Busy Here", master + " is already broadcasting", true);
    return;
  }
  const CallId id = add_call(nh, CallRole::master, master, master, sip);
  broadcasts[master] = id;
  spdlog::info(
      "sip: group={} terminal={} step=701 event=broadcast_invite transport={} audience_info={}",
      master, master, find(id)->tcp ? "tcp" : "udp", find(id)->takes_audience ? 1 : 0);
  media.create_group(master, on_loop<control::GroupCreated>([this, id, master](auto result) {
                       if (find(id) == nullptr) {
                         // Cancelled while the group was being made.
                         if (result) media.close_group(master, [](auto) {});
                         return;
                       }
                       on_group_created(id, std::move(result));
                     }));
}

void NetworkSide::Impl::on_group_created(
    CallId id, Result<control::GroupCreated, control::ControlError> result) {
  Call& call = *find(id);
  if (!result) {
    const auto& error = result.error();
    spdlog::warn(
        "sip: group={} terminal={} step=702 event=create_group_failed error={} "
        "message=\"{}\"",
        call.group, call.caller, control::to_string(error.code), error.message);
    broadcasts.erase(call.group);
    fail_for_media_error(call, error);
    return;
  }
  call.media_done = true;
  auto sdp = make_iptv_sdp(call.offer, IptvSdpParams{result->publish_url, id});
  call.sdp = sdp ? *sdp : std::string();
  answer(call, 183, "Session Progress");
  call.state = CallState::early;
  spdlog::info(
      "sip: group={} terminal={} step=704 event=session_progress publish_url_sent=1 "
      "after_ms={}",
      call.group, call.caller, elapsed_ms(call.invited_at));
  const auto timeout_ms = static_cast<std::uint32_t>(config.master_join_timeout.count() * 1000);
  call.join_timer = loop->schedule(timeout_ms, [this, id] { on_join_timeout(id); });
}

void NetworkSide::Impl::on_join_timeout(CallId id) {
  Call* call = find(id);
  if (call == nullptr || call->state != CallState::early) return;
  call->join_timer = 0;
  const std::string group = call->group;
  spdlog::warn("sip: group={} terminal={} step=706 event=master_join_timeout after_s={}", group,
               call->caller, config.master_join_timeout.count());
  // fail_call forgets that the group exists: remember it, or end_broadcast leaves it open.
  const bool group_created = call->media_done;
  fail_call(*call, 408, "Request Timeout",
            "the broadcast's media did not connect within " +
                std::to_string(config.master_join_timeout.count()) + " s");
  end_broadcast(group, "master_join_timeout", false);
  if (group_created) media.close_group(group, [](auto) {});
}

void NetworkSide::Impl::start_viewer_call(nua_handle_t* nh, const sip_t* sip,
                                          const std::string& viewer, const std::string& dialled) {
  answering_invite = SipMetrics::InviteKind::viewer;
  RouteLookups lookups;
  lookups.user_exists = [this](std::string_view number) { return users.exists(number); };
  lookups.target_of = [this](std::string_view number,
                             std::string& error) -> std::optional<std::string> {
    auto target = forwarding.unconditional_target(number);
    if (!target) {
      error = target.error();
      return std::nullopt;
    }
    return *target;
  };
  const auto route = resolve_forwarding(dialled, config.service_number, lookups);
  auto refuse = [&](int status, const char* phrase, const std::string& why) {
    spdlog::info("sip: group={} terminal={} step=710 event=invite_refused status={} reason=\"{}\"",
                 dialled, viewer, status, why);
    respond(nh, status, phrase, why, true);
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
  auto master = broadcasts.find(group);
  if (master == broadcasts.end() || find(master->second) == nullptr ||
      find(master->second)->state != CallState::answered) {
    return refuse(480, "Temporarily Unavailable", group + " is not broadcasting");
  }
  const CallId id = add_call(nh, CallRole::viewer, viewer, group, sip);
  // 710: the call is diverted to the service; tell the caller, as a forwarding switch would.
  respond(nh, 181, "Call Is Being Forwarded", {}, true);
  spdlog::info("sip: group={} terminal={} step=710 event=viewer_invite dialled={} hops={}", group,
               viewer, dialled, route.chain.size() - 1);
  media.admit_viewer(group, viewer,
                     on_loop<control::ViewerAdmitted>([this, id, group, viewer](auto result) {
                       if (find(id) == nullptr) {
                         // Cancelled meanwhile: undo unless another dialog still holds it.
                         if (result) {
                           Call gone;
                           gone.role = CallRole::viewer;
                           gone.group = group;
                           gone.caller = viewer;
                           gone.media_done = true;
                           release_media(gone);
                         }
                         return;
                       }
                       on_viewer_admitted(id, std::move(result));
                     }));
}

void NetworkSide::Impl::on_viewer_admitted(
    CallId id, Result<control::ViewerAdmitted, control::ControlError> result) {
  Call& call = *find(id);
  if (!result) {
    const auto& error = result.error();
    spdlog::info("sip: group={} terminal={} step=712 event=admit_failed error={} message=\"{}\"",
                 call.group, call.caller, control::to_string(error.code), error.message);
    fail_for_media_error(call, error);
    return;
  }
  call.media_done = true;
  if (auto restored = restored_viewers.find(call.group); restored != restored_viewers.end()) {
    restored->second.erase(call.caller);  // this dialog owns the admission now
  }
  auto sdp = make_iptv_sdp(call.offer, IptvSdpParams{result->play_url, id});
  call.sdp = sdp ? *sdp : std::string();
  answer(call, 200, "OK");
  call.state = CallState::answered;
  spdlog::info("sip: group={} terminal={} step=713 event=viewer_answered after_ms={}", call.group,
               call.caller, elapsed_ms(call.invited_at));
}

void NetworkSide::Impl::on_media_event(const core::GroupEvent& event) {
  auto it = broadcasts.find(event.group);
  switch (event.kind) {
    case core::GroupEventKind::master_joined: {
      if (it == broadcasts.end()) return;
      Call* call = find(it->second);
      if (call == nullptr || call->state != CallState::early) return;
      loop->cancel(call->join_timer);
      call->join_timer = 0;
      answer(*call, 200, "OK");
      call->state = CallState::answered;
      spdlog::info("sip: group={} terminal={} step=707 event=broadcast_answered after_ms={}",
                   call->group, call->caller, elapsed_ms(call->invited_at));
      set_master_forwarding(*call);
      on_audience_changed(call->group);
      return;
    }
    case core::GroupEventKind::master_lost:
    case core::GroupEventKind::group_closed:
      if (it == broadcasts.end()) {
        playing.erase(event.group);  // a group without a broadcast here (RTSP only)
        restored_viewers.erase(event.group);
        return;
      }
      spdlog::info("sip: group={} terminal={} step=709 event=media_{} ending_calls=1", event.group,
                   event.terminal, core::to_string(event.kind));
      end_broadcast(event.group, std::string(core::to_string(event.kind)), false);
      return;
    case core::GroupEventKind::viewer_joined:
      playing[event.group].insert(event.terminal);
      on_audience_changed(event.group);
      return;
    // A stalled master keeps its call: the media side ends it with master_lost past the grace.
    case core::GroupEventKind::master_stalled:
    case core::GroupEventKind::master_resumed:
      return;
    case core::GroupEventKind::viewer_left: {
      if (auto group = playing.find(event.group); group != playing.end()) {
        group->second.erase(event.terminal);
        if (group->second.empty() && it == broadcasts.end()) playing.erase(group);
      }
      on_audience_changed(event.group);
      // A viewer of before the restart stopped its media: its BYE cannot reach us (481), so its
      // admission goes now, unless it called again meanwhile.
      auto restored = restored_viewers.find(event.group);
      if (restored != restored_viewers.end() && restored->second.erase(event.terminal) > 0) {
        spdlog::info(
            "sip: group={} terminal={} step=714 event=restored_viewer_left removing_admission=1",
            event.group, event.terminal);
        media.remove_viewer(event.group, event.terminal, [](auto) {});
      }
      return;
    }
  }
}

void NetworkSide::Impl::set_master_forwarding(const Call& call) {
  // 708 ([0154]): the network side points the master's number at the service number itself,
  // so viewers reach the broadcast whatever Ut URL the terminal knows; the terminal's own PUT
  // (older terminals, or --ut-url) then only replaces the rule with the same one.
  auto set = forwarding.set_unconditional(call.group, config.service_number);
  if (!set) {
    spdlog::error("sip: group={} terminal={} step=708 event=forwarding_set_failed error=\"{}\"",
                  call.group, call.caller, set.error());
    return;
  }
  spdlog::info("sip: group={} terminal={} step=708 event=forwarding_set target={} by=network_side",
               call.group, call.caller, config.service_number);
}

void NetworkSide::Impl::on_audience_changed(const std::string& group) {
  auto it = broadcasts.find(group);
  if (it == broadcasts.end()) return;
  Call* master = find(it->second);
  if (master == nullptr || !master->takes_audience || master->restored ||
      master->state != CallState::answered) {
    return;
  }
  const auto viewers = playing.find(group);
  const std::size_t count = viewers == playing.end() ? 0 : viewers->second.size();
  audience_act(master->id, master->audience.on_count(count, std::chrono::steady_clock::now()));
}

void NetworkSide::Impl::audience_act(CallId id, const AudiencePacer::Action& action) {
  Call* call = find(id);
  if (call == nullptr || call->state != CallState::answered) return;
  switch (action.kind) {
    case AudiencePacer::Action::Kind::none:
      return;
    case AudiencePacer::Action::Kind::wait:
      call->audience_timer =
          loop->schedule(static_cast<std::uint32_t>(action.wait.count()), [this, id] {
            Call* waiting = find(id);
            if (waiting == nullptr) return;
            waiting->audience_timer = 0;
            audience_act(id, waiting->audience.on_timer(std::chrono::steady_clock::now()));
          });
      return;
    case AudiencePacer::Action::Kind::send: {
      const std::string package = "Info-Package: " + std::string(kAudiencePackage);
      const std::string content_type(kAudienceContentType);
      const std::string body = make_audience_body(action.viewers);
      nua_info(call->handle, SIPTAG_HEADER_STR(package.c_str()),
               SIPTAG_CONTENT_TYPE_STR(content_type.c_str()), SIPTAG_PAYLOAD_STR(body.c_str()),
               TAG_END());
      spdlog::debug("sip: group={} terminal={} step=709 event=audience_info viewers={}",
                    call->group, call->caller, action.viewers);
      return;
    }
  }
}

void NetworkSide::Impl::on_info_answered(CallId id, int status) {
  Call* call = find(id);
  if (call == nullptr) return;
  if (status >= 300) {
    spdlog::info(
        "sip: group={} terminal={} event=audience_info_refused status={} reports_stopped=1",
        call->group, call->caller, status);
  }
  audience_act(id, call->audience.on_answered(status, std::chrono::steady_clock::now()));
}

void NetworkSide::Impl::on_resync(const std::vector<control::GroupSnapshot>& groups,
                                  control::ResyncCause cause) {
  std::map<std::string, const control::GroupSnapshot*, std::less<>> by_group;
  for (const auto& group : groups)
    by_group[group.group] = &group;
  std::vector<std::string> gone;
  for (const auto& [group, id] : broadcasts) {
    const Call* master = find(id);
    if (master == nullptr || !master->media_done) continue;  // still being created
    auto it = by_group.find(group);
    if (it == by_group.end()) {
      gone.push_back(group);
    } else if ((it->second->state == "live" || it->second->state == "stalled") &&
               master->state == CallState::early) {
      on_media_event(core::GroupEvent{core::GroupEventKind::master_joined, group, group, "resync"});
    }
  }
  // A restarted media side forgot its groups. Re-creating one would need the master's terminal
  // to publish again to a new URL, which nothing in SIP can tell it mid-call (no re-INVITE of
  // ours carries a new publish URI): end the calls and say why in the BYE's Reason.
  const bool media_restarted = cause == control::ResyncCause::media_restarted;
  for (const auto& group : gone) {
    spdlog::warn("sip: group={} step=709 event=resync_group_gone ending_calls=1 cause={}", group,
                 media_restarted ? "media_restarted" : "group_gone");
    end_broadcast(
        group, media_restarted ? "the streaming server restarted" : "group gone on the media side",
        false, media_restarted ? kMediaRestartedReason : kBroadcastEndedReason);
  }
  // Live groups no call here knows: broadcasts of before a restart of this process (or of
  // another one sharing the media side). Rebuild what admitting new viewers needs. The audience
  // of the others is taken from the snapshot too: the events it missed may have changed it.
  std::size_t restored = 0;
  for (const auto& group : groups) {
    if (broadcasts.contains(group.group)) {
      playing[group.group] = playing_viewers(group);
      on_audience_changed(group.group);
      continue;
    }
    // A stalled master is still the group's master until the media side says master_lost.
    if (group.state != "live" && group.state != "stalled") continue;
    restore_broadcast(group);
    ++restored;
  }
  spdlog::info("sip: resync with the media side: {} groups there, {} broadcasts ended, {} restored",
               groups.size(), gone.size(), restored);
}

void NetworkSide::Impl::restore_broadcast(const control::GroupSnapshot& group) {
  const CallId id = next_call++;
  Call call;
  call.id = id;
  call.role = CallRole::master;
  call.state = CallState::answered;
  call.caller = group.master.empty() ? group.group : group.master;
  call.group = group.group;
  call.media_done = true;
  call.restored = true;
  call.invited_at = std::chrono::steady_clock::now();
  calls.emplace(id, std::move(call));
  broadcasts[group.group] = id;
  auto& now_playing = playing[group.group];
  now_playing = playing_viewers(group);
  auto& admitted = restored_viewers[group.group];
  for (const auto& viewer : group.viewers)
    admitted.insert(viewer.viewer);
  auto target = forwarding.unconditional_target(group.group);
  const bool forwarded = target && *target && **target == config.service_number;
  spdlog::info(
      "sip: group={} terminal={} step=703 event=broadcast_restored viewers={} "
      "forwarding_to_service={}",
      group.group, group.master, now_playing.size(), forwarded ? 1 : 0);
}

std::string NetworkSide::Impl::ut_call_info(const Call& call) const {
  std::string base = ut_public_url;
  if (base.empty()) {
    if (http_listen.port == 0) return {};
    std::string host = is_wildcard_host(http_listen.host) ? call.reached_host : http_listen.host;
    if (host.empty()) return {};
    if (host.find(':') != std::string::npos && host.front() != '[') host = "[" + host + "]";
    base = "http://" + host + ":" + std::to_string(http_listen.port);
  }
  return "<" + base + ">;purpose=callcast-ut";
}

void NetworkSide::Impl::answer(Call& call, int status, const char* phrase) {
  // The master's terminal learns where to set its forwarding (708), instead of guessing.
  const std::string call_info = call.role == CallRole::master ? ut_call_info(call) : std::string();
  const std::string contact =
      "<sip:" + (call.role == CallRole::master ? config.service_number : call.group) + "@" +
      (bound.host.find(':') != std::string::npos ? "[" + bound.host + "]" : bound.host) + ":" +
      std::to_string(bound.port) + ";transport=tcp>";
  count_answer(call, status);
  nua_respond(call.handle, status, phrase, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
              SIPTAG_PAYLOAD_STR(call.sdp.c_str()),
              TAG_IF(!call_info.empty(), SIPTAG_CALL_INFO_STR(call_info.c_str())),
              // Over TCP the dialog's later requests must come back over TCP (NOTES-deps.md).
              TAG_IF(call.tcp, SIPTAG_CONTACT_STR(contact.c_str())), TAG_END());
}

void NetworkSide::Impl::fail_for_media_error(Call& call, const control::ControlError& error) {
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

void NetworkSide::Impl::fail_call(Call& call, int status, const char* phrase,
                                  const std::string& warning, int retry_after_s) {
  if (call.join_timer != 0) loop->cancel(call.join_timer);
  call.join_timer = 0;
  count_answer(call, status);
  const SipMetrics::Answering counted(answering_invite, std::nullopt);  // not again in respond()
  respond(call.handle, status, phrase, warning, false, retry_after_s);
  release_media(call);
  call.media_done = false;
  call.state = CallState::ending;
}

void NetworkSide::Impl::hang_up(Call& call, const std::string& why, const std::string& bye_reason) {
  if (call.audience_timer != 0) loop->cancel(call.audience_timer);
  call.audience_timer = 0;
  if (call.state == CallState::answered) {
    nua_bye(call.handle, SIPTAG_REASON_STR(bye_reason.c_str()), TAG_END());
    spdlog::info("sip: group={} terminal={} step=714 event=bye_sent role={} reason=\"{}\"",
                 call.group, call.caller, role_name(call.role), why);
    if (call.role == CallRole::viewer) release_media(call);
    call.media_done = false;
    call.state = CallState::ending;
  } else if (call.state != CallState::ending) {
    fail_call(call, 480, "Temporarily Unavailable", "the broadcast ended: " + why);
  }
}

void NetworkSide::Impl::release_media(const Call& call) {
  if (!call.media_done || call.role != CallRole::viewer) return;
  for (const auto& [id, other] : calls) {
    if (other.id != call.id && other.role == CallRole::viewer && other.media_done &&
        other.group == call.group && other.caller == call.caller) {
      return;  // the same viewer still watches through another dialog
    }
  }
  media.remove_viewer(call.group, call.caller, [](auto) {});
}

void NetworkSide::Impl::end_broadcast(const std::string& group, const std::string& why,
                                      bool close_media, const std::string& bye_reason) {
  auto it = broadcasts.find(group);
  if (it != broadcasts.end()) {
    const CallId master_id = it->second;
    if (Call* master = find(master_id); master != nullptr) {
      // A restored broadcast's group always goes: it takes the viewers whose dialogs are
      // unknown here (they cannot be sent a BYE) off the media side with it.
      close_media = (close_media || master->restored) && master->media_done;
      master->media_done = false;
      if (master->restored) {
        if (master->audience_timer != 0) loop->cancel(master->audience_timer);
        spdlog::info(
            "sip: group={} terminal={} step=703 event=restored_broadcast_ended "
            "reason=\"{}\" bye_sent=0",
            group, master->caller, why);
        calls.erase(master_id);  // no dialog: the stack will not report its end
      } else {
        hang_up(*master, why, bye_reason);
      }
    }
    broadcasts.erase(it);
  }
  for (auto& [id, call] : calls) {
    if (call.role == CallRole::viewer && call.group == group && call.state != CallState::ending) {
      call.media_done = false;  // the group goes as a whole
      hang_up(call, why, bye_reason);
    }
  }
  playing.erase(group);
  restored_viewers.erase(group);
  if (close_media) media.close_group(group, [](auto) {});
  auto cleared = forwarding.clear_unconditional_if(group, config.service_number);
  if (!cleared) {
    spdlog::error("sip: group={} event=forwarding_clear_failed error=\"{}\"", group,
                  cleared.error());
  } else if (*cleared) {
    spdlog::info("sip: group={} terminal={} step=708 event=forwarding_cleared", group, group);
  }
  spdlog::info("sip: group={} step=703 event=broadcast_ended reason=\"{}\"", group, why);
}

void NetworkSide::Impl::on_call_ended(CallId id, const char* why) {
  auto it = calls.find(id);
  if (it == calls.end()) return;
  Call call = std::move(it->second);
  calls.erase(it);
  if (call.join_timer != 0) loop->cancel(call.join_timer);
  if (call.audience_timer != 0) loop->cancel(call.audience_timer);
  spdlog::info("sip: group={} terminal={} step={} event=call_ended role={} by={} after_ms={}",
               call.group, call.caller, call.role == CallRole::master ? 703 : 714,
               role_name(call.role), why, elapsed_ms(call.invited_at));
  if (call.role == CallRole::master) {
    auto master = broadcasts.find(call.group);
    if (master != broadcasts.end() && master->second == id) {
      broadcasts.erase(master);
      // Put it back for end_broadcast without the call itself, which needs no BYE.
      const bool close_media = call.media_done;
      end_broadcast(call.group, std::string("master ") + why, false);
      if (close_media) media.close_group(call.group, [](auto) {});
    }
  } else {
    release_media(call);
  }
}

}  // namespace callcast::sip
