#pragma once
// The control interface between the network side and the streaming server (patent notifications
// 702/703, 706, 711/712). In one process it is a direct call into the media service; when the
// roles run apart it is the HTTP/JSON admin API. Calls complete through callbacks, which run on
// the media service's event loop: a caller on another thread posts the result back itself.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/group_registry.hpp"
#include "core/result.hpp"

namespace callcast::control {

enum class ControlErrorCode {
  bad_request,    // 400: malformed number or body
  unauthorized,   // 401
  not_found,      // 404: no such group / viewer
  conflict,       // 409: the group exists already
  limit_reached,  // 429/503: too many groups, group full
  unavailable,    // 503: media side not reachable
};

struct ControlError {
  ControlErrorCode code = ControlErrorCode::bad_request;
  std::string message;
};

int http_status(ControlErrorCode code);
std::string_view to_string(ControlErrorCode code);

struct GroupCreated {
  std::string group;
  std::string publish_url;
  // Where a master that is not an RTSP client (a phone, issue 13) sends its RTP and RTCP.
  std::string rtp_host;
  std::uint16_t rtp_port = 0;
  std::uint16_t rtcp_port = 0;
  // Issue 14: the same broadcast from a WHIP client (a browser, OBS): its publish token inside.
  // Empty when this side serves no HTTP for it.
  std::string whip_url;
};

// One track of a live group as a phone's SDP answer describes it (issue 13).
struct TrackFormat {
  std::string media;     // "video", "audio"
  std::string encoding;  // as the publisher announced it: "H264", "MPEG4-GENERIC", "opus"...
  std::uint32_t clock_rate = 0;
  std::uint32_t channels = 0;  // audio; 0 when not said
  std::uint8_t payload_type = 0;
  std::string fmtp;  // the publisher's a=fmtp parameters (profile-level-id, config...)
};

struct ViewerAdmitted {
  std::string group;
  std::string viewer;
  std::string play_url;
  // What a viewer that is not an RTSP client needs to answer a phone's offer (issue 13): the
  // group's tracks (empty while its master has not started) and the server's RTP/RTCP address.
  std::vector<TrackFormat> tracks;
  std::string rtp_host;
  std::uint16_t rtp_port = 0;
  std::uint16_t rtcp_port = 0;
  std::string whep_url;  // issue 14: the same admission for a WHEP player (its token inside)
};

// A viewer negotiated by SIP offer/answer (a phone, issue 13): plain RTP/UDP to where its SDP
// said, no RTSP. One entry per accepted m= line.
struct PhoneTrackRoute {
  std::string media;  // "video" or "audio": the group's first track of that kind
  std::string host;   // the m= line's connection address
  std::uint16_t rtp_port = 0;
  std::uint16_t rtcp_port = 0;  // a=rtcp, else rtp_port + 1
  // The phone's number for the format: sent under it. Its NACKs are answered with the original
  // packets (no RTX format is answered to a phone).
  std::uint8_t payload_type = 0;
  // Audio the phone cannot take in the group's codec: "PCMU", "PCMA", "G722" or "opus" (its
  // rtpmap name), transcoded once per group and target, shared by every phone of that target.
  // Empty: the group's own packets.
  std::string transcode_to;
  std::uint8_t channels = 1;  // of `transcode_to` (opus: 2 when the phone asked for stereo)
};

struct PhoneViewerRequest {
  std::string group;
  std::string viewer;
  // Where its SIP came from: behind a NAT, the public address its media will come from too
  // (symmetric RTP is latched from there, RFC 4961).
  std::string signaling_address;
  std::vector<PhoneTrackRoute> tracks;
};

struct PhoneViewerStarted {
  std::string session;  // the media session's id (its stats; ended by remove_viewer)
};

// One stream a phone broadcasting to the service number sends (issue 13, 705 without RTSP): the
// format its answered m= line carries and where its RTP/RTCP come from until the media side
// latches onto the source of its first packets.
struct PhonePublishTrack {
  std::string media;     // "video" or "audio"
  std::string encoding;  // its rtpmap name: "H264", "opus", "PCMU", "PCMA", "G722"
  std::uint32_t clock_rate = 0;
  std::uint32_t channels = 0;  // audio; 0 when not said
  std::uint8_t payload_type = 0;
  std::string fmtp;  // as answered (profile-level-id, packetization-mode ...)
  std::string host;  // the m= line's connection address
  std::uint16_t rtp_port = 0;
  std::uint16_t rtcp_port = 0;
  // RTCP feedback the answer agreed: the server NACKs lost packets and asks for keyframes.
  bool nack = false;
  bool pli = false;
  bool fir = false;
};

struct PhonePublisherRequest {
  std::string group;
  std::string master;
  std::string signaling_address;  // where its SIP came from (see PhoneViewerRequest)
  std::vector<PhonePublishTrack> tracks;
};

struct PhonePublisherStarted {
  std::string session;
};

// A browser (or any WHEP player) watching over WebRTC (issue 14): its SDP offer, answered by the
// media side itself (ICE-lite, DTLS-SRTP on the media UDP port). The viewer must be admitted.
struct WebRtcViewerRequest {
  std::string group;
  std::string viewer;
  std::string offer;           // application/sdp
  std::string source_address;  // where its HTTP request came from (logs; may be empty)
  // A WHEP player's play token (whep_url): names the group and the viewer, whom it admits, in
  // place of `viewer` (empty then).
  std::string token;
};

// A browser (or any WHIP client) broadcasting over WebRTC (issue 14, 705 without RTSP): its SDP
// offer (sendonly audio/video), answered by the media side, which receives its SRTP.
struct WebRtcPublisherRequest {
  std::string group;
  std::string master;
  std::string offer;
  std::string source_address;
  std::string token;  // a WHIP client's publish token (whip_url), in place of `master`
};

struct WebRtcViewerStarted {
  std::string session;  // the media session's id (its stats; ended by remove_viewer)
  std::string answer;   // application/sdp
};

struct ReceptionStats {      // from the viewer's last RTCP receiver report
  double fraction_lost = 0;  // 0..1 over the last report interval
  std::int64_t cumulative_lost = 0;
  double jitter_ms = 0;
  double age_s = 0;  // since the report arrived
};

// Loss repair (module 608): generic NACKs received and what became of the packets they named.
struct RepairStats {
  std::uint64_t nacks_received = 0;
  std::uint64_t packets_repaired = 0;  // resent (RTX or original)
  std::uint64_t misses = 0;            // older than media.rtx_window_ms, or never relayed
  std::uint64_t capped = 0;            // over the viewer's media.rtx_max_share
  std::uint64_t repeats = 0;           // asked again within half its round trip: not resent
};

// A viewer's side of QoS (issue 12 items 3-5, module 608): its keyframe requests, how its path
// is judged from its reports and NACKs, and whether it is thinned (keyframes and audio only).
struct ViewerQosStats {
  std::uint64_t plis = 0;  // RTCP PLIs received from it
  std::uint64_t firs = 0;  // RTCP FIRs received from it
  bool thinned = false;
  std::uint64_t times_thinned = 0;
  std::uint64_t packets_thinned = 0;  // video packets it was not sent while thinned
  // Of its path: "unknown" before its first report, then "clear", "holding" or "congested".
  std::string verdict = "unknown";
  double loss = 0;                       // 0..1, the path's over the last judged interval
  double residual_loss = 0;              // 0..1, what repair left of it: what the verdict weighs
  std::optional<double> round_trip_ms;   // from LSR/DLSR, when a report carried one
  std::optional<double> queue_delay_ms;  // round trip above the lowest seen
};

// A group's side of QoS: its viewers' keyframe requests merged towards the publisher, and the
// rate it asked the publisher for.
struct GroupQosStats {
  std::uint64_t plis_received = 0;
  std::uint64_t firs_received = 0;
  std::uint64_t repair_miss_requests = 0;  // the relay's own: a NACK past the window
  // Answered without a request of their own: merged into one, or by a keyframe that came anyway.
  std::uint64_t keyframe_requests_merged = 0;
  std::uint64_t keyframe_requests_forwarded = 0;  // PLIs sent to the publisher
  std::uint64_t keyframe_requests_unsent = 0;     // no publisher connection to send them on
  std::uint64_t bitrate_requests = 0;             // REMBs: decreases plus increases
  std::uint64_t bitrate_decreases = 0;
  std::uint64_t bitrate_increases = 0;
  std::uint64_t bitrate_requests_unsent = 0;
  std::uint64_t thinned_viewers = 0;        // now
  std::optional<std::uint64_t> target_bps;  // none until the first bitrate request
  std::uint64_t ceiling_bps = 0;            // the publisher's own rate; 0 while unknown
  // Issue 13 item 6: the relay as a UDP publisher's receiver (its video). NACKs sent count each
  // sequence number asked for, each retry again; recovered: resent after a NACK; lost: still
  // missing after the retries (each asks for a keyframe: publisher_loss_requests).
  std::uint64_t publisher_nacks_sent = 0;
  std::uint64_t publisher_packets_recovered = 0;
  std::uint64_t publisher_packets_lost = 0;
  std::uint64_t publisher_loss_requests = 0;
};

struct TrackStats {
  int id = 0;
  std::string media;  // "video", "audio"
  std::string codec;  // "H264", "MPEG4-GENERIC", "OPUS"
  std::uint32_t clock_rate = 0;
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
  double bitrate_bps = 0;  // over the last few seconds
  std::uint64_t malformed = 0;
  std::uint64_t keyframes = 0;
  // Dropped instead of relayed: lagging real time by more than half of media.publisher_stall_s
  // (a backlog after a stall), or, video only, waiting for the keyframe viewers restart at after
  // a stall or a publisher change.
  std::uint64_t stale_packets_dropped = 0;
  std::uint64_t held_for_keyframe = 0;
  double lag_ms = 0;  // the latest packet's lag behind the track's fastest-arriving packets
};

struct ViewerStats {
  std::string viewer;
  std::string state;      // "admitted", "playing", "paused"
  std::string transport;  // "udp", "tcp", "" before SETUP
  std::string remote;     // ip:port of its RTP destination
  // UDP: where its (first track's) RTP goes, and whether every track's RTP/RTCP destination was
  // confirmed or learnt from its own datagrams (symmetric RTP; behind a NAT: the mapped port).
  std::string rtp_destination;
  bool latched = false;
  std::uint64_t packets_sent = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t packets_dropped = 0;  // could not be sent (socket full, queue over its cap)
  std::uint64_t rtcp_reports = 0;
  std::optional<ReceptionStats> reception;  // per track id order, the worst of them
  RepairStats repair;                       // UDP only: TCP viewers' NACKs are ignored
  ViewerQosStats qos;
};

struct PublisherStats {
  std::string terminal;
  std::string transport;  // "tcp" (interleaved), "udp" (RTSP over UDP) or "rtp" (a SIP phone)
  std::string remote;
  double connected_s = 0;
  std::uint64_t malformed_packets = 0;
  std::uint64_t wrong_channel_packets = 0;
  std::uint64_t rtcp_sender_reports = 0;
  bool stalled = false;             // no media for media.publisher_stall_s, connection up
  std::int64_t stalled_for_ms = 0;  // since its last media packet, while stalled; else 0
  std::uint64_t stalls = 0;         // stalls of this group's media so far
  // Our receiver reports sent to it (a browser's: its send-side estimate grows on them).
  std::uint64_t rtcp_receiver_reports_sent = 0;
};

struct GroupSnapshot {
  std::string group;
  std::string master;
  std::string state;  // to_string(core::GroupState)
  std::int64_t created_unix = 0;
  std::optional<PublisherStats> publisher;
  std::vector<TrackStats> tracks;
  std::vector<ViewerStats> viewers;
  RepairStats repair;  // of every viewer the group had, those gone included
  GroupQosStats qos;   // likewise
  // Issue 15: on an edge, where its copy of the group is pulled from (the origin's play URL
  // without its token); empty on the origin.
  std::string origin_url;
};

// Issue 15: a node serving a group held by another (its origin) pulls it once over RTSP/TCP and
// fans it out to its own viewers.
struct EdgeRequest {
  std::string group;       // the group's number (704)
  std::string master;      // its master's number
  std::string origin_url;  // an RTSP play URL of the group at its origin node, token included
                           // (B gets it from the origin's admit_viewer(group, "edge-<node_id>"))
};

struct EdgeOpened {
  std::string group;
  bool created = false;  // false: this node already relayed the group (idempotent)
};

class EventSource;

template <class T>
using Done = std::function<void(Result<T, ControlError>)>;

class MediaControl {
 public:
  virtual ~MediaControl() = default;

