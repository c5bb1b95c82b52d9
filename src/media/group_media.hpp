#pragma once
// The media of one live group: the publisher's tracks, the GOP cache and the viewers, and the
// fan-out of every published packet to every playing viewer (steps 705, 709, 714).
// Runs on the media service's event loop. Viewers that have caught up (UDP, playing, GOP cache
// sent) are handed to the fan-out workers, which then send them every packet batch; the loop
// itself only sends to viewers still catching up and to TCP viewers (DESIGN.md §7).
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "media/datagram_batcher.hpp"
#include "media/delivery.hpp"
#include "media/fanout_engine.hpp"
#include "media/gop_cache.hpp"
#include "media/group_qos.hpp"
#include "media/ingest_loss_tracker.hpp"
#include "media/ingest_reception.hpp"
#include "media/media_metrics.hpp"
#include "media/nack_responder.hpp"
#include "media/repair_counters.hpp"
#include "media/stream_variant.hpp"
#include "media/track_relay.hpp"
#include "media/track_repair.hpp"
#include "media/viewer.hpp"
#include "sdp/session_description.hpp"
#include "transcode/group_audio_transcoders.hpp"

namespace callcast::dtls {
class SrtpSession;
}

namespace callcast::media {

struct GroupMediaLimits {
  std::size_t gop_cache_packets = 8192;
  std::size_t gop_cache_bytes = std::size_t{16} * 1024 * 1024;
  std::size_t viewer_backlog_packets = 12288;  // a viewer further behind loses packets
  std::size_t first_burst_packets = 96;        // right after PLAY: the keyframe at once
  std::size_t pace_burst_packets = 12;         // per viewer per 5 ms tick: ~10x a 2 Mbit/s stream
  std::size_t max_batch_packets = 256;         // a publisher read larger than this is split
  // media.publisher_stall_s: a publisher silent this long is stalled, and a GOP cache this old
  // is not handed to new viewers.
  Clock::duration stall_after = std::chrono::seconds(2);
  // Packets lagging real time by more than this are stale (StaleMediaFilter): half the stall
  // time, so that whatever a stall held back is beyond it and ordinary jitter far within it.
  Clock::duration stale_lag = kDefaultStaleLag;
  RepairLimits repair;             // NACK repair: media.rtx_window_ms, media.rtx_max_share
  QosSettings qos;                 // keyframe requests, path health, rate control
  IngestLossSettings ingest_loss;  // NACKs to a UDP publisher (PublisherRtcpPath::nack)
};

// Where RTCP for the publisher goes: its RECORD connection's interleaved RTCP channels, or its
// UDP RTCP ports.
struct PublisherRtcpPath {
  bool tcp = true;
  std::weak_ptr<InterleavedWriter> writer;
  std::array<std::uint8_t, kMaxTracks> rtcp_channel{};
  std::array<UdpEndpoint, kMaxTracks> udp_rtcp{};
  // Issue 13 item 6: over UDP, the relay NACKs the publisher's lost video packets (RFC 4585
  // generic NACK) on that track's RTCP path. Set false for a publisher that does not take them:
  // media.publisher_nack = false, or a phone whose SDP did not negotiate a=rtcp-fb nack.
  bool nack = true;
  // A browser (issue 14): its RTCP is SRTCP, multiplexed on the RTP port (its ICE 5-tuple).
  std::shared_ptr<dtls::SrtpSession> srtp;
  // Our receiver reports about its tracks, one compound a second on the first track's path (a
  // browser's BUNDLE): Chromium's send-side estimate grows only on them (IngestReception).
  bool receiver_reports = false;
};

// The publisher's media came back after a stall (master_resumed).
struct PublisherResumption {
  Clock::duration stalled_for{};    // from its last packet before the stall to the first after
  bool stall_was_reported = false;  // false: it came back before check_stall() noticed
};

struct TrackStart {  // RTP-Info for one track (RFC 2326 §12.33)
  std::size_t track = 0;
  std::uint16_t sequence = 0;
  std::uint32_t rtptime = 0;
};

class GroupMedia {
 public:
  // `rtcp`: the server's RTCP port; RTP leaves through `fanout`'s transmitter (the RTP port).
  GroupMedia(std::string group, std::vector<TrackDescription> tracks,
             sdp::SessionDescription announced, DatagramTransmitter& rtcp, FanoutEngine& fanout,
             GroupMediaLimits limits, std::uint32_t ssrc_seed);
  ~GroupMedia();
  GroupMedia(const GroupMedia&) = delete;
  GroupMedia& operator=(const GroupMedia&) = delete;

