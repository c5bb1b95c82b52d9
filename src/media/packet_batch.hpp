#pragma once
// The packets of one read from the publisher (usually one video frame, or a few audio frames),
// laid out once for the fan-out (step 709, DESIGN.md §7): the iovecs that point into the shared
// packets and the runs that leave in one send per viewer. Built on the media loop, then shared
// read-only by every fan-out worker: no per-viewer copy, no per-viewer allocation.
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "media/relay_packet.hpp"

namespace callcast::media {

// Consecutive packets of one track that can go to a viewer in one datagram send: with UDP GSO
// (UDP_SEGMENT) the kernel splits them into `count` datagrams of `segment_size` bytes (the last
// one may be shorter), so a viewer receives exactly the same datagrams as packet by packet.
struct PacketRun {
  std::uint8_t track = 0;
  std::uint16_t first = 0;         // index of the first packet (and iovec)
  std::uint16_t count = 0;         // packets in the run
  std::uint16_t segment_size = 0;  // the size of every packet but the last; 0 for a single packet
  std::uint32_t bytes = 0;
  // The control message carrying UDP_SEGMENT, ready for msghdr (empty when count == 1).
  alignas(cmsghdr) std::array<std::uint8_t, CMSG_SPACE(sizeof(std::uint16_t))> control{};
  std::size_t control_size = 0;
};

// Writes run.segment_size into run.control as a UDP_SEGMENT control message.
void write_segment_control(PacketRun& run);

class PacketBatch {
 public:
  // Linux limits: UDP_MAX_SEGMENTS is 64 on older kernels, and a GSO send is one UDP datagram
  // of at most 64 KiB before it is split.
  static constexpr std::size_t kMaxSegments = 64;
  static constexpr std::size_t kMaxRunBytes = 60000;

  PacketBatch() = default;
  explicit PacketBatch(std::size_t expected_packets) { reserve(expected_packets); }
  void reserve(std::size_t packets);

  void add(SharedPacket packet) { packets_.push_back(std::move(packet)); }
  bool empty() const { return packets_.empty(); }
  std::size_t size() const { return packets_.size(); }
  void clear();

  // Lays out the iovecs and the runs; with `gso` false every run is one packet.
  void seal(bool gso);

  std::span<const SharedPacket> packets() const { return packets_; }
  std::span<const PacketRun> runs() const { return runs_; }
  std::span<const iovec> iov() const { return iov_; }
  // Packets and bytes of each track, for the viewers' counters.
  std::uint32_t packets_of(std::size_t track) const { return track_packets_[track]; }
  std::uint64_t bytes_of(std::size_t track) const { return track_bytes_[track]; }

 private:
  std::vector<SharedPacket> packets_;
  std::vector<iovec> iov_;
  std::vector<PacketRun> runs_;
  std::array<std::uint32_t, kMaxTracks> track_packets_{};
  std::array<std::uint64_t, kMaxTracks> track_bytes_{};
};

}  // namespace callcast::media
