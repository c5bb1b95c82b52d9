#pragma once
// GroupMedia's unit-test fixture: a publisher feeding it H.264 and AAC packets, UDP and TCP
// viewers, and fakes recording every datagram and interleaved frame the relay sends.
#include <gtest/gtest.h>
#include <netinet/udp.h>
#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "media/group_media.hpp"
#include "rtp/generic_nack.hpp"
#include "rtp/rtcp.hpp"
#include "rtp/rtp_packet_view.hpp"
#include "unit/media/h264_rtp_packets.hpp"

namespace callcast::media::group_media_test {

inline std::uint64_t sent(const Viewer& viewer) {
  return viewer.delivery->packets_sent.load();
}
inline std::uint64_t dropped(const Viewer& viewer) {
  return viewer.delivery->packets_dropped.load();
}

using namespace std::chrono_literals;
using test::Buffer;
using test::bytes_of;
using test::fu_a;
using test::kAudioPt;
using test::kIdr;
using test::kPps;
using test::kSlice;
using test::kSps;
using test::kVideoPt;
using test::rtp_packet;
using test::stap_a;

constexpr std::size_t kVideo = 0;
constexpr std::size_t kAudio = 1;

// What a publisher (ffmpeg-like) announces: H.264 with sprop-parameter-sets and AAC, each with a
// relative control URL, a media-level c= line and a direction attribute of its own.
inline std::string announced_sdp() {
  return std::string(
             "v=0\r\n"
             "o=- 0 0 IN IP4 192.0.2.10\r\n"
             "s=Publisher\r\n"
             "c=IN IP4 192.0.2.10\r\n"
             "t=0 0\r\n"
             "a=tool:libavformat\r\n"
             "a=control:*\r\n"
             "m=video 0 RTP/AVP 96\r\n"
             "c=IN IP4 192.0.2.10\r\n"
             "b=AS:2000\r\n"
             "a=rtpmap:96 H264/90000\r\n"
             "a=fmtp:96 packetization-mode=1; sprop-parameter-sets=") +
         test::kSpropParameterSets +
         "; profile-level-id=42C01E\r\n"
         "a=control:streamid=0\r\n"
         "a=recvonly\r\n"
         "m=audio 0 RTP/AVP 97\r\n"
         "c=IN IP4 192.0.2.10\r\n"
         "b=AS:128\r\n"
         "a=rtpmap:97 MPEG4-GENERIC/44100/2\r\n"
         "a=fmtp:97 profile-level-id=1;mode=AAC-hbr;sizelength=13;indexlength=3;"
         "indexdeltalength=3; config=121056E500\r\n"
         "a=control:rtsp://192.0.2.10/live/streamid=1\r\n";
}

inline UdpEndpoint endpoint(std::uint16_t port) {
  return {boost::asio::ip::make_address("198.51.100.7"), port};
}

// Records every datagram the relay hands to the kernel, RTP (the fan-out's transmitter) and RTCP
// (rtcp_port()) apart; destinations in `failing` are refused as a full socket buffer would be.
class FakeUdpSender : public DatagramTransmitter {
 public:
  struct Datagram {
    Buffer bytes;
    UdpEndpoint to;
  };

  // What the kernel does with a batch of messages: each message to its address, split into
  // datagrams of the UDP_SEGMENT size when it carries one; stops at the first refused message.
  int transmit(std::span<mmsghdr> messages, int& error) override {
    ++rtp_batches;
    return take(messages, error, rtp);
  }

  DatagramTransmitter& rtcp_port() { return rtcp_port_; }

  std::vector<Buffer> rtp_to(const UdpEndpoint& to) const { return filter(rtp, to); }
  std::vector<Buffer> rtcp_to(const UdpEndpoint& to) const { return filter(rtcp, to); }

  std::vector<Datagram> rtp;
  std::vector<Datagram> rtcp;
  std::set<UdpEndpoint> failing;
  bool refuse_gso = false;      // as a device without checksum offload does (EIO)
  std::size_t rtp_batches = 0;  // kernel calls
  std::size_t gso_messages = 0;

 private:
  class RtcpPort final : public DatagramTransmitter {
   public:
    explicit RtcpPort(FakeUdpSender& owner) : owner_(owner) {}
    int transmit(std::span<mmsghdr> messages, int& error) override {
      return owner_.take(messages, error, owner_.rtcp);
    }

   private:
    FakeUdpSender& owner_;
  };

