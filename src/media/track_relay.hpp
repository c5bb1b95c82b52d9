#pragma once
// One published track (audio or video) of a group: what the publisher announced for it and the
// rewriting the relay applies to each of its packets, once, before fan-out.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "media/relay_packet.hpp"
#include "media/stale_media_filter.hpp"
#include "rtp/rtcp.hpp"
#include "sdp/session_description.hpp"

namespace callcast::media {

// aac: RFC 3640 (mpeg4-generic); aac_latm: RFC 6416/3016 (MP4A-LATM, GStreamer's default AAC
// payload). Both are relayed as they come and described to viewers exactly as announced.
// G.711 and G.722 come from phones broadcasting over plain RTP (issue 13): relayed as they are.
enum class Codec { h264, aac, opus, aac_latm, pcmu, pcma, g722 };
std::string_view to_string(Codec codec);

struct TrackDescription {
  std::size_t index = 0;
  std::string media;  // "video" / "audio"
  Codec codec = Codec::h264;
  std::string encoding;  // as announced, e.g. "H264", "MPEG4-GENERIC", "MP4A-LATM", "opus"
  std::uint8_t payload_type = 96;
  std::uint32_t clock_rate = 90000;
  std::string control;  // the publisher's a=control value for this track
  sdp::MediaDescription description;
  std::vector<std::vector<std::uint8_t>> parameter_sets;  // H.264 SPS/PPS from sprop-parameter-sets
};

// The tracks of an announced SDP; an error names what callcast cannot relay (codec, count).
Result<std::vector<TrackDescription>, std::string> describe_tracks(
    const sdp::SessionDescription& announced);

struct IngestResult {
  bool accepted = false;        // false: malformed or wrong payload type, dropped and counted
  bool keyframe_au = false;     // this packet belongs to an H.264 access unit that starts a GOP
  bool keyframe_start = false;  // ...and is where that became known (SPS or IDR): a viewer
                                // waiting for a keyframe can start decoding here
  bool new_access_unit = false;
  // Valid but not relayed (nothing appended): too old (stale), or video waiting for a keyframe.
  bool stale = false;
  bool held = false;
};

// A packet lagging real time by more than this is stale when no stall time is configured.
inline constexpr Clock::duration kDefaultStaleLag = std::chrono::seconds(1);

class TrackRelay {
 public:
  // `stale_lag`: packets lagging real time by more than this are not relayed.
  TrackRelay(TrackDescription description, std::uint32_t out_ssrc,
             Clock::duration stale_lag = kDefaultStaleLag);

  // Validates one packet from the publisher and appends what viewers must receive to `out`: the
  // packet itself and, before an IDR that came without SPS/PPS in band, a STAP-A carrying them,
  // so that every viewer (and every late joiner) can decode from that IDR on. Appends nothing for
  // a stale packet, or a video packet before the keyframe a hold waits for; neither takes a
  // sequence number, so the relayed numbering stays gapless for the viewers.
  IngestResult ingest(rtp::Bytes packet, Clock::time_point now, std::vector<SharedPacket>& out);

  // Video: relay nothing until the next keyframe (SPS or IDR; SPS/PPS are injected before an IDR
  // that comes without them), so that every viewer restarts decoding cleanly there. After a
  // stall and at a publisher change; a stale packet starts one by itself. No-op for audio.
  void hold_until_keyframe();
  bool holding() const { return holding_; }

  // Maps the publisher's sender report onto the relayed stream (our SSRC and timestamps) and
  // writes SR + SDES CNAME into `out`. Returns the size written, 0 if `out` is too small.
  std::size_t relay_sender_report(const rtp::SenderInfo& publisher, std::string_view cname,
                                  rtp::MutableBytes out);

  // A new publisher connection takes over: keep sequence numbers and timestamps continuous, and
  // (once anything was relayed) hold video until the new publisher's first keyframe.
  void rebase(Clock::time_point now);

  const TrackDescription& description() const { return description_; }
  // H.264: the latest sequence parameter set (announced or in band), empty before one came.
  const std::vector<std::uint8_t>& sequence_parameter_set() const { return sps_; }
  std::uint32_t out_ssrc() const { return out_ssrc_; }
  // Where the relayed stream stands: the next sequence number and the last timestamp sent.
  std::uint16_t next_sequence() const { return static_cast<std::uint16_t>(last_out_seq_ + 1); }
  std::uint32_t last_timestamp() const { return last_out_ts_; }
  bool has_sent() const { return sent_any_; }

  std::uint64_t packets() const { return packets_; }
  std::uint64_t bytes() const { return bytes_; }
  std::uint64_t malformed() const { return malformed_; }
  std::uint64_t keyframes() const { return keyframes_; }
  std::uint64_t stale_packets() const { return staleness_.stale_packets(); }
  std::uint64_t held_packets() const { return held_packets_; }
  const StaleMediaFilter& staleness() const { return staleness_; }
  double bitrate_bps() const { return bitrate_bps_; }
  void update_bitrate(Clock::time_point now);  // called about once a second

 private:
  SharedPacket make_packet(rtp::Bytes original, std::uint16_t in_seq, std::uint32_t in_ts) const;
  void remember_parameter_sets(rtp::Bytes payload);

  TrackDescription description_;
  std::uint32_t out_ssrc_;
  std::uint16_t seq_offset_ = 0;
  std::uint32_t ts_offset_ = 0;
  bool sent_any_ = false;
  bool rebase_pending_ = false;
  Clock::time_point rebase_at_{};
  Clock::time_point last_packet_at_{};
  std::uint16_t last_out_seq_ = 0;
  std::uint32_t last_out_ts_ = 0;

  // H.264 access-unit tracking for keyframes and parameter-set injection.
  bool au_open_ = false;
  std::uint32_t au_timestamp_ = 0;
  bool au_has_sps_ = false;
  bool au_has_pps_ = false;
  bool au_is_keyframe_ = false;
  std::vector<std::uint8_t> sps_;
  std::vector<std::uint8_t> pps_;

  StaleMediaFilter staleness_;
  bool holding_ = false;

  std::uint64_t packets_ = 0;
  std::uint64_t held_packets_ = 0;
  std::uint64_t bytes_ = 0;
  std::uint64_t payload_bytes_ = 0;  // RFC 3550 §6.4.1 sender's octet count
  std::uint64_t malformed_ = 0;
  std::uint64_t keyframes_ = 0;
  std::uint64_t bytes_at_last_rate_ = 0;
  Clock::time_point last_rate_at_{};
  double bitrate_bps_ = 0;
};

}  // namespace callcast::media
