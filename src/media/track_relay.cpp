#include "media/track_relay.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>

#include "rtp/h264.hpp"
#include "rtp/rtp_packet_view.hpp"

namespace callcast::media {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::optional<Codec> codec_for(std::string_view media, std::string_view encoding) {
  if (media == "video" && iequals(encoding, "H264")) return Codec::h264;
  if (media == "audio" && iequals(encoding, "MPEG4-GENERIC")) return Codec::aac;
  if (media == "audio" && iequals(encoding, "opus")) return Codec::opus;
  if (media == "audio" && iequals(encoding, "MP4A-LATM")) return Codec::aac_latm;
  if (media == "audio" && iequals(encoding, "PCMU")) return Codec::pcmu;
  if (media == "audio" && iequals(encoding, "PCMA")) return Codec::pcma;
  if (media == "audio" && iequals(encoding, "G722")) return Codec::g722;
  return std::nullopt;
}

}  // namespace

std::string_view to_string(Codec codec) {
  switch (codec) {
    case Codec::h264:
      return "H264";
    case Codec::aac:
      return "MPEG4-GENERIC";
    case Codec::opus:
      return "OPUS";
    case Codec::aac_latm:
      return "MP4A-LATM";
    case Codec::pcmu:
      return "PCMU";
    case Codec::pcma:
      return "PCMA";
    case Codec::g722:
      return "G722";
  }
  return "?";
}

Result<std::vector<TrackDescription>, std::string> describe_tracks(
    const sdp::SessionDescription& announced) {
  std::vector<TrackDescription> tracks;
  for (const auto& m : announced.media) {
    if (m.media != "video" && m.media != "audio") {
      return fail("media '" + m.media + "' is not supported: callcast relays audio and video");
    }
    if (tracks.size() == kMaxTracks) {
      return fail("more than " + std::to_string(kMaxTracks) + " tracks announced");
    }
    if (m.formats.empty()) return fail("m=" + m.media + " line has no payload type");
    TrackDescription track;
    track.index = tracks.size();
    track.media = m.media;
    unsigned pt = 0;
    for (char c : m.formats.front()) {
      if (c < '0' || c > '9' || pt > 127) return fail("bad payload type " + m.formats.front());
      pt = pt * 10 + static_cast<unsigned>(c - '0');
    }
    if (pt > 127) return fail("bad payload type " + m.formats.front());
    track.payload_type = static_cast<std::uint8_t>(pt);
    auto map = sdp::rtpmap_for(m, track.payload_type);
    if (!map) return fail("track " + std::to_string(track.index) + " has no a=rtpmap");
    auto codec = codec_for(m.media, map->encoding);
    if (!codec) {
      return fail(m.media + " codec '" + map->encoding +
                  "' is not supported: callcast relays H264 video and AAC (MPEG4-GENERIC or "
                  "MP4A-LATM), opus, PCMU, PCMA or G722 audio");
    }
    track.codec = *codec;
    track.encoding = map->encoding;
    track.clock_rate = map->clock_rate;
    if (track.clock_rate == 0) return fail("track clock rate is 0");
    track.control = std::string(m.attribute("control").value_or(""));
    track.description = m;
    if (track.codec == Codec::h264) {
      if (auto fmtp = sdp::fmtp_for(m, track.payload_type)) {
        if (auto sprop = sdp::fmtp_parameter(*fmtp, "sprop-parameter-sets")) {
          if (auto sets = rtp::decode_sprop_parameter_sets(*sprop)) track.parameter_sets = *sets;
        }
      }
    }
    tracks.push_back(std::move(track));
  }
  if (tracks.empty()) return fail(std::string("the SDP announces no audio or video track"));
  return tracks;
}

