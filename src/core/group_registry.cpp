#include "core/group_registry.hpp"

#include <utility>

namespace callcast::core {

std::string_view to_string(GroupState state) {
  switch (state) {
    case GroupState::waiting_for_master:
      return "waiting_for_master";
    case GroupState::live:
      return "live";
    case GroupState::stalled:
      return "stalled";
    case GroupState::closed:
      return "closed";
  }
  return "unknown";
}

std::string_view to_string(GroupEventKind kind) {
  switch (kind) {
    case GroupEventKind::master_joined:
      return "master_joined";
    case GroupEventKind::master_lost:
      return "master_lost";
    case GroupEventKind::viewer_joined:
      return "viewer_joined";
    case GroupEventKind::viewer_left:
      return "viewer_left";
    case GroupEventKind::group_closed:
      return "group_closed";
    case GroupEventKind::master_stalled:
      return "master_stalled";
    case GroupEventKind::master_resumed:
      return "master_resumed";
  }
  return "unknown";
}

std::optional<GroupEventKind> parse_group_event_kind(std::string_view text) {
  for (const GroupEventKind kind :
       {GroupEventKind::master_joined, GroupEventKind::master_lost, GroupEventKind::viewer_joined,
        GroupEventKind::viewer_left, GroupEventKind::group_closed, GroupEventKind::master_stalled,
        GroupEventKind::master_resumed}) {
    if (to_string(kind) == text) return kind;
  }
  return std::nullopt;
}

std::string_view to_string(RegistryError error) {
  switch (error) {
    case RegistryError::invalid_number:
      return "invalid_number";
    case RegistryError::group_exists:
      return "group_exists";
    case RegistryError::no_such_group:
      return "no_such_group";
    case RegistryError::too_many_groups:
      return "too_many_groups";
    case RegistryError::group_full:
      return "group_full";
    case RegistryError::no_such_viewer:
      return "no_such_viewer";
    case RegistryError::publisher_present:
      return "publisher_present";
    case RegistryError::not_the_master:
      return "not_the_master";
  }
  return "unknown";
}

namespace {

constexpr std::size_t kMaxNumberLength = 32;

constexpr bool is_number_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '+' ||
         c == '.' || c == '_' || c == '-';
}

}  // namespace

bool is_valid_number(std::string_view number) {
  if (number.empty() || number.size() > kMaxNumberLength) return false;
  for (char c : number) {
    if (!is_number_char(c)) return false;
  }
  return true;
}

GroupRegistry::GroupRegistry(RegistryLimits limits, GroupEventSink& sink)
    : limits_(limits), sink_(sink) {}

// Every mutating method below finishes its bookkeeping before emitting, copies what the event
// needs, and looks the group up again afterwards: a sink may call back into the registry (even
// close the group) from on_group_event, which would invalidate any reference held across emit().

Result<const Group*, RegistryError> GroupRegistry::create_group(std::string_view master,
                                                                std::int64_t now_unix) {
  if (!is_valid_number(master)) return fail(RegistryError::invalid_number);
  if (groups_.contains(master)) return fail(RegistryError::group_exists);
  if (groups_.size() >= limits_.max_groups) return fail(RegistryError::too_many_groups);
  Group group;
  group.id = std::string(master);
  group.created_unix = now_unix;
  auto [it, inserted] = groups_.emplace(group.id, std::move(group));
  return static_cast<const Group*>(&it->second);
}

Result<const Group*, RegistryError> GroupRegistry::admit_viewer(std::string_view group,
                                                                std::string_view viewer) {
  Group* found = find_mutable(group);
  if (found == nullptr) return fail(RegistryError::no_such_group);
  if (!is_valid_number(viewer)) return fail(RegistryError::invalid_number);
  if (found->viewers.contains(viewer)) return static_cast<const Group*>(found);
  if (found->viewers.size() >= limits_.max_viewers_per_group) {
    return fail(RegistryError::group_full);
  }
  found->viewers.emplace(std::string(viewer), AdmittedViewer{});
  return static_cast<const Group*>(found);
}

Result<const Group*, RegistryError> GroupRegistry::remove_viewer(std::string_view group,
                                                                 std::string_view viewer,
                                                                 std::string_view reason) {
  return drop_viewer(group, viewer, reason, /*tell_unplayed=*/false);
}

Result<const Group*, RegistryError> GroupRegistry::expire_admission(std::string_view group,
                                                                    std::string_view viewer,
                                                                    std::string_view reason) {
  return drop_viewer(group, viewer, reason, /*tell_unplayed=*/true);
}

Result<const Group*, RegistryError> GroupRegistry::drop_viewer(std::string_view group,
                                                               std::string_view viewer,
                                                               std::string_view reason,
                                                               bool tell_unplayed) {
  Group* found = find_mutable(group);
  if (found == nullptr) return fail(RegistryError::no_such_group);
  auto it = found->viewers.find(viewer);
  if (it == found->viewers.end()) return fail(RegistryError::no_such_viewer);
  const bool tell = tell_unplayed || it->second.playing;
  std::string group_id = found->id;
  std::string viewer_id = it->first;
  found->viewers.erase(it);
  if (tell) emit(GroupEventKind::viewer_left, group_id, viewer_id, reason);
  return find(group_id);
}

