#include "sip/sip_metrics.hpp"

#include <string>

#include "stats/catalog.hpp"

namespace callcast::sip {

namespace {

std::string_view name_of(SipMetrics::InviteKind kind) {
  switch (kind) {
    case SipMetrics::InviteKind::service:
      return "service";
    case SipMetrics::InviteKind::viewer:
      return "viewer";
    case SipMetrics::InviteKind::unclassified:
      break;
  }
  return "unclassified";
}

}  // namespace

SipMetrics::SipMetrics() : setup_service_(stats::kSipSetup), setup_viewer_(stats::kSipSetup) {}

void SipMetrics::invite_answered(InviteKind kind, int status) {
  if (status < 200) return;
  ++finals_[{kind, status}];
}

void SipMetrics::call_set_up(InviteKind kind, std::chrono::steady_clock::duration took) {
  const double seconds = std::chrono::duration<double>(took).count();
  (kind == InviteKind::service ? setup_service_ : setup_viewer_).observe(seconds);
}

std::uint64_t SipMetrics::answered(InviteKind kind, int status) const {
  const auto it = finals_.find({kind, status});
  return it == finals_.end() ? 0 : it->second;
}

const stats::Histogram& SipMetrics::setup_times(InviteKind kind) const {
  return kind == InviteKind::service ? setup_service_ : setup_viewer_;
}

void SipMetrics::expose(stats::Exposition& out) const {
  out.declare(stats::kSipInviteFinals);
  for (const auto& [key, count] : finals_) {
    const std::string status = std::to_string(key.second);
    out.add(stats::kSipInviteFinals, {name_of(key.first), status}, static_cast<double>(count));
  }
  out.add(stats::kSipSetup, {name_of(InviteKind::service)}, setup_service_);
  out.add(stats::kSipSetup, {name_of(InviteKind::viewer)}, setup_viewer_);
}

}  // namespace callcast::sip
