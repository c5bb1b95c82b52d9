#pragma once
// The temporary user groups of the patent (module 602, steps 703 and 712): pure bookkeeping, no
// I/O and no threads. The media service owns one registry and drives it from its event loop.
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace callcast::core {

// stalled: the master's connection is up but its media stopped (media.publisher_stall_s).
enum class GroupState { waiting_for_master, live, stalled, closed };
std::string_view to_string(GroupState state);

enum class GroupEventKind {
  master_joined,
  master_lost,
  viewer_joined,
  viewer_left,
  group_closed,
  master_stalled,  // 708: the live master's media stopped while its connection stays up
  master_resumed,  // 708: ...and came back before the group was given up
};
std::string_view to_string(GroupEventKind kind);
// "master_joined" -> GroupEventKind::master_joined; nullopt for anything else (a kind a newer
// media side reports and this build does not know).
std::optional<GroupEventKind> parse_group_event_kind(std::string_view text);

struct GroupEvent {
  GroupEventKind kind;
  std::string group;
  std::string terminal;  // the master's or the viewer's number
  std::string reason;    // for people and logs: "teardown", "timeout", "deleted", ...
};

class GroupEventSink {
 public:
  virtual ~GroupEventSink() = default;
  virtual void on_group_event(const GroupEvent& event) = 0;
};

struct AdmittedViewer {
  bool playing = false;  // has a media session delivering to it (step 714 done)
};

struct Group {
  std::string id;  // the master's number (step 704)
  GroupState state = GroupState::waiting_for_master;
  std::string publisher;  // the master's number while its media is connected, else empty
  std::map<std::string, AdmittedViewer, std::less<>> viewers;
  std::int64_t created_unix = 0;
};

enum class RegistryError {
  invalid_number,  // empty, too long, or not [0-9A-Za-z+._-]
  group_exists,    // a group for this master exists already
  no_such_group,
  too_many_groups,    // RegistryLimits::max_groups reached
  group_full,         // RegistryLimits::max_viewers_per_group reached
  no_such_viewer,     // not admitted in this group
  publisher_present,  // the group already has a connected publisher
  not_the_master,     // only the group's own master may publish into it
};
std::string_view to_string(RegistryError error);

struct RegistryLimits {
  std::size_t max_groups = 1000;
  std::size_t max_viewers_per_group = 1000;
};

// A terminal number: 1-32 characters of [0-9A-Za-z+._-]. Used for groups, masters and viewers.
bool is_valid_number(std::string_view number);

// Events reach the sink synchronously, after the registry's own bookkeeping is done, so a sink may
// call back into the registry. A method that emitted returns the group as it is after the sink
// returned: nullptr if the sink closed the group meanwhile.
class GroupRegistry {
 public:
  GroupRegistry(RegistryLimits limits, GroupEventSink& sink);

  // 703: a new group for `master`, waiting for it to connect.
  Result<const Group*, RegistryError> create_group(std::string_view master, std::int64_t now_unix);
  // 712: admit a viewer; admitting one already admitted succeeds and changes nothing.
  Result<const Group*, RegistryError> admit_viewer(std::string_view group, std::string_view viewer);
  // Revokes an admission; emits viewer_left when the viewer was playing.
  Result<const Group*, RegistryError> remove_viewer(std::string_view group, std::string_view viewer,
                                                    std::string_view reason);
  // An admission that lapsed (its play token expired and no session uses it): removed like
  // remove_viewer, and always told with viewer_left, so that whoever lists the audience sees it
  // go even though it never played.
  Result<const Group*, RegistryError> expire_admission(std::string_view group,
                                                       std::string_view viewer,
                                                       std::string_view reason);

  // 706: the master's media connected; emits master_joined, state -> live.
  Result<const Group*, RegistryError> publisher_joined(std::string_view group,
                                                       std::string_view master);
  // The master's media went away; state -> waiting_for_master, no event (the media side emits
  // master_lost through close_group if the master does not come back within its grace period).
  Result<const Group*, RegistryError> publisher_left(std::string_view group);
  // 708: the connected master sent no media for the stall time: live -> stalled, emits
  // master_stalled; and back: stalled -> live, emits master_resumed. Either one out of turn (not
  // live, resp. not stalled) changes nothing and emits nothing.
  Result<const Group*, RegistryError> publisher_stalled(std::string_view group,
                                                        std::string_view reason);
  Result<const Group*, RegistryError> publisher_resumed(std::string_view group,
                                                        std::string_view reason);

  // 714: a viewer's media session started or ended; emits viewer_joined / viewer_left.
  Result<const Group*, RegistryError> viewer_playing(std::string_view group,
                                                     std::string_view viewer);
  Result<const Group*, RegistryError> viewer_stopped(std::string_view group,
                                                     std::string_view viewer,
                                                     std::string_view reason);

  // Removes the group: viewer_left for each playing viewer, master_lost when `master_lost`, then
  // group_closed.
  Result<bool, RegistryError> close_group(std::string_view group, std::string_view reason,
                                          bool master_lost = false);

  const Group* find(std::string_view group) const;
  std::vector<const Group*> groups() const;  // ordered by id
  std::size_t size() const { return groups_.size(); }
  const RegistryLimits& limits() const { return limits_; }

 private:
  Group* find_mutable(std::string_view group);
  // Removes an admission; viewer_left is told when the viewer was playing or `tell_unplayed`.
  Result<const Group*, RegistryError> drop_viewer(std::string_view group, std::string_view viewer,
                                                  std::string_view reason, bool tell_unplayed);
  void emit(GroupEventKind kind, const std::string& group, const std::string& terminal,
            std::string_view reason);

  RegistryLimits limits_;
  GroupEventSink& sink_;
  std::map<std::string, Group, std::less<>> groups_;
};

}  // namespace callcast::core
