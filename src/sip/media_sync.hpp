#pragma once
// The network side following the media side: its group events (706 master_joined, viewers
// joining and leaving, master_lost / group_closed ending the calls) and a resync against its
// snapshot when events may have been missed (a restart of either side). SIP thread only.
#include <vector>

#include "control/media_control.hpp"
#include "control/resync_cause.hpp"
#include "core/config.hpp"
#include "core/time_source.hpp"
#include "forwarding/forwarding_rules.hpp"
#include "sip/audience_reporter.hpp"
#include "sip/call_controller.hpp"
#include "sip/call_table.hpp"

namespace callcast::sip {

class MediaSync {
 public:
  MediaSync(const core::SipConfig& config, CallTable& table, CallController& calls,
            AudienceReporter& audience, control::MediaControl& media,
            forwarding::ForwardingRules& forwarding, const core::TimeSource& time,
            bool cluster_node)
      : config_(config),
        table_(table),
        calls_(calls),
        audience_(audience),
        media_(media),
        forwarding_(forwarding),
        time_(time),
        cluster_node_(cluster_node) {}

  void on_media_event(const core::GroupEvent& event);
  void on_resync(const std::vector<control::GroupSnapshot>& groups, control::ResyncCause cause);

 private:
  // A group no broadcast here held ended: its forwarding to the service number goes.
  void clear_stale_forwarding(const std::string& group);

  const core::SipConfig& config_;
  CallTable& table_;
  CallController& calls_;
  AudienceReporter& audience_;
  control::MediaControl& media_;
  forwarding::ForwardingRules& forwarding_;
  const core::TimeSource& time_;
  // Issue 15: a group restored here may be another signaling node's broadcast (or one whose
  // owner died): restored as adopted, so that this node's graceful stop leaves it to the
  // cluster. Alone, a restored group is this process's own of before a restart, and closes.
  bool cluster_node_;
};

}  // namespace callcast::sip
