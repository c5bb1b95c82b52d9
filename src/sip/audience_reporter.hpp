#pragma once
// Step 709's audience: tells a master that takes the callcast-audience INFO package (RFC 6086)
// how many viewers play its group, paced by the call's AudiencePacer on injected time.
#include <string>

#include "core/time_source.hpp"
#include "sip/call_table.hpp"
#include "sip/sip_stack.hpp"

namespace callcast::sip {

class AudienceReporter {
 public:
  AudienceReporter(CallTable& table, SipStack& stack, const core::TimeSource& time,
                   core::TimerFactory& timers)
      : table_(table), stack_(stack), time_(time), timers_(timers) {}

  // The group's playing viewers changed (or its master was just answered).
  void on_audience_changed(const std::string& group);
  // The master answered an INFO of ours.
  void on_info_answered(CallId id, int status);

 private:
  void act(CallId id, const AudiencePacer::Action& action);

  CallTable& table_;
  SipStack& stack_;
  const core::TimeSource& time_;
  core::TimerFactory& timers_;
};

}  // namespace callcast::sip
