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

#include <string_view>

#include "core/group_registry.hpp"
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

long long elapsed_ms(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               since)
      .count();
}

}  // namespace

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
  calls.emplace(id, std::move(call));
  nua_handle_bind(nh, reinterpret_cast<nua_hmagic_t*>(static_cast<std::uintptr_t>(id)));
  return id;
}

void NetworkSide::Impl::on_invite(nua_handle_t* nh, const sip_t* sip) {
  ++counters.invites;
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
    start_broadcast(nh, sip, *user);
  } else {
    start_viewer_call(nh, sip, *user, dialled);
  }
}

void NetworkSide::Impl::start_broadcast(nua_handle_t* nh, const sip_t* sip,
                                        const std::string& master) {
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
  spdlog::info("sip: group={} terminal={} step=701 event=broadcast_invite transport={}", master,
               master, find(id)->tcp ? "tcp" : "udp");
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
      return;
    }
    case core::GroupEventKind::master_lost:
    case core::GroupEventKind::group_closed:
      if (it == broadcasts.end()) return;
      spdlog::info("sip: group={} terminal={} step=709 event=media_{} ending_calls=1", event.group,
                   event.terminal, core::to_string(event.kind));
      end_broadcast(event.group, std::string(core::to_string(event.kind)), false);
      return;
    case core::GroupEventKind::viewer_joined:
    case core::GroupEventKind::viewer_left:
    // A stalled master keeps its call: the media side ends it with master_lost past the grace.
    case core::GroupEventKind::master_stalled:
    case core::GroupEventKind::master_resumed:
      return;
  }
}

void NetworkSide::Impl::on_resync(const std::vector<control::GroupSnapshot>& groups) {
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
    } else if (it->second->state == "live" && master->state == CallState::early) {
      on_media_event(core::GroupEvent{core::GroupEventKind::master_joined, group, group, "resync"});
    }
  }
  for (const auto& group : gone) {
    spdlog::warn("sip: group={} step=709 event=resync_group_gone ending_calls=1", group);
    end_broadcast(group, "group gone on the media side", false);
  }
  spdlog::info("sip: resync with the media side: {} groups there, {} broadcasts ended",
               groups.size(), gone.size());
}

void NetworkSide::Impl::answer(Call& call, int status, const char* phrase) {
  const std::string contact =
      "<sip:" + (call.role == CallRole::master ? config.service_number : call.group) + "@" +
      (bound.host.find(':') != std::string::npos ? "[" + bound.host + "]" : bound.host) + ":" +
      std::to_string(bound.port) + ";transport=tcp>";
  nua_respond(call.handle, status, phrase, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
              SIPTAG_PAYLOAD_STR(call.sdp.c_str()),
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
  respond(call.handle, status, phrase, warning, false, retry_after_s);
  release_media(call);
  call.media_done = false;
  call.state = CallState::ending;
}

void NetworkSide::Impl::hang_up(Call& call, const std::string& why) {
  if (call.state == CallState::answered) {
    nua_bye(call.handle, SIPTAG_REASON_STR("SIP;cause=200;text=\"broadcast ended\""), TAG_END());
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
                                      bool close_media) {
  auto it = broadcasts.find(group);
  if (it != broadcasts.end()) {
    if (Call* master = find(it->second); master != nullptr) {
      close_media = close_media && master->media_done;
      master->media_done = false;
      hang_up(*master, why);
    }
    broadcasts.erase(it);
  }
  for (auto& [id, call] : calls) {
    if (call.role == CallRole::viewer && call.group == group && call.state != CallState::ending) {
      call.media_done = false;  // the group goes as a whole
      hang_up(call, why);
    }
  }
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
