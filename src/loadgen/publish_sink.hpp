#pragma once
// Where the publisher's RTP goes: interleaved on an RTSP connection in RECORD state (RFC 2326
// §10.12: '$', channel, 16-bit length, packet; video on channel 0, audio on 2), or plain UDP to
// one address per track (both may be the same address). Send errors are counted, never thrown:
// a server that stops reading must not stop the measurement of what was delivered.
#include <netinet/in.h>

#include <cstdint>
#include <span>
#include <vector>

#include "loadgen/media_packetizer.hpp"

namespace callcast::loadgen {

class PublishSink {
 public:
  virtual ~PublishSink() = default;
  // Queues or sends one RTP packet.
  virtual void send(MediaKind kind, std::span<const std::uint8_t> packet) = 0;
  // Sends what was queued; called after each burst of due packets.
  virtual void flush() {}
  std::uint64_t errors() const { return errors_; }

 protected:
  std::uint64_t errors_ = 0;
};

// Owns `fd` (a blocking TCP socket in RECORD state); reads and drops what the server sends.
class InterleavedTcpSink final : public PublishSink {
 public:
  explicit InterleavedTcpSink(int fd);
  ~InterleavedTcpSink() override;
  InterleavedTcpSink(const InterleavedTcpSink&) = delete;
  InterleavedTcpSink& operator=(const InterleavedTcpSink&) = delete;
  void send(MediaKind kind, std::span<const std::uint8_t> packet) override;
  void flush() override;

 private:
  int fd_;
  std::vector<std::uint8_t> pending_;
};

class UdpSink final : public PublishSink {
 public:
  // Ports on 127.0.0.1.
  UdpSink(std::uint16_t video_port, std::uint16_t audio_port);
  ~UdpSink() override;
  UdpSink(const UdpSink&) = delete;
  UdpSink& operator=(const UdpSink&) = delete;
  void send(MediaKind kind, std::span<const std::uint8_t> packet) override;

 private:
  int fd_;
  sockaddr_in video_{};
  sockaddr_in audio_{};
};

}  // namespace callcast::loadgen