  int take(std::span<mmsghdr> messages, int& error, std::vector<Datagram>& into) {
    for (std::size_t i = 0; i < messages.size(); ++i) {
      const msghdr& header = messages[i].msg_hdr;
      UdpEndpoint to;
      std::memcpy(to.data(), header.msg_name, header.msg_namelen);
      std::size_t segment = 0;
      if (header.msg_controllen != 0) {
        const auto* control = CMSG_FIRSTHDR(&header);
        EXPECT_EQ(control->cmsg_level, SOL_UDP);
        std::uint16_t size = 0;
        std::memcpy(&size, CMSG_DATA(control), sizeof(size));
        segment = size;
      }
      if (failing.contains(to) || (segment != 0 && refuse_gso)) {
        if (i > 0) return static_cast<int>(i);
        error = segment != 0 && refuse_gso ? EIO : EAGAIN;
        return -1;
      }
      Buffer bytes;
      for (std::size_t v = 0; v < header.msg_iovlen; ++v) {
        const auto* base = static_cast<const std::uint8_t*>(header.msg_iov[v].iov_base);
        bytes.insert(bytes.end(), base, base + header.msg_iov[v].iov_len);
      }
      if (segment != 0) ++gso_messages;
      const std::size_t step = segment != 0 ? segment : bytes.size();
      for (std::size_t at = 0; at < bytes.size(); at += step) {
        const std::size_t size = std::min(step, bytes.size() - at);
        into.push_back({Buffer(bytes.begin() + static_cast<std::ptrdiff_t>(at),
                               bytes.begin() + static_cast<std::ptrdiff_t>(at + size)),
                        to});
      }
    }
    return static_cast<int>(messages.size());
  }

  RtcpPort rtcp_port_{*this};

  static std::vector<Buffer> filter(const std::vector<Datagram>& sent, const UdpEndpoint& to) {
    std::vector<Buffer> out;
    for (const auto& datagram : sent) {
      if (datagram.to == to) out.push_back(datagram.bytes);
    }
    return out;
  }
};

// A viewer's RTSP connection for interleaved delivery; refuses frames while `accept` is false.
class FakeInterleavedWriter : public InterleavedWriter {
 public:
  struct Frame {
    std::uint8_t channel;
    SharedPacket packet;  // RTP
    Buffer bytes;         // RTCP
  };

  bool write_packet(std::uint8_t channel, const SharedPacket& packet) override {
    if (!accept) return false;
    frames.push_back({channel, packet, {}});
    return true;
  }
  bool write_bytes(std::uint8_t channel, rtp::Bytes bytes) override {
    if (!accept) return false;
    frames.push_back({channel, nullptr, Buffer(bytes.begin(), bytes.end())});
    return true;
  }

  std::vector<Buffer> rtp_on(std::uint8_t channel) const {
    std::vector<Buffer> out;
    for (const auto& frame : frames) {
      if (frame.channel == channel && frame.packet) out.push_back(frame.packet->bytes);
    }
    return out;
  }

  std::vector<Frame> frames;
  bool accept = true;
};

// One relayed RTP packet as a viewer sees it.
struct Received {
  std::uint16_t sequence = 0;
  std::uint32_t timestamp = 0;
  std::uint32_t ssrc = 0;
  std::vector<int> nal_types;  // video only; see test::nal_types
  Buffer payload;
};

inline std::vector<Received> decode(const std::vector<Buffer>& datagrams) {
  std::vector<Received> out;
  for (const auto& bytes : datagrams) {
    const auto view = rtp::RtpPacketView::parse(bytes_of(bytes));
    EXPECT_TRUE(view);
    if (!view) continue;
    Received received;
    received.sequence = view->sequence_number();
    received.timestamp = view->timestamp();
    received.ssrc = view->ssrc();
    if (view->payload_type() == kVideoPt) received.nal_types = test::nal_types(view->payload());
    const auto payload = view->payload();
    received.payload.assign(payload.begin(), payload.end());
    out.push_back(received);
  }
  return out;
}

// Each sequence number one more than the one before, modulo 2^16: no gap, no duplicate.
inline ::testing::AssertionResult contiguous(const std::vector<Received>& packets) {
  for (std::size_t i = 1; i < packets.size(); ++i) {
    if (rtp::sequence_delta(packets[i].sequence, packets[i - 1].sequence) != 1) {
      return ::testing::AssertionFailure() << "sequence " << packets[i - 1].sequence << " then "
                                           << packets[i].sequence << " at index " << i;
    }
  }
  return ::testing::AssertionSuccess();
}

inline std::vector<rtp::RtcpPacketView> rtcp_packets(const Buffer& compound) {
  const auto parsed = rtp::RtcpCompoundView::parse(bytes_of(compound));
  EXPECT_TRUE(parsed);
  if (!parsed) return {};
  return {parsed->begin(), parsed->end()};
}

class GroupMediaTest : public ::testing::Test {
 protected:
  GroupMediaTest() { limits_.pace_burst_packets = 3; }

