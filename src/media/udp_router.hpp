#pragma once
// Which session and track a datagram on the server's UDP ports belongs to: publishers' RTP and
// RTCP over UDP, viewers' RTCP and NAT keep-alives. Routes are set at SETUP and learnt by
// symmetric RTP latching (RFC 4961) for UDP viewers behind NATs (step 709).
#include <boost/asio/ip/address.hpp>
#include <map>

#include "media/delivery.hpp"
#include "media/server_counters.hpp"
#include "media/session.hpp"

namespace callcast::media {

class PublisherSession;
class ViewerSession;

struct UdpRoute {
  Session* session = nullptr;
  std::size_t track = 0;
};

class UdpRouter {
 public:
  explicit UdpRouter(ServerCounters& counters) : counters_(counters) {}

  const UdpRoute* find(const UdpEndpoint& from) const;
  void add(const UdpEndpoint& from, Session& session, std::size_t track);
  // Every route to `session` and its place among the unlatched (it is being closed).
  void forget(const Session& session);

  void clear() {
    routes_.clear();
    unlatched_.clear();
    unlatched_publishers_.clear();
  }

  // A UDP viewer with a track not latched yet: datagrams from unknown ports of its RTSP peer's
  // address may latch it (looked at on a route miss only, never per relayed packet).
  void remember_unlatched(ViewerSession& session);
  // A datagram from a known route confirms that track's destinations (no NAT, or one that kept
  // the ports).
  void confirm_latched(ViewerSession& session, std::size_t track, bool rtcp,
                       const UdpEndpoint& from);
  // True when `from` was latched to a viewer's or a phone publisher's track (a route now exists
  // for it).
  bool latch(bool rtcp, const UdpEndpoint& from, rtp::Bytes data);

  // A phone publisher (issue 13) whose tracks are not latched yet: datagrams from unknown ports
  // of its address (its SIP source, a NAT's public address) may latch them.
  void remember_unlatched(PublisherSession& session);

 private:
  void forget_unlatched(const Session& session);
  bool latch_viewer(bool rtcp, const UdpEndpoint& from, rtp::Bytes data);
  bool latch_publisher(bool rtcp, const UdpEndpoint& from, rtp::Bytes data);

  ServerCounters& counters_;
  std::map<UdpEndpoint, UdpRoute> routes_;
  std::multimap<boost::asio::ip::address, ViewerSession*> unlatched_;
  std::multimap<boost::asio::ip::address, PublisherSession*> unlatched_publishers_;
};

}  // namespace callcast::media
