#include "media/packet_batch.hpp"

#include <netinet/udp.h>

#include <cstring>

namespace callcast::media {

namespace {

#ifndef UDP_SEGMENT
constexpr int UDP_SEGMENT = 103;  // linux/udp.h; glibc's netinet/udp.h has it from 2.30
#endif

}  // namespace

void write_segment_control(PacketRun& run) {
  auto* header = reinterpret_cast<cmsghdr*>(run.control.data());
  header->cmsg_level = SOL_UDP;
  header->cmsg_type = UDP_SEGMENT;
  header->cmsg_len = CMSG_LEN(sizeof(std::uint16_t));
  std::memcpy(CMSG_DATA(header), &run.segment_size, sizeof(run.segment_size));
  run.control_size = CMSG_SPACE(sizeof(std::uint16_t));
}

void PacketBatch::reserve(std::size_t packets) {
  packets_.reserve(packets);
  iov_.reserve(packets);
  runs_.reserve(packets);
}

void PacketBatch::clear() {
  packets_.clear();
  iov_.clear();
  runs_.clear();
  track_packets_ = {};
  track_bytes_ = {};
}

void PacketBatch::seal(bool gso) {
  iov_.clear();
  runs_.clear();
  track_packets_ = {};
  track_bytes_ = {};
  for (std::size_t i = 0; i < packets_.size(); ++i) {
    const RelayPacket& packet = *packets_[i];
    const std::size_t size = packet.bytes.size();
    iov_.push_back({const_cast<std::uint8_t*>(packet.bytes.data()), size});
    ++track_packets_[packet.track];
    track_bytes_[packet.track] += size;
    if (gso && !runs_.empty()) {
      PacketRun& run = runs_.back();
      // A run grows while every packet but the last has the first one's size: the packetizer's
      // fragments of one frame are all full-size except the final one.
      const std::size_t run_size =
          run.count == 1 ? packets_[run.first]->bytes.size() : run.segment_size;
      const bool last_was_full =
          run.count == 1 || packets_[run.first + run.count - 1u]->bytes.size() == run_size;
      if (run.track == packet.track && last_was_full && size <= run_size &&
          run.count < kMaxSegments && run.bytes + size <= kMaxRunBytes) {
        run.segment_size = static_cast<std::uint16_t>(run_size);
        ++run.count;
        run.bytes += static_cast<std::uint32_t>(size);
        continue;
      }
    }
    PacketRun run;
    run.track = packet.track;
    run.first = static_cast<std::uint16_t>(i);
    run.count = 1;
    run.bytes = static_cast<std::uint32_t>(size);
    runs_.push_back(run);
  }
  for (auto& run : runs_) {
    if (run.count > 1) {
      write_segment_control(run);
    } else {
      run.segment_size = 0;
    }
  }
}

}  // namespace callcast::media
