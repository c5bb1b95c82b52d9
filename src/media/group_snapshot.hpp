#pragma once
// A group as the control API shows it (GET /v1/groups): state, publisher, tracks and viewers with
// their counters, read from the registry, the group's media and its recording publisher.
#include "control/media_control.hpp"
#include "core/group_registry.hpp"
#include "media/relay_packet.hpp"

namespace callcast::media {

class GroupMedia;
class PublisherSession;

// `media` and `publisher` may be null (the group waits for its master).
control::GroupSnapshot make_group_snapshot(const core::Group& group, const GroupMedia* media,
                                           const PublisherSession* publisher,
                                           Clock::time_point now);

}  // namespace callcast::media
