#pragma once
// One group's audio in one target codec (issue 13): the publisher's AAC or Opus RTP in, G.711,
// G.722 or Opus RTP out, once per group and target codec whatever the number of phones; the
// media side sends each output packet to every phone that negotiated the target (one shared
// buffer, as for relayed packets).
//
//   RTP in -> depacketizer (RFC 3640 / 6416 / 7587) -> access units with timestamps
//          -> AudioDecoder (libavcodec) -> PCM -> libswresample -> FIFO -> 20 ms frames
//          -> AudioEncoder (libavcodec) -> payload -> RtpAudioPacketizer -> RTP out
//
// Threading: a transcoder belongs to the event-loop shard that runs its group and is only used
// from there; it has no locks and no threads (libavcodec's are turned off). Per packet it
// allocates nothing of its own (buffers are reserved at create()); libavcodec allocates the
// encoded packet.
//
// Time: output timestamps stay tied to input time, so the phone's lip sync holds.
//  - Input RTP timestamps are unwrapped to 64 bits. The first decoded frame anchors the input
//    timeline to the output's first timestamp; from then on output_timestamp(in) =
//    anchor_out + (in - anchor_in) * target_clock / source_clock, and that is the function the
//    media side uses to translate the publisher's RTCP sender reports for the transcoded stream.
//  - Samples are counted, not re-stamped: each decoded frame is expected where the previous one
//    ended. Within +-5 ms (sender jitter) it is taken as is.
//  - A frame later than expected (lost packets, a decoder error) leaves a gap: up to 100 ms is
//    filled with silence through the resampler, so the phone's stream stays continuous and the
//    audio after the gap is exactly where it belongs. A longer gap (up to 60 s: a stalled
//    publisher) is not filled: what is buffered is sent (padded to a frame), the output timestamp
//    jumps to output_timestamp(frame), and the next packet carries the marker bit (a new
//    talkspurt, RFC 3551 §4.1); sequence numbers stay continuous.
//  - A frame earlier than expected (overlap) has its overlapping samples dropped; a frame wholly
//    in the past is dropped.
//  - A jump of more than 60 s forward or 1 s backward is not time but a new timeline (the
//    publisher restarted its clock): the output continues from where it is, re-anchored, with
//    the marker bit.
//  - The resampler's delay (under 1 ms) and Opus's encoder lookahead (6.5 ms) are constant
//    offsets, left as they are.
//
// Changes: a decoded frame whose rate or channel layout differs from the previous one (HE-AAC's
// SBR found by decoding, Opus mono/stereo) rebuilds the resampler without losing its buffered
// samples. A new source format (a reconnecting publisher's new SDP) goes to change_source():
// new depacketizer and decoder, same output stream (SSRC, sequence numbers continue, timestamps
// continue, marker set): phones notice nothing but the marker.
//
// Errors: malformed packets and access units the decoder rejects are counted, the last error is
// kept for the log, and the stream goes on (the gap rule above covers what was lost).
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "rtp/byte_io.hpp"
#include "rtp/rtp_packet_view.hpp"
#include "transcode/audio_decoder.hpp"
#include "transcode/audio_depacketizer.hpp"
#include "transcode/audio_encoder.hpp"
#include "transcode/av_handles.hpp"
#include "transcode/rtp_audio_packetizer.hpp"
#include "transcode/source_audio_format.hpp"
#include "transcode/target_audio_format.hpp"

namespace callcast::transcode {

struct TranscoderCounters {
  std::uint64_t input_packets = 0;
  std::uint64_t malformed_packets = 0;  // refused by the depacketizer
  std::uint64_t access_units = 0;
  std::uint64_t decode_errors = 0;    // access units the decoder refused or failed
  std::uint64_t decoded_samples = 0;  // at the decoder's rate
  std::uint64_t gaps_filled = 0;      // gaps up to 100 ms filled with silence
  std::uint64_t silence_ticks = 0;    // their total, in source RTP clock ticks
  std::uint64_t timestamp_jumps = 0;  // longer gaps: output timestamp jumped, marker set
  std::uint64_t overlap_dropped_samples = 0;
  std::uint64_t late_frames = 0;      // wholly before the expected time: dropped
  std::uint64_t timeline_resets = 0;  // new input timeline (jump > 60 s or back > 1 s)
  std::uint64_t format_changes = 0;   // resampler rebuilt for a new decoded format
  std::uint64_t source_changes = 0;   // change_source() calls that took effect
  std::uint64_t encode_errors = 0;
  std::uint64_t output_packets = 0;
  std::uint64_t output_bytes = 0;  // RTP packets, headers included
};

class AudioTranscoder {
 public:
  // Receives one output RTP packet; the bytes are valid during the call only.
  using PacketSink = std::function<void(rtp::Bytes rtp_packet)>;

