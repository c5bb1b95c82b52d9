#pragma once
// Every series callcastd exposes at GET /metrics, declared once. The structs that hold the values
// bind their members to these (CounterField tables beside them); the README's metrics table
// lists the same names (a unit test holds the two together).
//
// Each process serves the series of what it runs: role `media` the media ones, role `signaling`
// the SIP and media-client ones, role `all` both.
#include <array>
#include <span>
#include <string_view>

#include "stats/metric.hpp"

namespace callcast::stats {

namespace labels {
inline constexpr std::array<std::string_view, 1> state{"state"};
inline constexpr std::array<std::string_view, 1> transport{"transport"};
inline constexpr std::array<std::string_view, 1> kind{"kind"};
inline constexpr std::array<std::string_view, 2> kind_status{"kind", "status"};
inline constexpr std::array<std::string_view, 1> direction{"direction"};
}  // namespace labels

namespace buckets {
// Set-up and join times: a GOP cache start is immediate, a wait for the next keyframe takes up
// to a GOP (1-10 s); a SIP set-up waits for the master's media (seconds).
inline constexpr std::array<double, 12> seconds{0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                0.5,   1,    2.5,   5,    10,  30};
// RTCP fraction lost (RFC 3550 §6.4.1), as a ratio 0..1.
inline constexpr std::array<double, 8> loss_ratio{0, 0.001, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5};
// RTCP interarrival jitter in seconds.
inline constexpr std::array<double, 9> jitter_seconds{0.001, 0.002, 0.005, 0.01, 0.02,
                                                      0.05,  0.1,   0.2,   0.5};
}  // namespace buckets

// --- media role: the streaming server (computed at scrape time on its loop) ---
inline constexpr Metric kGroups{"callcast_groups", Kind::gauge,
                                "Temporary groups by state (waiting_for_master, live, stalled).",
                                "", labels::state};
inline constexpr Metric kViewers{
    "callcast_viewers", Kind::gauge,
    "Viewer sessions by media transport (webrtc: browsers, rtp: SIP phones, udp and tcp: RTSP).",
    "", labels::transport};
inline constexpr Metric kReceivedPackets{"callcast_media_received_packets_total", Kind::counter,
                                         "RTP packets received from publishers.", ""};
inline constexpr Metric kReceivedBytes{"callcast_media_received_bytes_total", Kind::counter,
                                       "Bytes of RTP received from publishers.", "bytes"};
inline constexpr Metric kSentPackets{"callcast_media_sent_packets_total", Kind::counter,
                                     "RTP packets sent to viewers (UDP and TCP).", ""};
inline constexpr Metric kSentBytes{"callcast_media_sent_bytes_total", Kind::counter,
                                   "Bytes of RTP sent to viewers (UDP and TCP).", "bytes"};
inline constexpr Metric kDroppedPackets{
    "callcast_media_dropped_packets_total", Kind::counter,
    "Packets a viewer did not get: its socket refused them (full send buffer) or it fell too far "
    "behind.",
    ""};
inline constexpr Metric kMalformedInput{
    "callcast_malformed_input_total", Kind::counter,
    "Input dropped as malformed or misplaced, by kind: rtsp_request, rtp, rtcp, "
    "interleaved_channel (on no set-up channel), "
    "udp_unknown_source, stun (a refused ICE check), srtp (SRTP/SRTCP that did not authenticate).",
    "", labels::kind};
inline constexpr Metric kRtspConnectionsAccepted{"callcast_rtsp_connections_accepted_total",
                                                 Kind::counter, "RTSP connections accepted.", ""};
inline constexpr Metric kRtspConnectionsRefused{
    "callcast_rtsp_connections_refused_total", Kind::counter,
    "RTSP connections closed at once: media.max_connections reached.", ""};
inline constexpr Metric kRtspUnauthorized{"callcast_rtsp_unauthorized_total", Kind::counter,
                                          "RTSP requests answered 401 (bad or expired token).", ""};
inline constexpr Metric kRtspForeignSession{
    "callcast_rtsp_foreign_session_requests_total", Kind::counter,
    "RTSP requests naming a session they may not use (answered 454).", ""};
inline constexpr Metric kRtspSessionsTimedOut{"callcast_rtsp_sessions_timed_out_total",
                                              Kind::counter,
                                              "RTSP sessions closed for want of activity.", ""};
inline constexpr Metric kUdpLatched{
    "callcast_udp_destinations_latched_total", Kind::counter,
    "Viewer UDP destinations learnt from its datagrams (symmetric RTP behind a NAT).", ""};
inline constexpr Metric kUdpLatchAmbiguous{
    "callcast_udp_latch_ambiguous_total", Kind::counter,
    "Datagrams that could have latched several viewers (ignored).", ""};
inline constexpr Metric kFanoutBatches{"callcast_fanout_batches_total", Kind::counter,
                                       "Packet batches the fan-out workers sent.", ""};
inline constexpr Metric kFanoutSendCalls{
    "callcast_fanout_send_calls_total", Kind::counter,
    "Batched send system calls of the fan-out workers (many datagrams each).", ""};
inline constexpr Metric kFanoutMessages{"callcast_fanout_messages_total", Kind::counter,
                                        "Messages the kernel took from the fan-out workers.", ""};
inline constexpr Metric kFanoutGsoMessages{
    "callcast_fanout_gso_messages_total", Kind::counter,
    "Fan-out messages that carried several packets (UDP GSO).", ""};
inline constexpr Metric kFanoutDatagrams{"callcast_fanout_datagrams_total", Kind::counter,
                                         "Datagrams the fan-out workers delivered.", ""};
inline constexpr Metric kFanoutFailedMessages{
    "callcast_fanout_failed_messages_total", Kind::counter,
    "Fan-out messages the socket refused (full send buffer).", ""};
inline constexpr Metric kFanoutGsoFailures{
    "callcast_fanout_gso_failures_total", Kind::counter,
    "GSO sends the kernel refused (then sent packet by packet).", ""};
inline constexpr Metric kFanoutBatchesDropped{
    "callcast_fanout_batches_dropped_total", Kind::counter,
    "Packet batches dropped because a fan-out worker's queue was full.", ""};
inline constexpr Metric kFanoutQueueDepth{
    "callcast_fanout_queue_depth", Kind::gauge,
    "Messages waiting in the fan-out workers' queues (summed over workers).", ""};
inline constexpr Metric kRepairNacks{
    "callcast_repair_nacks_received_total", Kind::counter,
    "Generic NACKs (RFC 4585) received from UDP viewers, one per feedback message.", ""};
inline constexpr Metric kRepairPackets{
    "callcast_repair_packets_total", Kind::counter,
    "Packets resent to the viewer that NACKed them (RFC 4588 RTX or the original packet).", ""};
inline constexpr Metric kRepairMisses{
    "callcast_repair_misses_total", Kind::counter,
    "NACKed packets not resent: older than media.rtx_window_ms or never relayed.", ""};
inline constexpr Metric kRepairCapped{
    "callcast_repair_capped_total", Kind::counter,
    "NACKed packets not resent: the viewer's retransmissions were at media.rtx_max_share of the "
    "track's bitrate.",
    ""};
inline constexpr Metric kRepairRepeats{
    "callcast_repair_repeats_total", Kind::counter,
    "NACKed packets not resent: asked again within half the viewer's round trip (5 to 40 ms) of "
    "their last resend to it.",
    ""};
inline constexpr Metric kKeyframeRequestsReceived{
    "callcast_keyframe_requests_received_total", Kind::counter,
    "Keyframe requests before merging, by kind: RTCP PLI and FIR from viewers, repair_miss "
    "(the relay's own, for a NACK older than media.rtx_window_ms) and publisher_loss (the "
    "relay's own, for a publisher's packet still missing after its NACKs).",
    "", labels::kind};
inline constexpr Metric kKeyframeRequestsMerged{
    "callcast_keyframe_requests_merged_total", Kind::counter,
    "Keyframe requests answered without a request of their own: merged into one per "
    "media.keyframe_request_interval_ms, or answered by a keyframe the publisher sent anyway.",
    ""};
inline constexpr Metric kKeyframeRequestsForwarded{
    "callcast_keyframe_requests_forwarded_total", Kind::counter,
    "Merged keyframe requests sent to publishers (RTCP PLI).", ""};
inline constexpr Metric kPublisherRequestsUnsent{
    "callcast_publisher_requests_unsent_total", Kind::counter,
    "Requests for a publisher (kind: keyframe, bitrate) not sent: it had no connection to take "
    "them, or (a browser) no address or keys yet.",
    "", labels::kind};
inline constexpr Metric kBitrateRequests{
    "callcast_bitrate_requests_total", Kind::counter,
    "Bitrate requests made to publishers (RTCP REMB), by direction (decrease, increase).", "",
    labels::direction};
inline constexpr Metric kPublisherNacksSent{
    "callcast_publisher_nacks_sent_total", Kind::counter,
    "Video packets a UDP publisher was asked to resend (RFC 4585 generic NACK), each retry "
    "counted again.",
    ""};
inline constexpr Metric kPublisherPacketsRecovered{
    "callcast_publisher_packets_recovered_total", Kind::counter,
    "Video packets a UDP publisher lost and resent after the server's NACK.", ""};
inline constexpr Metric kPublisherPacketsLost{
    "callcast_publisher_packets_lost_total", Kind::counter,
    "Video packets a UDP publisher lost that its resends never brought (given up).", ""};
inline constexpr Metric kThinnedViewers{
    "callcast_thinned_viewers", Kind::gauge,
    "Viewers thinned now (sent keyframes and audio only while their path is congested).", ""};
inline constexpr Metric kViewerJoin{
    "callcast_viewer_join_seconds",
    Kind::histogram,
    "From a viewer's PLAY to the first keyframe sent to it (0 when the GOP cache starts it).",
    "seconds",
    {},
    buckets::seconds};
inline constexpr Metric kReportedLoss{
    "callcast_viewer_reported_loss_ratio",
    Kind::histogram,
    "Fraction lost in viewers' RTCP receiver reports, one observation per report block.",
    "ratio",
    {},
    buckets::loss_ratio};
inline constexpr Metric kReportedJitter{
    "callcast_viewer_reported_jitter_seconds",
    Kind::histogram,
    "Interarrival jitter in viewers' RTCP receiver reports, one observation per report block.",
    "seconds",
    {},
    buckets::jitter_seconds};

// --- signaling role: the network side (read on the SIP thread) ---
inline constexpr Metric kSipCalls{"callcast_sip_calls", Kind::gauge,
                                  "SIP dialogs in progress or up, by kind (service, viewer).", "",
                                  labels::kind};
inline constexpr Metric kSipRegistrations{"callcast_sip_registrations", Kind::gauge,
                                          "Contact bindings in the registrar.", ""};
inline constexpr Metric kSipRegisteredUsers{"callcast_sip_registered_users", Kind::gauge,
                                            "Users with at least one binding.", ""};
inline constexpr Metric kSipInvites{"callcast_sip_invites_total", Kind::counter,
                                    "INVITE requests received (retransmissions excluded).", ""};
inline constexpr Metric kSipInviteFinals{
    "callcast_sip_invite_responses_total", Kind::counter,
    "Final responses to INVITEs by kind (service: a master's call of the service number; viewer: "
    "a call forwarded into a group; unclassified: refused before that was known) and status.",
    "", labels::kind_status};
inline constexpr Metric kSipRegisters{"callcast_sip_registers_total", Kind::counter,
                                      "REGISTER requests received.", ""};
inline constexpr Metric kSipAuthChallenges{"callcast_sip_auth_challenges_total", Kind::counter,
                                           "401 digest challenges sent.", ""};
inline constexpr Metric kSipAuthFailures{"callcast_sip_auth_failures_total", Kind::counter,
                                         "Requests refused 403 (wrong credentials or identity).",
                                         ""};
inline constexpr Metric kSipRejectedOverCap{
    "callcast_sip_rejected_over_cap_total", Kind::counter,
    "Requests refused 503 at sip.max_calls or sip.max_registrations.", ""};
inline constexpr Metric kSipSetup{"callcast_sip_setup_seconds",
                                  Kind::histogram,
                                  "From an INVITE to its 200 OK, by kind (service, viewer).",
                                  "seconds",
                                  labels::kind,
                                  buckets::seconds};
// The signaling role's client of the media role's control API.
inline constexpr Metric kMediaApiRequests{"callcast_media_api_requests_total", Kind::counter,
                                          "Requests sent to the media role, polls included.", ""};
inline constexpr Metric kMediaApiUnreachable{
    "callcast_media_api_unreachable_total", Kind::counter,
    "Requests to the media role that got no HTTP answer (refused, timeout, reset).", ""};
inline constexpr Metric kMediaApiEvents{"callcast_media_api_events_total", Kind::counter,
                                        "Group events received from the media role.", ""};
inline constexpr Metric kMediaApiResyncs{
    "callcast_media_api_resyncs_total", Kind::counter,
    "Times the event feed may have missed events (the calls were compared with the groups).", ""};
inline constexpr Metric kMediaApiOutages{"callcast_media_api_outages_total", Kind::counter,
                                         "Times the event feed from the media role was lost.", ""};

// Issue 15: this node as an edge of groups held by other nodes.
inline constexpr Metric kEdgesPulling{"callcast_edges_pulling", Kind::gauge,
                                      "Groups this node relays, each pulled once from its origin.",
                                      ""};
inline constexpr Metric kEdgeBytesPulled{
    "callcast_edge_pulled_bytes_total", Kind::counter,
    "Bytes read from origin nodes by this node's edge pulls (RTSP and interleaved media).", ""};
inline constexpr Metric kEdgeOriginsLost{
    "callcast_edge_origins_lost_total", Kind::counter,
    "Edge groups that ended because their origin went (origin_lost).", ""};

inline constexpr std::array<const Metric*, 59> kAll{
    &kGroups,
    &kViewers,
    &kReceivedPackets,
    &kReceivedBytes,
    &kSentPackets,
    &kSentBytes,
    &kDroppedPackets,
    &kMalformedInput,
    &kRtspConnectionsAccepted,
    &kRtspConnectionsRefused,
    &kRtspUnauthorized,
    &kRtspForeignSession,
    &kRtspSessionsTimedOut,
    &kUdpLatched,
    &kUdpLatchAmbiguous,
    &kFanoutBatches,
    &kFanoutSendCalls,
    &kFanoutMessages,
    &kFanoutGsoMessages,
    &kFanoutDatagrams,
    &kFanoutFailedMessages,
    &kFanoutGsoFailures,
    &kFanoutBatchesDropped,
    &kFanoutQueueDepth,
    &kEdgesPulling,
    &kEdgeBytesPulled,
    &kEdgeOriginsLost,
    &kRepairNacks,
    &kRepairPackets,
    &kRepairMisses,
    &kRepairCapped,
    &kRepairRepeats,
    &kKeyframeRequestsReceived,
    &kKeyframeRequestsMerged,
    &kKeyframeRequestsForwarded,
    &kPublisherRequestsUnsent,
    &kBitrateRequests,
    &kPublisherNacksSent,
    &kPublisherPacketsRecovered,
    &kPublisherPacketsLost,
    &kThinnedViewers,
    &kViewerJoin,
    &kReportedLoss,
    &kReportedJitter,
    &kSipCalls,
    &kSipRegistrations,
    &kSipRegisteredUsers,
    &kSipInvites,
    &kSipInviteFinals,
    &kSipRegisters,
    &kSipAuthChallenges,
    &kSipAuthFailures,
    &kSipRejectedOverCap,
    &kSipSetup,
    &kMediaApiRequests,
    &kMediaApiUnreachable,
    &kMediaApiEvents,
    &kMediaApiResyncs,
    &kMediaApiOutages,
};

}  // namespace callcast::stats