  const std::string& group() const { return group_; }
  const std::vector<TrackRelay>& tracks() const { return tracks_; }
  const sdp::SessionDescription& announced() const { return announced_; }

  // A (re)connecting publisher announced `tracks`: true when viewers can go on decoding.
  bool compatible_with(const std::vector<TrackDescription>& tracks) const;
  // A publisher connection started recording: media is due from `now` on. A new publisher after
  // another keeps the viewers' numbering continuous and restarts them at its first keyframe.
  void publisher_changed(Clock::time_point now);
  // Its connection is gone (the grace period runs): nobody publishes, nothing can stall.
  void publisher_left();

  // Stall detection (708): called periodically; true when the publisher's silence has just
  // reached `stall_after`. The cached GOP is dropped then: new viewers wait for a keyframe.
  bool check_stall(Clock::time_point now);
  bool stalled() const { return stalled_; }
  std::uint64_t stalls() const { return stalls_; }
  // Since the publisher's last RTP packet; zero while nobody publishes.
  Clock::duration silent_for(Clock::time_point now) const {
    return publisher_active_ ? now - last_media_at_ : Clock::duration::zero();
  }
  // Once, after on_publisher_rtp() brought the media back from a stall (also one that
  // check_stall() had not noticed yet).
  std::optional<PublisherResumption> take_resumption() { return std::exchange(resumption_, {}); }

  // 705/709: one RTP packet from the publisher on `track`; false when dropped as malformed.
  // Viewers still catching up get it at once; the fan-out workers get it with flush(). After a
  // stall, stale packets are dropped and video is held until the next keyframe (TrackRelay).
  bool on_publisher_rtp(std::size_t track, rtp::Bytes packet, Clock::time_point now);
  // Hands the packets since the last flush to the fan-out workers, as one batch: called at the
  // end of each read from the publisher, so a frame that arrived together leaves together.
  void flush();
  // The publisher's RTCP: sender reports are relayed to every viewer (lip sync).
  bool on_publisher_rtcp(std::size_t track, rtp::Bytes compound, Clock::time_point now);

  // Viewers, by RTSP session id.
  Viewer& add_viewer(std::string number, std::string session_id, bool tcp,
                     std::weak_ptr<InterleavedWriter> writer, Clock::time_point now);
  Viewer* find_viewer(std::string_view session_id);
  Viewer* find_viewer_by_number(std::string_view number);
  // Sends RTCP BYE on each of its tracks when `send_bye`, then forgets it.
  void remove_viewer(std::string_view session_id, bool send_bye, std::string_view reason);
  const std::map<std::string, std::unique_ptr<Viewer>, std::less<>>& viewers() const {
    return viewers_;
  }

  // Issue 13: the payload types the viewer (a phone) chose for the group's formats; before
  // start_playing(). Viewers with the same numbers share one rewritten form of the stream.
  void use_payload_types(Viewer& viewer, const PayloadTypes& payload_types) {
    (void)use_stream_form(viewer, payload_types, std::nullopt);
  }
  // ...and, for a phone that cannot take the group's audio codec, that audio transcoded to
  // `audio` (once per group and target: GroupAudioTranscoders). An error names what cannot be
  // transcoded; the viewer then gets the relayed form.
  Result<bool, std::string> use_stream_form(
      Viewer& viewer, const PayloadTypes& payload_types,
      const std::optional<transcode::TargetAudioFormat>& audio);
  // The group's audio transcoders (none until a phone needed one).
  const transcode::GroupAudioTranscoders* audio_transcoders() const {
    return audio_transcoders_.get();
  }
  // The SSRC `track` reaches `viewer` under: the relay's, or its audio transcoder's.
  std::uint32_t ssrc_for(const Viewer& viewer, std::size_t track) const;
  // The distinct forms of the stream in use (1: every viewer gets the relayed packets).
  std::size_t variants_in_use() const;