  static constexpr std::uint32_t kJitterToleranceMs = 5;
  static constexpr std::uint32_t kMaxFilledGapMs = 100;
  static constexpr std::uint32_t kMaxTimestampJumpMs = 60'000;
  static constexpr std::uint32_t kMaxBackwardMs = 1'000;

  // output: SSRC, first sequence number and timestamp (OutputRtpStream::random by default) and
  // the payload type the phones negotiated.
  static Result<std::unique_ptr<AudioTranscoder>, std::string> create(
      const SourceAudioFormat& source, const TargetAudioFormat& target);
  static Result<std::unique_ptr<AudioTranscoder>, std::string> create(
      const SourceAudioFormat& source, const TargetAudioFormat& target,
      const OutputRtpStream& output);
  ~AudioTranscoder();
  AudioTranscoder(const AudioTranscoder&) = delete;
  AudioTranscoder& operator=(const AudioTranscoder&) = delete;

  // One publisher RTP packet of the group's audio track. emit runs for each finished output
  // packet (0, 1 or a few per input packet).
  void push(const AudioRtpPacket& packet, const PacketSink& emit);
  void push(const rtp::RtpPacketView& packet, const PacketSink& emit) {
    push(AudioRtpPacket::from(packet), emit);
  }

  // The publisher came back with another audio format. The old source's buffered audio is sent
  // first; on error nothing changes.
  Result<bool, std::string> change_source(const SourceAudioFormat& source, const PacketSink& emit);

  // End of the stream: sends what is buffered, padded with silence to a whole frame, and what the
  // encoder still holds. push() after finish() does nothing.
  void finish(const PacketSink& emit);

  // The output RTP timestamp of the input RTP timestamp `input` (RTCP SR translation); nullopt
  // before the first decoded frame.
  std::optional<std::uint32_t> output_timestamp(std::uint32_t input) const;

  std::uint32_t ssrc() const { return packetizer_.ssrc(); }
  const TargetAudioFormat& target() const { return target_; }
  const SourceAudioFormat& source() const { return source_; }
  const TranscoderCounters& counters() const { return counters_; }
  const DepacketizerCounters& depacketizer_counters() const { return depacketizer_->counters(); }
  const std::string& last_error() const { return last_error_; }

 private:
  AudioTranscoder(const SourceAudioFormat& source, const TargetAudioFormat& target,
                  const OutputRtpStream& output);
  Result<bool, std::string> init(const SourceAudioFormat& source);

  std::int64_t unwrap(std::uint32_t timestamp);
  std::int64_t map_to_output(std::int64_t input_ticks) const;
  void take_access_unit(const AccessUnit& unit, const PacketSink& emit);
  void take_frame(const AVFrame& frame, std::int64_t ticks, const PacketSink& emit);
  bool ensure_resampler(const AVFrame& frame);
  bool resample(const std::uint8_t** planes, int samples);
  bool resample_silence(std::int64_t samples);
  void flush_resampler();
  void encode_ready(const PacketSink& emit);
  void send_buffered(const PacketSink& emit);
  void restart_timeline(std::int64_t ticks, const PacketSink& emit);
  void emit_payloads(const PacketSink& emit);
  void record_error(std::string error) { last_error_ = std::move(error); }

  SourceAudioFormat source_;
  TargetAudioFormat target_;
  std::unique_ptr<AudioDepacketizer> depacketizer_;
  std::unique_ptr<AudioDecoder> decoder_;
  std::unique_ptr<AudioEncoder> encoder_;
  RtpAudioPacketizer packetizer_;
  TranscoderCounters counters_;
  std::string last_error_;
  bool finished_ = false;

  // Resampler, from the decoded format (which may change) to the encoder's.
  SwrPtr resampler_;
  int resampler_rate_ = 0;
  AVChannelLayout resampler_layout_{};
  int resampler_format_ = -1;
  std::uint8_t** converted_ = nullptr;  // av_samples_alloc_array_and_samples, in encoder format
  int converted_capacity_ = 0;
  AudioFifoPtr fifo_;
  std::vector<std::uint8_t> zeros_;  // silence in any decoded format, fed in chunks

  // Time (see the header comment). Input in source RTP ticks, output in target RTP ticks.
  std::optional<std::int64_t> last_input_;  // unwrapping state
  bool timeline_started_ = false;
  std::int64_t expected_input_ = 0;  // where the next decoded sample belongs
  std::int64_t anchor_input_ = 0;
  std::int64_t anchor_output_ = 0;
  std::int64_t next_output_ = 0;  // timestamp of the first sample in the FIFO
  bool marker_pending_ = true;
  // Timestamps and markers of frames given to the encoder, popped as its packets come out.
  struct PendingFrame {
    std::uint32_t timestamp;
    bool marker;
  };
  static constexpr std::size_t kMaxPendingFrames = 16;
  std::array<PendingFrame, kMaxPendingFrames> pending_{};
  std::size_t pending_head_ = 0;
  std::size_t pending_count_ = 0;
};

}  // namespace callcast::transcode
