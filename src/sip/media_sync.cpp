#include "sip/media_sync.hpp"

#include <spdlog/spdlog.h>

namespace callcast::sip {
namespace {

// The viewers of a snapshot whose media session runs (viewer_joined without viewer_left).
std::set<std::string> playing_viewers(const control::GroupSnapshot& group) {
  std::set<std::string> viewers;
  for (const auto& viewer : group.viewers) {
    if (viewer.state == "playing" || viewer.state == "paused") viewers.insert(viewer.viewer);
  }
  return viewers;
}

}  // namespace

void MediaSync::clear_stale_forwarding(const std::string& group) {
  // The broadcast's own node clears its 708 rule when it ends it. That node may be gone (issue
  // 15: a cluster's signaling node killed while its broadcasts lived on the media side), and the
  // master's terminal may not reach its Ut API any more either, so every node that hears the
  // end clears a rule that still points at the service number: compare-and-delete, so a rule
  // its user set elsewhere stays, and several nodes doing it is harmless.
  if (!config_.auto_forwarding) return;
  auto cleared = forwarding_.clear_unconditional_if(group, config_.service_number);
  if (!cleared) {
    spdlog::error("sip: group={} event=forwarding_clear_failed error=\"{}\"", group,
                  cleared.error());
  } else if (*cleared) {
    spdlog::info("sip: group={} terminal={} step=708 event=forwarding_cleared held_here=0", group,
                 group);
  }
}

void MediaSync::on_media_event(const core::GroupEvent& event) {
  const bool broadcasting = table_.broadcasts.contains(event.group);
  switch (event.kind) {
    case core::GroupEventKind::master_joined: {
      Call* call = table_.master_of(event.group);
      if (call == nullptr || call->state != CallState::early) return;
      calls_.on_master_joined(*call);
      return;
    }
    case core::GroupEventKind::master_lost:
    case core::GroupEventKind::group_closed:
      // An edge node's copy of the group went (issue 15): the broadcast itself goes on at its
      // origin, and so do its calls.
      if (event.reason == "edge_closed" || event.reason == "origin_lost") return;
      if (!broadcasting) {
        table_.playing.erase(event.group);  // a group without a broadcast here (RTSP only)
        table_.restored_viewers.erase(event.group);
        clear_stale_forwarding(event.group);
        return;
      }
      spdlog::info("sip: group={} terminal={} step=709 event=media_{} ending_calls=1", event.group,
                   event.terminal, core::to_string(event.kind));
      // Issue 15: a lost media node's groups end with a BYE that says so (not re-created: the
      // broadcaster cannot be given a new publish URL mid-call; it may call again).
      calls_.end_broadcast(
          event.group, std::string(core::to_string(event.kind)), false,
          event.reason == kMediaNodeLostEvent ? kMediaNodeLostReason : kBroadcastEndedReason);
      return;
    case core::GroupEventKind::viewer_joined:
      table_.playing[event.group].insert(event.terminal);
      calls_.on_viewer_playing(event.group, event.terminal);
      audience_.on_audience_changed(event.group);
      return;
    // A stalled master keeps its call: the media side ends it with master_lost past the grace.
    case core::GroupEventKind::master_stalled:
    case core::GroupEventKind::master_resumed:
      return;
    case core::GroupEventKind::viewer_left: {
      if (auto group = table_.playing.find(event.group); group != table_.playing.end()) {
        group->second.erase(event.terminal);
        if (group->second.empty() && !broadcasting) table_.playing.erase(group);
      }
      audience_.on_audience_changed(event.group);
      // A viewer of before the restart stopped its media: its BYE cannot reach us (481), so its
      // admission goes now, unless it called again meanwhile.
      auto restored = table_.restored_viewers.find(event.group);
      if (restored != table_.restored_viewers.end() && restored->second.erase(event.terminal) > 0) {
        spdlog::info(
            "sip: group={} terminal={} step=714 event=restored_viewer_left removing_admission=1",
            event.group, event.terminal);
        media_.remove_viewer(event.group, event.terminal, [](auto) {});
      }
      // The media side ended the session on its own (silence, lost connection...): the calls
      // whose media it was must not stay up with nothing in them (issue 13).
      calls_.on_viewer_media_ended(event.group, event.terminal, event.reason);
      return;
    }
  }
}

void MediaSync::on_resync(const std::vector<control::GroupSnapshot>& groups,
                          control::ResyncCause cause) {
  std::map<std::string, const control::GroupSnapshot*, std::less<>> by_group;
  for (const auto& group : groups)
    by_group[group.group] = &group;
  std::vector<std::string> gone;
  for (const auto& [group, id] : table_.broadcasts) {
    const Call* master = table_.find(id);
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
    calls_.end_broadcast(
        group, media_restarted ? "the streaming server restarted" : "group gone on the media side",
        false, media_restarted ? kMediaRestartedReason : kBroadcastEndedReason);
  }
  // Live groups no call here knows: broadcasts of before a restart of this process (or of
  // another one sharing the media side). Rebuild what admitting new viewers needs. The audience
  // of the others is taken from the snapshot too: the events it missed may have changed it.
  std::size_t restored = 0;
  for (const auto& group : groups) {
    if (table_.broadcasts.contains(group.group)) {
      table_.playing[group.group] = playing_viewers(group);
      // A viewer_joined missed meanwhile must not let a playing call's start timer end it.
      for (const auto& viewer : table_.playing[group.group])
        calls_.on_viewer_playing(group.group, viewer);
      audience_.on_audience_changed(group.group);
      continue;
    }
    // A stalled master is still the group's master until the media side says master_lost.
    if (group.state != "live" && group.state != "stalled") continue;
    calls_.restore_broadcast(group, /*adopted=*/cluster_node_);
    ++restored;
  }
  spdlog::info("sip: resync with the media side: {} groups there, {} broadcasts ended, {} restored",
               groups.size(), gone.size(), restored);
}

}  // namespace callcast::sip
