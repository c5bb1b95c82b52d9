#pragma once
// One call of the network side: a master's broadcast call (701-709) or a viewer's (710-714).
// Lives on the SIP thread, in the CallTable.
#include <memory>
#include <optional>
#include <string>

#include "control/media_control.hpp"
#include "core/time_source.hpp"
#include "sip/audience_pacer.hpp"
#include "sip/sip_metrics.hpp"
#include "sip/sip_stack.hpp"

namespace callcast::sip {

// The Reason header (RFC 3326) of the BYEs that end a broadcast's calls.
inline const std::string kBroadcastEndedReason = "SIP;cause=200;text=\"broadcast ended\"";
inline const std::string kMediaRestartedReason =
    "SIP;cause=503;text=\"the streaming server restarted\"";
// Issue 15: the media node holding the group was lost (a cluster's group_closed with reason
// "media_node_lost", cluster::kMediaNodeLost).
inline const std::string kMediaNodeLostEvent = "media_node_lost";
inline const std::string kMediaNodeLostReason = "SIP;cause=503;text=\"the media node was lost\"";

enum class CallRole { master, viewer };
enum class CallState {
  setting_up,  // waiting for the media side (create_group / admit_viewer)
  early,       // master: 183 sent, waiting for master_joined (706)
  answered,    // 200 sent
  ending,      // final error sent or BYE sent; waiting for the stack to terminate the handle
};

struct Call {
  CallId id = 0;
  CallRole role = CallRole::master;
  CallState state = CallState::setting_up;
  StackHandle handle = 0;
  std::string caller;       // the authenticated number
  std::string group;        // the master's number
  bool tcp = false;         // the INVITE came over TCP: our Contact says so
  std::string offer;        // the INVITE's SDP, may be empty
  std::string sdp;          // what 183 / 200 carry
  bool media_done = false;  // the group was created / the viewer admitted on the media side
  // The offer is a SIP phone's (audio/video RTP lines, no iptv_rtsp line), answered by RFC 3264
  // offer/answer and plain RTP (issue 13), not with an RTSP URI: a viewer gets the group's media
  // from the media side, a master's media is received by it.
  bool phone = false;
  // A browser's call over WHEP (issue 14, SipRequest::web_caller): its offer is WebRTC, answered
  // by the media side with its media (ICE-lite, DTLS-SRTP); not a phone's nor an RTSP terminal's.
  bool webrtc = false;
  bool browser_live = false;   // master: 706 came before the media side's answer
  std::string source_address;  // where the INVITE came from (SipRequest::source_address)
  bool behind_nat = false;     // SipRequest::behind_nat
  std::string warning;         // a Warning on the 200 (a phone told why it has no picture)
  // A watching phone's media, started at its ACK (before it, a phone may take the first packets
  // for a stream of its own and miss the keyframe: baresip did, in half of its joins).
  std::optional<control::PhoneViewerRequest> phone_media;
  std::unique_ptr<core::Timer> join_timer;  // master: 706 must come within the join timeout
  // Viewer: the media side reported this call's media playing (viewer_joined; a phone's comes
  // before its 200). Until then, from the 200 on, `media_start_timer` runs (issue 13).
  bool media_started = false;
  std::unique_ptr<core::Timer> media_start_timer;
  core::SteadyClock::time_point invited_at;
  // Master: rebuilt after a restart of this process from the media side's live group. It has
  // no SIP dialog here (sofia's nua cannot take one over: an in-dialog request it does not know
  // gets 481 from the stack itself), so nothing is ever sent to it; the media side's events end
  // it (see MediaSync::on_resync).
  bool restored = false;
  // Master, restored: its dialog is on another signaling node of the cluster (or died with it),
  // and this node took the group up for its viewers (issue 15). Stopping this node leaves the
  // group to the cluster: another node can take it up again.
  bool adopted = false;
  // The host of the INVITE's Request-URI: how the terminal reached us (for the Ut URL).
  std::string reached_host;
  // Master: its INVITE carried Recv-Info: callcast-audience (RFC 6086), so it hears its
  // audience in INFO requests, paced by `audience`.
  bool takes_audience = false;
  AudiencePacer audience;
  std::unique_ptr<core::Timer> audience_timer;
};

// How the metrics count the answers to a call's INVITE: a master's is a service call.
inline SipMetrics::InviteKind invite_kind(CallRole role) {
  return role == CallRole::master ? SipMetrics::InviteKind::service
                                  : SipMetrics::InviteKind::viewer;
}

}  // namespace callcast::sip