Result<const Group*, RegistryError> GroupRegistry::publisher_joined(std::string_view group,
                                                                    std::string_view master) {
  Group* found = find_mutable(group);
  if (found == nullptr) return fail(RegistryError::no_such_group);
  if (master != found->id) return fail(RegistryError::not_the_master);
  if (!found->publisher.empty()) return fail(RegistryError::publisher_present);
  found->publisher = found->id;
  found->state = GroupState::live;
  std::string group_id = found->id;
  emit(GroupEventKind::master_joined, group_id, group_id, "");
  return find(group_id);
}

Result<const Group*, RegistryError> GroupRegistry::publisher_left(std::string_view group) {
  Group* found = find_mutable(group);
  if (found == nullptr) return fail(RegistryError::no_such_group);
  found->publisher.clear();
  found->state = GroupState::waiting_for_master;
  return static_cast<const Group*>(found);
}

Result<const Group*, RegistryError> GroupRegistry::publisher_stalled(std::string_view group,
                                                                     std::string_view reason) {
  Group* found = find_mutable(group);
  if (found == nullptr) return fail(RegistryError::no_such_group);
  if (found->state != GroupState::live) return static_cast<const Group*>(found);
  found->state = GroupState::stalled;
  std::string group_id = found->id;
  emit(GroupEventKind::master_stalled, group_id, group_id, reason);
  return find(group_id);
}

Result<const Group*, RegistryError> GroupRegistry::publisher_resumed(std::string_view group,
                                                                     std::string_view reason) {
  Group* found = find_mutable(group);
  if (found == nullptr) return fail(RegistryError::no_such_group);
  if (found->state != GroupState::stalled) return static_cast<const Group*>(found);
  found->state = GroupState::live;
  std::string group_id = found->id;
  emit(GroupEventKind::master_resumed, group_id, group_id, reason);
  return find(group_id);
}

Result<const Group*, RegistryError> GroupRegistry::viewer_playing(std::string_view group,
                                                                  std::string_view viewer) {
  Group* found = find_mutable(group);
  if (found == nullptr) return fail(RegistryError::no_such_group);
  auto it = found->viewers.find(viewer);
  if (it == found->viewers.end()) return fail(RegistryError::no_such_viewer);
  if (it->second.playing) return static_cast<const Group*>(found);
  it->second.playing = true;
  std::string group_id = found->id;
  std::string viewer_id = it->first;
  emit(GroupEventKind::viewer_joined, group_id, viewer_id, "");
  return find(group_id);
}

Result<const Group*, RegistryError> GroupRegistry::viewer_stopped(std::string_view group,
                                                                  std::string_view viewer,
                                                                  std::string_view reason) {
  Group* found = find_mutable(group);
  if (found == nullptr) return fail(RegistryError::no_such_group);
  auto it = found->viewers.find(viewer);
  if (it == found->viewers.end()) return fail(RegistryError::no_such_viewer);
  if (!it->second.playing) return static_cast<const Group*>(found);
  it->second.playing = false;
  std::string group_id = found->id;
  std::string viewer_id = it->first;
  emit(GroupEventKind::viewer_left, group_id, viewer_id, reason);
  return find(group_id);
}

Result<bool, RegistryError> GroupRegistry::close_group(std::string_view group,
                                                       std::string_view reason, bool master_lost) {
  auto it = groups_.find(group);
  if (it == groups_.end()) return fail(RegistryError::no_such_group);
  // Removed before the first event, so a sink that looks the group up (or tries to close it
  // again) sees it gone rather than half-closed.
  auto node = groups_.extract(it);
  Group& closing = node.mapped();
  closing.state = GroupState::closed;
  for (const auto& [viewer, admitted] : closing.viewers) {
    if (admitted.playing) emit(GroupEventKind::viewer_left, closing.id, viewer, reason);
  }
  if (master_lost) emit(GroupEventKind::master_lost, closing.id, closing.id, reason);
  emit(GroupEventKind::group_closed, closing.id, closing.id, reason);
  return true;
}

const Group* GroupRegistry::find(std::string_view group) const {
  auto it = groups_.find(group);
  return it == groups_.end() ? nullptr : &it->second;
}

std::vector<const Group*> GroupRegistry::groups() const {
  std::vector<const Group*> result;
  result.reserve(groups_.size());
  for (const auto& [id, group] : groups_)
    result.push_back(&group);
  return result;
}

Group* GroupRegistry::find_mutable(std::string_view group) {
  auto it = groups_.find(group);
  return it == groups_.end() ? nullptr : &it->second;
}

void GroupRegistry::emit(GroupEventKind kind, const std::string& group, const std::string& terminal,
                         std::string_view reason) {
  sink_.on_group_event(GroupEvent{kind, group, terminal, std::string(reason)});
}

}  // namespace callcast::core