TrackRelay::TrackRelay(TrackDescription description, std::uint32_t out_ssrc,
                       Clock::duration stale_lag)
    : description_(std::move(description)),
      out_ssrc_(out_ssrc),
      staleness_(description_.clock_rate, stale_lag) {
  for (const auto& nal : description_.parameter_sets) {
    if (nal.empty()) continue;
    const auto type = nal[0] & 0x1f;
    if (type == rtp::kNalSps) sps_ = nal;
    if (type == rtp::kNalPps) pps_ = nal;
  }
}

void TrackRelay::rebase(Clock::time_point now) {
  rebase_pending_ = sent_any_;
  rebase_at_ = now;
  au_open_ = false;
  staleness_.reset();  // the new publisher's media clock is its own
  if (sent_any_) hold_until_keyframe();
}

void TrackRelay::hold_until_keyframe() {
  if (description_.codec == Codec::h264) holding_ = true;
}

SharedPacket TrackRelay::make_packet(rtp::Bytes original, std::uint16_t in_seq,
                                     std::uint32_t in_ts) const {
  auto packet = std::make_shared<RelayPacket>();
  packet->bytes.assign(original.begin(), original.end());
  packet->track = static_cast<std::uint8_t>(description_.index);
  packet->sequence = static_cast<std::uint16_t>(in_seq + seq_offset_);
  packet->timestamp = in_ts + ts_offset_;
  rtp::MutableBytes bytes(packet->bytes);
  rtp::set_sequence_number(bytes, packet->sequence);
  rtp::set_timestamp(bytes, packet->timestamp);
  rtp::set_ssrc(bytes, out_ssrc_);
  return packet;
}

void TrackRelay::remember_parameter_sets(rtp::Bytes payload) {
  auto keep = [this](rtp::Bytes nal) {
    if (nal.empty()) return;
    const auto type = nal[0] & 0x1f;
    if (type == rtp::kNalSps) sps_.assign(nal.begin(), nal.end());
    if (type == rtp::kNalPps) pps_.assign(nal.begin(), nal.end());
  };
  const auto type = payload[0] & 0x1f;
  if (type != rtp::kNalStapA) {
    keep(payload);
    return;
  }
  // STAP-A: 16-bit size, NAL unit, repeated (sizes already checked by inspect_h264_payload).
  std::size_t offset = 1;
  while (offset + 2 <= payload.size()) {
    const std::size_t size = rtp::read_u16(&payload[offset]);
    offset += 2;
    if (size == 0 || offset + size > payload.size()) return;
    keep(payload.subspan(offset, size));
    offset += size;
  }
}

