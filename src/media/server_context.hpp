#pragma once
// What the parts of the streaming server share: its configuration, the time, its counters, the
// sessions and their UDP routes, the group directory and where it listens. The StreamingServer
// owns them all and hands this to the RTSP side.
#include <functional>

#include "core/config.hpp"
#include "core/time_source.hpp"
#include "media/server_counters.hpp"

namespace callcast::media {

class SessionTable;
class UdpRouter;
class GroupDirectory;

// Where the server actually listens once started (ports chosen by the OS when configured as 0).
struct BoundAddresses {
  core::HostPort rtsp;
  core::PortPair rtp_ports;
};

struct ServerContext {
  const core::MediaConfig& config;
  const core::TimeSource& time;
  ServerCounters& counters;
  SessionTable& sessions;
  UdpRouter& routes;
  GroupDirectory& directory;
  const BoundAddresses& bound;
  // Viewers have backlog to drain: the server's 5 ms pacing timer runs until they caught up.
  std::function<void()> schedule_pacing;
};

}  // namespace callcast::media
