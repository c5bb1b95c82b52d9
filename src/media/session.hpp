#pragma once
// A media session of one terminal in one group (RFC 2326 §12.37 Session). The kinds differ in
// which way media flows: PublisherSession (the master's media in, step 705), ViewerSession (a
// viewer's media out, step 714). A session negotiated by SIP offer/answer (plain RTP) will be a
// third kind beside them, without an RTSP connection: what is common to all lives here.
#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <memory>
#include <string>

#include "media/relay_packet.hpp"

namespace callcast::media {

class RtspConnection;

enum class SessionKind { publisher, viewer };

class Session {
 public:
  Session(SessionKind kind, std::string id, std::string group, std::string terminal,
          Clock::time_point now)
      : last_activity(now),
        started(now),
        kind_(kind),
        id_(std::move(id)),
        group_(std::move(group)),
        terminal_(std::move(terminal)) {}
  virtual ~Session() = default;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  SessionKind kind() const { return kind_; }
  const std::string& id() const { return id_; }
  const std::string& group() const { return group_; }
  // Its owner: the terminal named by the token that created it.
  const std::string& terminal() const { return terminal_; }

  // The RTSP connection that set it up; interleaved media flows on it.
  std::weak_ptr<RtspConnection> connection;
  std::uint64_t connection_id = 0;
  bool udp = false;               // media on UDP ports; false: interleaved on its connection
  boost::asio::ip::address peer;  // the RTSP peer that created it (a NAT's public address)
  Clock::time_point last_activity;
  Clock::time_point started;

 private:
  SessionKind kind_;
  std::string id_;
  std::string group_;
  std::string terminal_;
};

}  // namespace callcast::media
