#pragma once
// Why the network side compares its calls with the media side's groups (a resync), when the
// media side's event feed may have left it behind.

namespace callcast::control {

enum class ResyncCause {
  first_contact,    // the event feed just started: what happened before is unknown
  media_restarted,  // the media side answers with a new epoch: its groups are gone
  events_missed,    // its bounded event ring dropped events this reader had not seen
};

}  // namespace callcast::control
