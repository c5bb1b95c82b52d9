#include "terminal/media/repair_requests.hpp"

#include <spdlog/spdlog.h>

namespace callcast::terminal {

void RepairRequests::configure(GstElement* rtpbin, guint session) {
  GObject* internal = nullptr;
  g_signal_emit_by_name(rtpbin, "get-internal-session", session, &internal);
  if (internal == nullptr) {
    spdlog::warn("watch: no RTP session {} to configure", session);
    return;
  }
  g_object_set(internal, "rtcp-fraction", kRtcpBitsPerSecond, nullptr);
  g_object_unref(internal);
}

}  // namespace callcast::terminal
