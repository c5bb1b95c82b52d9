// Interop: the transcoder's output, sent as RTP over loopback UDP to ffmpeg reading an SDP file
// (what a phone's SDP answer would say), decoded by ffmpeg to WAV. ffmpeg must hear the 440 Hz
// tone for as long as was sent.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>
#include <thread>

#include "rtp/rtp_packet_view.hpp"
#include "support/child_process.hpp"
#include "support/temp_dir.hpp"
#include "transcode/audio_transcoder.hpp"
#include "unit/transcode/captured_stream.hpp"
#include "unit/transcode/output_audio.hpp"

namespace callcast::transcode {
namespace {

using test::ByteVector;

constexpr std::size_t kSeconds = 3;

// An even UDP port whose odd neighbour is free too (ffmpeg binds RTP and RTCP).
std::uint16_t free_port_pair() {
  std::mt19937 random(std::random_device{}());
  for (int attempt = 0; attempt < 200; ++attempt) {
    const auto port = static_cast<std::uint16_t>(20000 + 2 * (random() % 20000));
    int fds[2] = {::socket(AF_INET, SOCK_DGRAM, 0), ::socket(AF_INET, SOCK_DGRAM, 0)};
    bool free = true;
    for (int k = 0; k < 2; ++k) {
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      address.sin_port = htons(static_cast<std::uint16_t>(port + k));
      free = free && ::bind(fds[k], reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
    }
    ::close(fds[0]);
    ::close(fds[1]);
    if (free) return port;
  }
  return 0;
}

// True once some socket is bound to UDP `port` (from /proc/net/udp).
bool udp_port_bound(std::uint16_t port) {
  std::ifstream table("/proc/net/udp");
  std::string line;
  char wanted[8];
  std::snprintf(wanted, sizeof(wanted), ":%04X", port);
  std::getline(table, line);
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string slot, local;
    fields >> slot >> local;
    if (local.size() > 5 && local.substr(local.size() - 5) == wanted) return true;
  }
  return false;
}

struct Wav {
  int sample_rate = 0;
  int channels = 0;
  std::vector<float> mono;
};

// A 16-bit PCM WAV as ffmpeg writes it (RIFF, fmt, maybe LIST, data).
Wav read_wav(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                        std::istreambuf_iterator<char>());
  Wav wav;
  const auto u32 = [&](std::size_t at) {
    return std::uint32_t{bytes[at]} | (std::uint32_t{bytes[at + 1]} << 8) |
           (std::uint32_t{bytes[at + 2]} << 16) | (std::uint32_t{bytes[at + 3]} << 24);
  };
  if (bytes.size() < 12 || std::memcmp(bytes.data(), "RIFF", 4) != 0) return wav;
  for (std::size_t at = 12; at + 8 <= bytes.size();) {
    const std::string id(bytes.begin() + static_cast<std::ptrdiff_t>(at),
                         bytes.begin() + static_cast<std::ptrdiff_t>(at + 4));
    std::size_t size = u32(at + 4);
    at += 8;
    if (id == "fmt ") {
      wav.channels = bytes[at + 2] | (bytes[at + 3] << 8);
      wav.sample_rate = static_cast<int>(u32(at + 4));
    } else if (id == "data") {
      size = std::min(size, bytes.size() - at);
      for (std::size_t i = 0;
           wav.channels > 0 && i + 2 * static_cast<std::size_t>(wav.channels) <= size;
           i += 2 * static_cast<std::size_t>(wav.channels)) {
        float mix = 0;
        for (std::size_t c = 0; c < static_cast<std::size_t>(wav.channels); ++c) {
          const auto sample =
              static_cast<std::int16_t>(bytes[at + i + 2 * c] | (bytes[at + i + 2 * c + 1] << 8));
          mix += sample / 32768.0f;
        }
        wav.mono.push_back(mix / static_cast<float>(wav.channels));
      }
      break;
    }
    at += size + (size & 1);
  }
  return wav;
}

// kSeconds of the captured tone through the transcoder, the capture repeated as one stream.
std::vector<ByteVector> transcode_seconds(const TargetAudioFormat& target) {
  const auto capture = test::load_capture("aac_hbr_48k_stereo");
  auto transcoder = AudioTranscoder::create(capture.format(), target).value();
  std::vector<ByteVector> out;
  const AudioTranscoder::PacketSink sink = [&](rtp::Bytes packet) {
    out.emplace_back(packet.begin(), packet.end());
  };
  const std::uint32_t first = capture.packet(0).timestamp;
  const std::uint32_t span = capture.packet(capture.packets.size() - 1).timestamp - first + 1024;
  for (std::size_t round = 0; round < kSeconds; ++round) {
    for (std::size_t i = 0; i < capture.packets.size(); ++i) {
      ByteVector bytes = capture.packets[i];
      rtp::set_sequence_number(bytes,
                               static_cast<std::uint16_t>(round * capture.packets.size() + i));
      rtp::set_timestamp(bytes,
                         rtp::read_u32(&bytes[4]) + static_cast<std::uint32_t>(round) * span);
      transcoder->push(*rtp::RtpPacketView::parse(bytes), sink);
    }
  }
  transcoder->finish(sink);
  return out;
}

class FfmpegInteropTest : public ::testing::TestWithParam<TargetAudioCodec> {};

TEST_P(FfmpegInteropTest, FfmpegDecodesTheToneFromAnSdp) {
  const TargetAudioCodec codec = GetParam();
  TargetAudioFormat target;
  target.codec = codec;
  target.payload_type = static_payload_type(codec).value_or(111);
  const auto packets = transcode_seconds(target);
  ASSERT_GT(packets.size(), kSeconds * 49);

  callcast::test::TempDir dir("transcode-interop");
  const std::uint16_t port = free_port_pair();
  ASSERT_NE(port, 0);
  {
    std::ofstream sdp(dir / "stream.sdp");
    sdp << "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=callcast transcoded audio\r\n"
        << "c=IN IP4 127.0.0.1\r\nt=0 0\r\n"
        << "m=audio " << port << " RTP/AVP " << int{target.payload_type} << "\r\n"
        << "a=rtpmap:" << int{target.payload_type} << " " << encoding_name(codec) << "/"
        << rtp_clock_rate(codec) << (codec == TargetAudioCodec::opus ? "/2" : "") << "\r\n"
        << "a=recvonly\r\n";
  }
  callcast::test::ChildOptions options;
  options.argv = {"ffmpeg",
                  "-hide_banner",
                  "-nostdin",
                  "-loglevel",
                  "warning",
                  "-protocol_whitelist",
                  "file,udp,rtp",
                  "-i",
                  (dir / "stream.sdp").string(),
                  "-t",
                  std::to_string(kSeconds),
                  "-y",
                  (dir / "out.wav").string()};
  options.stdout_file = dir / "ffmpeg.out";
  options.stderr_file = dir / "ffmpeg.err";
  callcast::test::ChildProcess ffmpeg(options);
  ASSERT_TRUE(ffmpeg.started()) << ffmpeg.error();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!udp_port_bound(port) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(udp_port_bound(port)) << "ffmpeg never listened on " << port;

  const int socket = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  to.sin_port = htons(port);
  for (const auto& packet : packets) {  // 4x real time: ffmpeg goes by timestamps, not arrival
    ::sendto(socket, packet.data(), packet.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::close(socket);
  // With -t, ffmpeg ends the WAV itself once it has decoded kSeconds: it needs every one of
  // them from the stream (a signal would interrupt its writing of the WAV too).
  const auto ended = ffmpeg.wait_for(std::chrono::seconds(10));
  ASSERT_TRUE(ended.has_value()) << "ffmpeg did not get " << kSeconds << " s of audio";
  EXPECT_TRUE(ended->success()) << ended->describe();

  const Wav wav = read_wav(dir / "out.wav");
  ASSERT_GT(wav.sample_rate, 0) << "no WAV written; ffmpeg said: see " << (dir / "ffmpeg.err");
  EXPECT_EQ(wav.sample_rate, static_cast<int>(coded_sample_rate(codec)));
  const double seconds = static_cast<double>(wav.mono.size()) / wav.sample_rate;
  EXPECT_NEAR(seconds, static_cast<double>(kSeconds), 0.03);
  const std::size_t begin = wav.mono.size() / 5;
  const std::size_t end = wav.mono.size() * 4 / 5;
  const double tone = test::tone_power(wav.mono, begin, end, wav.sample_rate, 440);
  for (const double other : {250.0, 1000.0, 2000.0, 3000.0}) {
    EXPECT_GT(tone, 100 * test::tone_power(wav.mono, begin, end, wav.sample_rate, other)) << other;
  }
  EXPECT_GT(test::mean_square(wav.mono, begin, end), 0.05);
}

INSTANTIATE_TEST_SUITE_P(PhoneCodecs, FfmpegInteropTest,
                         ::testing::Values(TargetAudioCodec::pcmu, TargetAudioCodec::pcma,
                                           TargetAudioCodec::g722, TargetAudioCodec::opus),
                         [](const auto& codec) { return std::string(encoding_name(codec.param)); });

}  // namespace
}  // namespace callcast::transcode
