#pragma once
// Every transcoded copy of one group's audio track (issue 13): one AudioTranscoder per distinct
// target the group's phones negotiated, created when the first phone needing it joins and
// dropped when the last one leaves, never one per phone. The media side keeps one of these per
// group on the group's shard, pushes each publisher audio packet once, and sends each output
// packet to every phone of that target from one shared buffer, as it does for relayed packets.
//
// Targets are equal when codec, payload type, channels and bitrate are: PCMU, PCMA and G.722 have
// static payload types, so only Opus phones choosing different dynamic types get separate
// transcoders (one encode with a per-type rewritten copy, as for video, would be cheaper: not
// needed until such phones meet in one group).
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "transcode/audio_transcoder.hpp"

namespace callcast::transcode {

class GroupAudioTranscoders {
 public:
  using TargetId = std::uint32_t;
  // One output packet of one target; the bytes are valid during the call only.
  using Sink = std::function<void(TargetId target, rtp::Bytes rtp_packet)>;

  explicit GroupAudioTranscoders(SourceAudioFormat source);
  // Pinned: each transcoder's sink points back here.
  GroupAudioTranscoders(const GroupAudioTranscoders&) = delete;
  GroupAudioTranscoders& operator=(const GroupAudioTranscoders&) = delete;

  // A phone that negotiated `target` joins; the id of the transcoder it shares.
  Result<TargetId, std::string> acquire(const TargetAudioFormat& target);
  // That phone left; the last one to leave a target ends its transcoder.
  void release(TargetId target);

  void push(const AudioRtpPacket& packet, const Sink& emit);
  // A new publisher format (see AudioTranscoder::change_source). Targets whose transcoder
  // cannot take it keep the old one and report the error; the others move on.
  Result<bool, std::string> change_source(const SourceAudioFormat& source, const Sink& emit);

  const AudioTranscoder* find(TargetId target) const;
  std::size_t transcoder_count() const { return entries_.size(); }
  std::size_t users(TargetId target) const;

 private:
  struct Entry {
    TargetId id;
    TargetAudioFormat target;
    std::size_t users;
    std::unique_ptr<AudioTranscoder> transcoder;
    AudioTranscoder::PacketSink forward;  // made once: no std::function built per packet
  };
  Entry* entry(TargetId target);

  SourceAudioFormat source_;
  std::vector<Entry> entries_;  // a handful at most: one per distinct target
  TargetId next_id_ = 1;
  const Sink* emit_ = nullptr;  // the sink of the push() in progress
};

}  // namespace callcast::transcode
