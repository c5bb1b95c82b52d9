#include "sip/signaling_core.hpp"

#include <spdlog/spdlog.h>

namespace callcast::sip {
namespace {

constexpr auto kSweepInterval = std::chrono::seconds(30);

}  // namespace

SignalingCore::SignalingCore(core::SipConfig config, Dependencies dependencies)
    : config_(std::move(config)),
      deps_(std::move(dependencies)),
      local_registrar_(registrar_limits(config_)),
      registrar_(deps_.registrations != nullptr ? *deps_.registrations : local_registrar_),
      authenticator_(deps_.authenticator, deps_.users, deps_.stack, counters_),
      register_handler_(registrar_, authenticator_, deps_.stack, deps_.time, counters_),
      audience_(table_, deps_.stack, deps_.time, deps_.timers),
      calls_(
          config_, table_, counters_,
          CallController::Services{deps_.media, deps_.forwarding, deps_.users, authenticator_,
                                   deps_.stack, audience_, deps_.time, deps_.timers, deps_.post}),
      media_sync_(config_, table_, calls_, audience_, deps_.media, deps_.forwarding, deps_.time,
                  deps_.cluster_node) {}

void SignalingCore::start(core::HostPort bound) {
  calls_.set_bound(std::move(bound));
  sweep_timer_ = deps_.timers.create_timer([this] {
    const auto dropped = registrar_.sweep(deps_.time.now());
    if (dropped > 0) spdlog::debug("sip: registrar dropped {} expired bindings", dropped);
    sweep_timer_->enable(kSweepInterval);
  });
  sweep_timer_->enable(kSweepInterval);
}

void SignalingCore::set_ut_endpoint(std::string public_url, core::HostPort http_listen) {
  calls_.set_ut_endpoint(std::move(public_url), std::move(http_listen));
}

void SignalingCore::on_invite(StackHandle handle, const SipRequest& request) {
  calls_.on_invite(handle, request);
}

void SignalingCore::on_register(StackHandle handle, const SipRequest& request) {
  register_handler_.on_register(handle, request);
}

void SignalingCore::on_call_ended(CallId call, const char* why) {
  calls_.on_call_ended(call, why);
}

void SignalingCore::on_call_confirmed(CallId call) {
  calls_.on_call_confirmed(call);
}

void SignalingCore::on_info_answered(CallId call, int status) {
  audience_.on_info_answered(call, status);
}

void SignalingCore::stop(const std::string& why) {
  sweep_timer_.reset();
  calls_.end_all(why);
}

SignalingStats SignalingCore::stats() {
  SignalingStats stats = counters_;
  stats.calls = table_.calls.size();
  stats.broadcasts = table_.broadcasts.size();
  stats.viewer_calls = 0;
  for (const auto& [id, call] : table_.calls) {
    if (call.role == CallRole::viewer) ++stats.viewer_calls;
  }
  for (const auto& [group, id] : table_.broadcasts) {
    const Call* master = table_.find(id);
    if (master == nullptr) continue;
    if (master->restored) ++stats.restored_broadcasts;
    const auto playing = table_.playing.find(group);
    const char* state = master->state == CallState::setting_up ? "setting_up"
                        : master->state == CallState::early    ? "early"
                        : master->state == CallState::answered ? "live"
                                                               : "ending";
    stats.broadcast_list.push_back({group, state, master->restored,
                                    playing == table_.playing.end() ? 0 : playing->second.size()});
  }
  stats.registrations = registrar_.binding_count();
  stats.registered_users = registrar_.user_count();
  return stats;
}

}  // namespace callcast::sip