IngestResult TrackRelay::ingest(rtp::Bytes packet, Clock::time_point now,
                                std::vector<SharedPacket>& out) {
  auto view = rtp::RtpPacketView::parse(packet);
  if (!view || view->payload_type() != description_.payload_type || view->payload().empty()) {
    ++malformed_;
    return {};
  }
  const std::uint16_t in_seq = view->sequence_number();
  const std::uint32_t in_ts = view->timestamp();

  std::optional<rtp::H264PayloadInfo> h264;
  if (description_.codec == Codec::h264) {
    h264 = rtp::inspect_h264_payload(view->payload());
    if (!h264) {
      ++malformed_;
      return {};
    }
  }

  if (rebase_pending_) {
    // Continue the relayed stream where the previous publisher left it, as if the pause between
    // them had passed on the media clock too.
    const auto gap = std::max(now - last_packet_at_, Clock::duration{std::chrono::milliseconds(1)});
    const auto ticks = static_cast<std::uint64_t>(
        std::llround(std::chrono::duration<double>(gap).count() * description_.clock_rate));
    seq_offset_ = static_cast<std::uint16_t>(last_out_seq_ + 1 - in_seq);
    ts_offset_ = static_cast<std::uint32_t>(last_out_ts_ + ticks - in_ts);
    rebase_pending_ = false;
  }

  IngestResult result;
  result.accepted = true;
  if (h264) {
    if (!au_open_ || in_ts != au_timestamp_) {
      au_open_ = true;
      au_timestamp_ = in_ts;
      au_has_sps_ = au_has_pps_ = au_is_keyframe_ = false;
      result.new_access_unit = true;
    }
    if (h264->has_sps || h264->has_pps) remember_parameter_sets(view->payload());
    au_has_sps_ = au_has_sps_ || h264->has_sps;
    au_has_pps_ = au_has_pps_ || h264->has_pps;
    if ((h264->has_sps || h264->has_idr) && !au_is_keyframe_) {
      au_is_keyframe_ = true;
      result.keyframe_start = true;
      ++keyframes_;
    }
  }
  if (!staleness_.fresh(in_ts, now)) {
    // Never relayed, so it takes no sequence number: the next relayed packet gets its number.
    --seq_offset_;
    hold_until_keyframe();  // the pictures after it refer to what was dropped
    result.stale = true;
    return result;
  }
  if (holding_) {
    if (!result.keyframe_start) {
      --seq_offset_;
      ++held_packets_;
      result.held = true;
      return result;
    }
    // Viewers restart decoding here: for the GOP cache, an access unit starts here too.
    holding_ = false;
    result.new_access_unit = true;
  }
  if (h264) {
    if (h264->has_idr && !(au_has_sps_ && au_has_pps_) && !sps_.empty() && !pps_.empty()) {
      std::array<std::uint8_t, 1500> buffer{};
      const std::vector<std::vector<std::uint8_t>> sets{sps_, pps_};
      const std::size_t payload =
          rtp::write_stap_a(rtp::MutableBytes(buffer).subspan(12), std::span(sets));
      if (payload > 0) {
        // RTP header: V=2, no padding/extension/CSRC, M=0, same PT and timestamp as the IDR.
        buffer[0] = 0x80;
        buffer[1] = description_.payload_type;
        auto injected = make_packet(rtp::Bytes(buffer.data(), 12 + payload), in_seq, in_ts);
        out.push_back(injected);
        ++seq_offset_;
        au_has_sps_ = au_has_pps_ = true;
        ++packets_;
        bytes_ += injected->bytes.size();
        payload_bytes_ += payload;
      }
    }
    result.keyframe_au = au_is_keyframe_;
  }

  auto relayed = make_packet(packet, in_seq, in_ts);
  last_out_seq_ = relayed->sequence;
  last_out_ts_ = relayed->timestamp;
  last_packet_at_ = now;
  sent_any_ = true;
  ++packets_;
  bytes_ += packet.size();
  payload_bytes_ += view->payload().size();
  out.push_back(std::move(relayed));
  return result;
}

std::size_t TrackRelay::relay_sender_report(const rtp::SenderInfo& publisher,
                                            std::string_view cname, rtp::MutableBytes out) {
  rtp::SenderInfo relayed = publisher;
  relayed.ssrc = out_ssrc_;
  relayed.rtp_timestamp = publisher.rtp_timestamp + ts_offset_;
  relayed.packet_count = static_cast<std::uint32_t>(packets_);
  relayed.octet_count = static_cast<std::uint32_t>(payload_bytes_);
  const std::size_t sr = rtp::write_sender_report(out, relayed);
  if (sr == 0) return 0;
  const std::size_t sdes = rtp::write_sdes_cname(out.subspan(sr), out_ssrc_, cname);
  if (sdes == 0) return 0;
  return sr + sdes;
}

void TrackRelay::update_bitrate(Clock::time_point now) {
  if (last_rate_at_ == Clock::time_point{}) {
    last_rate_at_ = now;
    bytes_at_last_rate_ = bytes_;
    return;
  }
  const double seconds = std::chrono::duration<double>(now - last_rate_at_).count();
  if (seconds < 0.5) return;
  bitrate_bps_ = static_cast<double>(bytes_ - bytes_at_last_rate_) * 8.0 / seconds;
  bytes_at_last_rate_ = bytes_;
  last_rate_at_ = now;
}

}  // namespace callcast::media
