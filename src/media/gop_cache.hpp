#pragma once
// The GOP cache: every relayed packet (all tracks, in arrival order) since the first packet of
// the latest H.264 keyframe access unit. A viewer that starts playing receives it first, so its
// picture appears at once instead of at the next IDR (step 714).
#include <cstddef>
#include <deque>

#include "media/relay_packet.hpp"

namespace callcast::media {

class GopCache {
 public:
  GopCache(std::size_t max_packets, std::size_t max_bytes)
      : max_packets_(max_packets), max_bytes_(max_bytes) {}

  // `new_access_unit`: first packet of a video access unit; `keyframe_au`: that access unit
  // starts a GOP (SPS or IDR seen in it).
  void push(const SharedPacket& packet, bool is_video, bool new_access_unit, bool keyframe_au);
  void clear();
  // Becomes `from` with each packet rewritten (a new variant of the stream starts from the
  // relayed GOP, access unit under way included).
  // A rewrite may return null: that packet is left out (audio a variant gets transcoded).
  template <class Rewrite>
  void assign_rewritten(const GopCache& from, Rewrite rewrite) {
    clear();
    std::size_t au_start = 0;
    for (std::size_t i = 0; i < from.packets_.size(); ++i) {
      if (i == from.au_start_) au_start = packets_.size();
      SharedPacket packet = rewrite(from.packets_[i]);
      if (!packet) continue;
      bytes_ += packet->bytes.size();
      packets_.push_back(std::move(packet));
    }
    au_start_ = from.au_start_ >= from.packets_.size() ? packets_.size() : au_start;
    au_marked_ = from.au_marked_;
    valid_ = from.valid_;
  }

  // True while the cache starts at a keyframe; false before the first one and after an overflow
  // (a GOP longer than the limits), until the next keyframe.
  bool valid() const { return valid_; }
  // The cached GOP; empty while invalid (the access unit under way is kept aside meanwhile).
  const std::deque<SharedPacket>& packets() const { return valid_ ? packets_ : kEmpty; }
  std::size_t bytes() const { return valid_ ? bytes_ : 0; }
  std::uint64_t overflows() const { return overflows_; }

 private:
  std::size_t max_packets_;
  std::size_t max_bytes_;
  std::deque<SharedPacket> packets_;
  std::size_t bytes_ = 0;
  std::size_t au_start_ = 0;
  bool au_marked_ = false;
  bool valid_ = false;
  std::uint64_t overflows_ = 0;
  static inline const std::deque<SharedPacket> kEmpty{};
};

}  // namespace callcast::media