  // 714: start delivery from the GOP cache; returns RTP-Info for each set-up track. Nothing is
  // sent before the caller has queued its PLAY response: then send_sender_reports() and pace().
  std::vector<TrackStart> start_playing(Viewer& viewer, Clock::time_point now);
  // The latest relayed sender report of each track, so the player maps RTP time at once.
  void send_sender_reports(Viewer& viewer, Clock::time_point now);
  void pause(Viewer& viewer);
  // The viewer's UDP destinations changed (latched behind a NAT): the fan-out worker that sends
  // to it gets the new ones.
  void redirect(Viewer& viewer);
  // Sends up to `pace_burst_packets` backlog packets per viewer; true while any backlog is left.
  bool pace();
  // Right after PLAY: a larger first burst, so the keyframe access unit leaves in one go.
  void start_delivery(Viewer& viewer, Clock::time_point now);
  // Whether some viewer has backlog to drain (kept as a flag: it is asked once per packet).
  bool has_backlog() const { return backlog_pending_; }

  // A viewer's RTCP, one dispatch over what each packet of the compound is: receiver reports
  // (loss and jitter into its stats), generic NACKs (repaired from the track's ring, UDP only:
  // over TCP nothing is lost on the way, so a NACK there is ignored).
  bool on_viewer_rtcp(Viewer& viewer, std::size_t track, rtp::Bytes compound,
                      Clock::time_point now);

  // The SDP a viewer gets from DESCRIBE: the announced tracks, with our control URLs.
  std::string describe_sdp(const std::string& host,
                           const std::function<std::string(int)>& url) const;

  void update_rates(Clock::time_point now);
  // From RECORD on (publisher_left() forgets it): the viewers' keyframe requests and the group's
  // bitrate requests go there as RTCP.
  void set_publisher_rtcp(PublisherRtcpPath path);
  // A phone publisher's RTCP was latched (behind a NAT, issue 13): requests for it go there now.
  void set_publisher_rtcp_destination(std::size_t track, const UdpEndpoint& to);
  // Periodic (the media service's sweep): merged keyframe requests due, the group's rate.
  void update_qos(Clock::time_point now);
  const GroupQos& qos() const { return qos_; }
  std::uint64_t malformed_rtcp() const { return malformed_rtcp_; }
  std::uint64_t sender_reports() const { return sender_reports_; }
  std::uint64_t receiver_reports_sent() const { return receiver_reports_sent_; }
  const std::vector<TrackRepair>& repairs() const { return repairs_; }
  // Of every viewer this group had, those gone included.
  const RepairCounters& repair_totals() const { return repair_totals_; }
  // Issue 13 item 6: the relay as the publisher's receiver, NACKing its lost video packets over
  // UDP; summed over tracks and every publisher the group had.
  IngestLossCounters publisher_loss() const;
  const GopCache& gop_cache() const { return variants_.front()->gop(); }
  // Where join times, reception reports and the totals of viewers that leave go (none: unit
  // tests). Set once, before media flows; `metrics` outlives this object.
  void set_metrics(MediaMetrics* metrics) { metrics_ = metrics; }

