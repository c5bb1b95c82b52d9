#include "sip/audience_reporter.hpp"

#include <spdlog/spdlog.h>

#include "sipwire/audience_info.hpp"

namespace callcast::sip {

void AudienceReporter::on_audience_changed(const std::string& group) {
  Call* master = table_.master_of(group);
  if (master == nullptr || !master->takes_audience || master->restored ||
      master->state != CallState::answered) {
    return;
  }
  const auto viewers = table_.playing.find(group);
  const std::size_t count = viewers == table_.playing.end() ? 0 : viewers->second.size();
  act(master->id, master->audience.on_count(count, time_.now()));
}

void AudienceReporter::on_info_answered(CallId id, int status) {
  Call* call = table_.find(id);
  if (call == nullptr) return;
  if (status >= 300) {
    spdlog::info(
        "sip: group={} terminal={} event=audience_info_refused status={} reports_stopped=1",
        call->group, call->caller, status);
  }
  act(id, call->audience.on_answered(status, time_.now()));
}

void AudienceReporter::act(CallId id, const AudiencePacer::Action& action) {
  Call* call = table_.find(id);
  if (call == nullptr || call->state != CallState::answered) return;
  switch (action.kind) {
    case AudiencePacer::Action::Kind::none:
      return;
    case AudiencePacer::Action::Kind::wait:
      // The pacer waits for one timer at a time, so one timer per call is re-armed.
      if (!call->audience_timer) {
        call->audience_timer = timers_.create_timer([this, id] {
          Call* waiting = table_.find(id);
          if (waiting == nullptr) return;
          act(id, waiting->audience.on_timer(time_.now()));
        });
      }
      call->audience_timer->enable(action.wait);
      return;
    case AudiencePacer::Action::Kind::send: {
      stack_.info(call->handle, std::string(kAudiencePackage), std::string(kAudienceContentType),
                  make_audience_body(action.viewers));
      spdlog::debug("sip: group={} terminal={} step=709 event=audience_info viewers={}",
                    call->group, call->caller, action.viewers);
      return;
    }
  }
}

}  // namespace callcast::sip
