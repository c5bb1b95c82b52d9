// The cost of one group's transcoded audio (issue 13): 1 s of 48 kHz stereo AAC (GStreamer's
// avenc_aac + rtpmp4gpay, the captured fixture of tests/unit/transcode) through AudioTranscoder
// to each phone codec. One iteration is one group-second, so CPU time per iteration is the CPU a
// group costs per second of audio per target codec, whatever its number of phones
// (audio_ms_per_iteration says how long an iteration's audio is exactly); items_per_second is
// about how many such groups one core could carry.
//
//   build/release/bench/micro/transcode_bench --benchmark_format=json
#include <benchmark/benchmark.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "rtp/rtp_packet_view.hpp"
#include "transcode/audio_transcoder.hpp"

namespace callcast::transcode {
namespace {

constexpr const char* kFmtp =
    "streamtype=5;profile-level-id=2;mode=AAC-hbr;config=119056e500;sizelength=13;"
    "indexlength=3;indexdeltalength=3";

std::vector<std::vector<std::uint8_t>> load_packets() {
  std::ifstream in(std::string(CALLCAST_TRANSCODE_DATA) + "/aac_hbr_48k_stereo.rtps",
                   std::ios::binary);
  const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                        std::istreambuf_iterator<char>());
  std::vector<std::vector<std::uint8_t>> packets;
  for (std::size_t offset = 0; offset + 2 <= bytes.size();) {
    const std::size_t length = (std::size_t{bytes[offset]} << 8) | bytes[offset + 1];
    offset += 2;
    if (offset + length > bytes.size()) break;
    packets.emplace_back(bytes.begin() + static_cast<std::ptrdiff_t>(offset),
                         bytes.begin() + static_cast<std::ptrdiff_t>(offset + length));
    offset += length;
  }
  return packets;
}

void BM_TranscodeOneGroupSecond(benchmark::State& state) {
  const auto codec = static_cast<TargetAudioCodec>(state.range(0));
  auto packets = load_packets();
  if (packets.empty()) {
    state.SkipWithError("fixture aac_hbr_48k_stereo.rtps not found");
    return;
  }
  const auto source = SourceAudioFormat::from_sdp("MPEG4-GENERIC", 48000, 2, kFmtp);
  TargetAudioFormat target;
  target.codec = codec;
  target.payload_type = static_payload_type(codec).value_or(111);
  auto transcoder = AudioTranscoder::create(*source, target);
  if (!transcoder) {
    state.SkipWithError(transcoder.error().c_str());
    return;
  }
  std::size_t emitted = 0;
  std::size_t bytes_out = 0;
  const AudioTranscoder::PacketSink sink = [&](rtp::Bytes packet) {
    ++emitted;
    bytes_out += packet.size();
  };
  // The capture is 1 s; each iteration plays it again, one second and one capture's sequence
  // numbers later, so the transcoder sees one continuous stream.
  const std::uint32_t first_timestamp = rtp::read_u32(&packets.front()[4]);
  const std::uint32_t span = rtp::read_u32(&packets.back()[4]) - first_timestamp + 1024;
  std::vector<std::uint32_t> offsets;
  for (const auto& packet : packets)
    offsets.push_back(rtp::read_u32(&packet[4]) - first_timestamp);
  std::uint32_t round = 0;
  for (auto _ : state) {
    for (std::size_t i = 0; i < packets.size(); ++i) {
      auto& packet = packets[i];
      rtp::set_sequence_number(packet, static_cast<std::uint16_t>(round * packets.size() + i));
      rtp::set_timestamp(packet, first_timestamp + round * span + offsets[i]);
      const auto view = rtp::RtpPacketView::parse(packet);
      (*transcoder)->push(*view, sink);
    }
    ++round;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  // The capture holds 48 AAC frames (1.024 s, encoder priming included): divide by this for
  // the CPU per second of audio.
  state.counters["audio_ms_per_iteration"] = span * 1000.0 / 48000.0;
  state.counters["packets_out_per_group_second"] =
      static_cast<double>(emitted) / static_cast<double>(state.iterations());
  state.counters["bytes_out_per_group_second"] =
      static_cast<double>(bytes_out) / static_cast<double>(state.iterations());
  state.counters["decode_errors"] = static_cast<double>((*transcoder)->counters().decode_errors);
  state.counters["gaps"] = static_cast<double>((*transcoder)->counters().gaps_filled +
                                               (*transcoder)->counters().timestamp_jumps);
  state.SetLabel(std::string(encoding_name(codec)));
}

// The AAC decoding alone (depacketizer + libavcodec's decoder), the part every target repeats.
void BM_DecodeOneGroupSecond(benchmark::State& state) {
  auto packets = load_packets();
  const auto source = SourceAudioFormat::from_sdp("MPEG4-GENERIC", 48000, 2, kFmtp);
  auto depacketizer = source->make_depacketizer();
  auto decoder = AudioDecoder::create(*source);
  if (packets.empty() || !depacketizer || !decoder) {
    state.SkipWithError("fixture or decoder missing");
    return;
  }
  std::uint32_t round = 0;
  std::size_t samples = 0;
  for (auto _ : state) {
    for (std::size_t i = 0; i < packets.size(); ++i) {
      rtp::set_sequence_number(packets[i], static_cast<std::uint16_t>(round * packets.size() + i));
      auto units =
          (*depacketizer)->push(AudioRtpPacket::from(*rtp::RtpPacketView::parse(packets[i])));
      if (!units) continue;
      for (const auto& unit : *units) {
        if (!(*decoder)->send(unit.data)) continue;
        while (const AVFrame* frame = (*decoder)->receive()) {
          samples += static_cast<std::size_t>(frame->nb_samples);
        }
      }
    }
    ++round;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["audio_ms_per_iteration"] =
      static_cast<double>(samples) * 1000.0 / 48000.0 / static_cast<double>(state.iterations());
}

BENCHMARK(BM_DecodeOneGroupSecond)->Unit(benchmark::kMillisecond);

BENCHMARK(BM_TranscodeOneGroupSecond)
    ->Arg(static_cast<int>(TargetAudioCodec::pcmu))
    ->Arg(static_cast<int>(TargetAudioCodec::pcma))
    ->Arg(static_cast<int>(TargetAudioCodec::g722))
    ->Arg(static_cast<int>(TargetAudioCodec::opus))
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace callcast::transcode