  virtual void create_group(std::string master, Done<GroupCreated> done) = 0;  // 702-703
  virtual void admit_viewer(std::string group, std::string viewer,
                            Done<ViewerAdmitted> done) = 0;  // 711-712
  // 714 for a phone: media starts at once (GOP cache first) to the routes of its answered SDP.
  // The viewer must be admitted; a session of the same viewer is replaced.
  virtual void start_phone_viewer(PhoneViewerRequest request, Done<PhoneViewerStarted> done) = 0;
  // 705 for a phone that called the service number: the group (created, no publisher yet) is fed
  // by the phone's plain RTP from now on, and goes live at once (706: master_joined).
  virtual void start_phone_publisher(PhonePublisherRequest request,
                                     Done<PhonePublisherStarted> done) = 0;
  // 714 for a browser (issue 14): the SDP answer at once, the media once ICE and DTLS are done.
  virtual void start_webrtc_viewer(WebRtcViewerRequest request, Done<WebRtcViewerStarted> done) = 0;
  // 705 for a browser that broadcasts (WHIP): the answer at once; the group is live at once (706:
  // master_joined), its pictures from the browser's first keyframe once ICE and DTLS are done.
  // The answer comes as a WebRtcViewerStarted (a session and an SDP answer, the same fields).
  virtual void start_webrtc_publisher(WebRtcPublisherRequest request,
                                      Done<WebRtcViewerStarted> done) = 0;
  virtual void remove_viewer(std::string group, std::string viewer, Done<bool> done) = 0;
  virtual void close_group(std::string group, Done<bool> done) = 0;
  virtual void list_groups(Done<std::vector<GroupSnapshot>> done) = 0;
  virtual void get_group(std::string group, Done<GroupSnapshot> done) = 0;
  // Issue 15: relay `group` from its origin on this node (an edge). Viewers are then admitted
  // here as on any node; the group goes live (706) with the pull's first media and closes with
  // reason "edge_closed" (its last viewer left) or "origin_lost".
  virtual void open_edge(EdgeRequest request, Done<EdgeOpened> done) = 0;
  // Events (706 master_joined, ...) are delivered on the media service's event loop.
  virtual void subscribe(std::function<void(const core::GroupEvent&)> listener) = 0;

  // The recent events for readers in other processes (the admin API's GET /v1/events), when this
  // side keeps them: the in-process media service does; a remote form returns nullptr.
  virtual EventSource* event_source() { return nullptr; }
};

}  // namespace callcast::control