  GroupMedia& media() {
    if (!media_) {
      auto announced = sdp::SessionDescription::parse(announced_sdp());
      EXPECT_TRUE(announced);
      auto tracks = describe_tracks(*announced);
      EXPECT_TRUE(tracks);
      media_ = std::make_unique<GroupMedia>("g1", *tracks, *announced, udp_.rtcp_port(), fanout_,
                                            limits_, 7);
    }
    return *media_;
  }
  std::uint32_t video_ssrc() { return media().tracks()[kVideo].out_ssrc(); }
  std::uint32_t audio_ssrc() { return media().tracks()[kAudio].out_ssrc(); }

  // --- the publisher ---
  void publish(std::size_t track, const Buffer& packet) {
    now_ += 1ms;
    EXPECT_TRUE(media().on_publisher_rtp(track, bytes_of(packet), now_));
    if (flush_each_packet_) media().flush();
  }
  void publish_video(const Buffer& payload, bool marker = false) {
    publish(kVideo, rtp_packet(video_seq_++, video_ts_, payload, kVideoPt, marker, video_ssrc_in_));
  }
  void next_picture() { video_ts_ += 3000; }
  // SPS/PPS aggregated, then an IDR in two fragments.
  void publish_keyframe() {
    next_picture();
    publish_video(stap_a({kSps, kPps}));
    publish_video(fu_a(kIdr, true, false, {0x11, 0x22}));
    publish_video(fu_a(kIdr, false, true, {0x33}), true);
  }
  // An IDR without SPS/PPS in band: the relay injects them (one more packet).
  void publish_bare_keyframe() {
    next_picture();
    publish_video(fu_a(kIdr, true, false, {0x11, 0x22}));
    publish_video(fu_a(kIdr, false, true, {0x33}), true);
  }
  void publish_delta() {
    next_picture();
    publish_video(kSlice, true);
  }
  void publish_audio() {
    publish(kAudio, rtp_packet(audio_seq_++, audio_ts_, {0x00, 0x10, 0x01, 0x20, 0x21, 0x00},
                               kAudioPt, true, 0x5555));
    audio_ts_ += 1024;
  }

  // --- viewers ---
  // RTP/RTCP of video at base, base+1; of audio at base+2, base+3.
  Viewer& add_udp_viewer(std::string id, std::uint16_t base, bool video = true, bool audio = true) {
    Viewer& viewer = media().add_viewer("1000" + id, id, false, {}, now_);
    viewer.tracks[kVideo].set_up = video;
    viewer.tracks[kVideo].rtp = endpoint(base);
    viewer.tracks[kVideo].rtcp = endpoint(static_cast<std::uint16_t>(base + 1));
    viewer.tracks[kAudio].set_up = audio;
    viewer.tracks[kAudio].rtp = endpoint(static_cast<std::uint16_t>(base + 2));
    viewer.tracks[kAudio].rtcp = endpoint(static_cast<std::uint16_t>(base + 3));
    return viewer;
  }
  // Interleaved channels 0/1 for video, 2/3 for audio.
  Viewer& add_tcp_viewer(std::string id, const std::shared_ptr<FakeInterleavedWriter>& writer) {
    Viewer& viewer = media().add_viewer("2000" + id, id, true, writer, now_);
    for (std::size_t track : {kVideo, kAudio}) {
      viewer.tracks[track].set_up = true;
      viewer.tracks[track].rtp_channel = static_cast<std::uint8_t>(2 * track);
      viewer.tracks[track].rtcp_channel = static_cast<std::uint8_t>(2 * track + 1);
    }
    return viewer;
  }
  std::vector<TrackStart> play(Viewer& viewer) { return media().start_playing(viewer, now_); }
  void pace_until_done() {
    for (int i = 0; i < 1000 && media().pace(); ++i) {
    }
  }
  std::vector<Received> video_at(std::uint16_t base) { return decode(udp_.rtp_to(endpoint(base))); }
  std::vector<Received> audio_at(std::uint16_t base) {
    return decode(udp_.rtp_to(endpoint(static_cast<std::uint16_t>(base + 2))));
  }

  GroupMediaLimits limits_;
  FakeUdpSender udp_;
  FanoutEngine fanout_{FanoutOptions{.workers = 0}, udp_};  // inline: sends happen at flush()
  MediaMetrics metrics_;  // before media_: it reports to it until destroyed
  std::unique_ptr<GroupMedia> media_;
  bool flush_each_packet_ = true;
  Clock::time_point now_ = Clock::time_point{} + 5000s;
  std::uint16_t video_seq_ = 4000;
  std::uint32_t video_ts_ = 90000;
  std::uint32_t video_ssrc_in_ = 0xaaaa;
  std::uint16_t audio_seq_ = 700;
  std::uint32_t audio_ts_ = 44100;
};

inline Buffer generic_nack(std::uint32_t media_ssrc, std::vector<std::uint16_t> lost) {
  Buffer out(2048);
  const std::size_t size = rtp::write_generic_nack(out, 0x1234, media_ssrc, lost);
  EXPECT_GT(size, 0U);
  out.resize(size);
  return out;
}

}  // namespace callcast::media::group_media_test
