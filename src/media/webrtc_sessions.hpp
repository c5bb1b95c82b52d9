#pragma once
// Browsers' sessions (issue 14), served by the streaming server itself on its RTP port: a viewer
// negotiated by a WebRTC offer (WHEP, step 714) and a broadcaster's (WHIP, 704-707). Datagrams
// there are told apart by their first byte (RFC 7983): STUN (0-3) is the browser's ICE connectivity
// checks, answered as an ICE-lite agent (RFC 8445 §2.5) with the credentials of its answer; DTLS
// (20-63) is the key exchange (DTLS-SRTP, RFC 5764, we are the DTLS server); SRTP/SRTCP (128-191)
// is its RTCP once keyed. The viewer is another viewer of the group's fan-out: shared packets
// protected per viewer (FanoutShard), the GOP cache first, NACK/PLI answered like any UDP viewer's.
//
// Media loop only.
#include <map>
#include <memory>
#include <string>

#include "control/media_control.hpp"
#include "core/result.hpp"
#include "core/token.hpp"
#include "media/datagram_batcher.hpp"
#include "media/server_context.hpp"

namespace callcast::dtls {
class DtlsCertificate;
}

namespace callcast::webrtc {
struct WebRtcAnswerParams;
}

namespace callcast::media {

class PublisherSession;
class ViewerSession;
struct WebRtcPeer;

class WebRtcSessions {
 public:
  explicit WebRtcSessions(ServerContext& context);
  ~WebRtcSessions();
  WebRtcSessions(const WebRtcSessions&) = delete;
  WebRtcSessions& operator=(const WebRtcSessions&) = delete;

  // Once the UDP ports are open: where STUN answers and DTLS flights leave (the RTP port).
  void start(DatagramTransmitter& transmitter);
  void stop();

  Result<control::WebRtcViewerStarted, control::ControlError> start_viewer(
      const control::WebRtcViewerRequest& request);

  // 705 for a browser: the group (created, no publisher yet) takes its SRTP as its media once
  // ICE and DTLS are done; live at once (706).
  Result<control::WebRtcViewerStarted, control::ControlError> start_publisher(
      const control::WebRtcPublisherRequest& request);

  // A browser publisher's SRTP or SRTCP, unprotected: its track and the plain bytes (valid until
  // the next call). Nothing when it does not authenticate or names no track of it.
  struct OpenedPacket {
    std::size_t track = 0;
    rtp::Bytes bytes;
  };
  std::optional<OpenedPacket> open_publisher_packet(const PublisherSession& session, bool rtcp,
                                                    rtp::Bytes data);

  // A STUN or DTLS datagram on the RTP port (first byte below 64).
  void on_datagram(const UdpEndpoint& from, rtp::Bytes data, Clock::time_point now);
  // SRTP/SRTCP from a WebRTC viewer's selected address (routed to its session).
  void on_srtp(ViewerSession& session, rtp::Bytes data, Clock::time_point now);
  // Periodic: DTLS retransmissions, ICE consent (RFC 7675), peers whose session is gone.
  void sweep(Clock::time_point now);

  std::size_t peers() const { return peers_.size(); }

 private:
  void on_stun(const UdpEndpoint& from, rtp::Bytes data, Clock::time_point now);
  void on_dtls(const UdpEndpoint& from, rtp::Bytes data, Clock::time_point now);
  // The handshake finished: keys in, media starts (GOP cache first).
  void keyed(WebRtcPeer& peer, Clock::time_point now);
  void select(WebRtcPeer& peer, const UdpEndpoint& to);
  void send(const UdpEndpoint& to, rtp::Bytes datagram);
  // Who a token of `role` for `group` was issued to; refused when it is not such a token.
  Result<std::string, control::ControlError> token_holder(const std::string& token,
                                                          const std::string& group,
                                                          core::TokenRole role) const;
  ViewerSession* session_of(const WebRtcPeer& peer) const;
  PublisherSession* publisher_of(const WebRtcPeer& peer) const;
  bool session_exists(const WebRtcPeer& peer) const;
  webrtc::WebRtcAnswerParams answer_params(const WebRtcPeer& peer);
  // The ICE credentials, the DTLS transport and the answer of a new peer of `session_id`.
  WebRtcPeer& add_peer(std::string session_id, const control::WebRtcViewerRequest& names,
                       const std::string& remote_ufrag, const std::string& remote_password,
                       const std::string& remote_fingerprint, Clock::time_point now);
  // Ends `peer`'s session for `reason`; `hung_up`: the browser ended it itself (close_notify),
  // which ends a broadcaster's group at once.
  void close(WebRtcPeer& peer, const std::string& reason, bool hung_up = false);
  void forget(const std::string& ufrag);

  ServerContext& ctx_;
  std::shared_ptr<const dtls::DtlsCertificate> certificate_;
  std::unique_ptr<DatagramBatcher> out_;
  std::map<std::string, std::unique_ptr<WebRtcPeer>, std::less<>> peers_;  // by local ufrag
  std::map<UdpEndpoint, WebRtcPeer*> by_address_;  // the selected address of each
  std::map<std::string, WebRtcPeer*, std::less<>> by_session_;
  std::vector<std::uint8_t> plain_ = std::vector<std::uint8_t>(2048);  // unprotected packets
  std::uint64_t session_version_ = 0;
};

}  // namespace callcast::media