 private:
  // One relayed packet as each variant carries it (index: variant; null: not in that variant).
  void deliver(std::span<const SharedPacket> per_variant, bool keyframe_start,
               Clock::time_point now);
  void flush(StreamVariant& variant);
  void clear_gops();
  // A viewer leaves its variant; the last one out takes it along (but never the relayed one).
  void leave_variant(Viewer& viewer);
  // One packet of a transcoder's output: to the variants of that target, as their audio.
  void on_transcoded(std::uint32_t target, rtp::Bytes packet);
  // Sends at once on TCP; queues on rtp_out_ for UDP (the caller flushes it).
  void send_to(Viewer& viewer, const SharedPacket& packet);
  // A UDP viewer that has caught up goes to a fan-out worker; back to the loop on pause/removal.
  void hand_to_fanout(Viewer& viewer);
  void take_from_fanout(Viewer& viewer);
  void stop_direct(Viewer& viewer);
  // A viewer whose video is numbered for it alone (thinned, or once thinned): the loop sends it
  // every packet, its video as copies (see TrackThinning).
  bool renumbered(const Viewer& viewer) const;
  void send_renumbered(Viewer& viewer, const SharedPacket& packet, bool keyframe_start);
  // GroupQos decided to thin it (keyframes and audio only) or to give it every frame again.
  void set_thinned(Viewer& viewer, bool thinned);
  // Up to `max_packets` of a catching-up viewer's backlog, queued on rtp_out_.
  void send_backlog(Viewer& viewer, std::size_t max_packets);
  // Queued on rtcp_out_ for UDP (`compound` must live until the caller flushes it).
  void send_rtcp_to(Viewer& viewer, std::size_t track, rtp::Bytes compound);
  // False when it could not leave: no path, its connection gone, a browser's address or keys
  // not known yet (before its ICE check and DTLS), or SRTCP refused it.
  bool send_to_publisher(std::size_t track, rtp::Bytes compound);
  void send_receiver_report(Clock::time_point now);
  bool publisher_nacks_on() const {
    return publisher_rtcp_ && !publisher_rtcp_->tcp && publisher_rtcp_->nack;
  }
  // The NACKs due on `track` as one compound to the publisher; a hole given up asks for a
  // keyframe (through the gate).
  void send_publisher_nacks(std::size_t track, Clock::time_point now);
  void recount_backlog();  // after a viewer's backlog was dropped (pause, removal)
  void resume_after_stall(Clock::time_point now);
  void record_reception(Viewer& viewer, const rtp::RtcpPacketView& packet, Clock::time_point now);
  void on_transport_feedback(Viewer& viewer, const rtp::RtcpPacketView& packet,
                             Clock::time_point now);

  std::string group_;
  std::vector<TrackRelay> tracks_;
  sdp::SessionDescription announced_;
  FanoutEngine& fanout_;
  // The loop's own sends: RTP to viewers still catching up or waiting for a keyframe (one
  // kernel call per pacing tick or published packet for all of them), and RTCP.
  DatagramBatcher rtp_out_;
  DatagramBatcher rtcp_out_;
  // [0]: the relayed form, always there; then one per distinct set of phones' payload types
  // (a slot whose last viewer left is empty until reused).
  std::vector<std::unique_ptr<StreamVariant>> variants_;
  std::uint64_t last_viewer_id_ = 0;
  // Playing viewers the loop sends to itself (catching up, awaiting a keyframe, TCP).
  std::vector<Viewer*> direct_;
  GroupMediaLimits limits_;
  GroupQos qos_;
  std::optional<PublisherRtcpPath> publisher_rtcp_;
  std::optional<std::size_t> video_track_;  // the first H.264 track: what health and rate are about
  std::map<std::string, std::unique_ptr<Viewer>, std::less<>> viewers_;
  std::vector<std::vector<std::uint8_t>> last_sender_report_;  // per track, relayed form
  std::vector<TrackRepair> repairs_;                           // per track
  NackResponder nack_responder_{rtp_out_};
  RepairCounters repair_totals_;
  // Per track (video only fed): the publisher's sequence numbers as its receiver sees them, and
  // the SSRC its NACKs name.
  std::vector<IngestLossTracker> ingest_loss_;
  std::array<std::uint32_t, kMaxTracks> publisher_ssrc_{};
  // Per track: what our receiver reports say (PublisherRtcpPath::receiver_reports).
  std::vector<IngestReception> reception_;
  std::optional<Clock::time_point> last_receiver_report_;
  std::uint64_t receiver_reports_sent_ = 0;

  // Scratch space reused for every packet (no allocation per packet in steady state).
  std::vector<SharedPacket> ingest_out_;
  std::vector<SharedPacket> variant_out_;
  // Issue 13: the first audio track, transcoded for phones that cannot take its codec.
  std::optional<std::size_t> audio_track_;
  std::unique_ptr<transcode::GroupAudioTranscoders> audio_transcoders_;
  transcode::GroupAudioTranscoders::Sink transcoded_sink_;
  Clock::time_point transcoding_now_{};

  MediaMetrics* metrics_ = nullptr;
  std::uint64_t malformed_rtcp_ = 0;
  std::uint64_t sender_reports_ = 0;
  bool backlog_pending_ = false;

  // The publisher's liveness.
  bool publisher_active_ = false;
  bool stalled_ = false;
  Clock::time_point last_media_at_{};
  std::uint64_t stalls_ = 0;
  std::optional<PublisherResumption> resumption_;
};

}  // namespace callcast::media
