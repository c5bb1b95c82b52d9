#include "media/gop_cache.hpp"

namespace callcast::media {

void GopCache::clear() {
  packets_.clear();
  bytes_ = 0;
  au_start_ = 0;
  au_marked_ = false;
  valid_ = false;
}

void GopCache::push(const SharedPacket& packet, bool is_video, bool new_access_unit,
                    bool keyframe_au) {
  if (is_video && new_access_unit) {
    // Without a valid GOP only the access unit in progress is worth keeping: it may still turn
    // out to be a keyframe (an AUD or SEI often comes before the SPS and IDR).
    if (!valid_) clear();
    au_start_ = packets_.size();
    au_marked_ = false;
  }
  if (is_video && keyframe_au && !au_marked_) {
    // A new GOP: drop everything before the first packet of this access unit.
    for (std::size_t i = 0; i < au_start_; ++i)
      bytes_ -= packets_[i]->bytes.size();
    packets_.erase(packets_.begin(), packets_.begin() + static_cast<std::ptrdiff_t>(au_start_));
    au_start_ = 0;
    au_marked_ = true;
    valid_ = true;
  }
  if (!valid_ && packets_.empty() && !is_video) return;  // no access unit under way
  packets_.push_back(packet);
  bytes_ += packet->bytes.size();
  if (packets_.size() > max_packets_ || bytes_ > max_bytes_) {
    ++overflows_;
    clear();
    // The rest of this access unit must not make the cache valid again: it would start mid-frame.
    au_marked_ = true;
  }
}

}  // namespace callcast::media
