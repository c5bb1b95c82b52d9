#include "transcode/group_audio_transcoders.hpp"

#include <algorithm>

namespace callcast::transcode {

namespace {

bool same_target(const TargetAudioFormat& a, const TargetAudioFormat& b) {
  return a.codec == b.codec && a.payload_type == b.payload_type && a.channels == b.channels &&
         a.bitrate == b.bitrate;
}

}  // namespace

GroupAudioTranscoders::GroupAudioTranscoders(SourceAudioFormat source)
    : source_(std::move(source)) {}

GroupAudioTranscoders::Entry* GroupAudioTranscoders::entry(TargetId target) {
  const auto found = std::find_if(entries_.begin(), entries_.end(),
                                  [target](const Entry& e) { return e.id == target; });
  return found == entries_.end() ? nullptr : &*found;
}

Result<GroupAudioTranscoders::TargetId, std::string> GroupAudioTranscoders::acquire(
    const TargetAudioFormat& target) {
  for (Entry& existing : entries_) {
    if (same_target(existing.target, target)) {
      ++existing.users;
      return existing.id;
    }
  }
  auto transcoder = AudioTranscoder::create(source_, target);
  if (!transcoder) return fail(transcoder.error());
  const TargetId id = next_id_++;
  entries_.push_back({id, target, 1, std::move(*transcoder),
                      [this, id](rtp::Bytes packet) { (*emit_)(id, packet); }});
  return id;
}

void GroupAudioTranscoders::release(TargetId target) {
  Entry* found = entry(target);
  if (found == nullptr || --found->users > 0) return;
  entries_.erase(entries_.begin() + (found - entries_.data()));
}

void GroupAudioTranscoders::push(const AudioRtpPacket& packet, const Sink& emit) {
  emit_ = &emit;
  for (Entry& each : entries_)
    each.transcoder->push(packet, each.forward);
  emit_ = nullptr;
}

Result<bool, std::string> GroupAudioTranscoders::change_source(const SourceAudioFormat& source,
                                                               const Sink& emit) {
  source_ = source;
  emit_ = &emit;
  std::string errors;
  for (Entry& each : entries_) {
    auto changed = each.transcoder->change_source(source, each.forward);
    if (!changed) errors += (errors.empty() ? "" : "; ") + changed.error();
  }
  emit_ = nullptr;
  if (!errors.empty()) return fail(errors);
  return true;
}

const AudioTranscoder* GroupAudioTranscoders::find(TargetId target) const {
  const auto found = std::find_if(entries_.begin(), entries_.end(),
                                  [target](const Entry& e) { return e.id == target; });
  return found == entries_.end() ? nullptr : found->transcoder.get();
}

std::size_t GroupAudioTranscoders::users(TargetId target) const {
  const auto found = std::find_if(entries_.begin(), entries_.end(),
                                  [target](const Entry& e) { return e.id == target; });
  return found == entries_.end() ? 0 : found->users;
}

}  // namespace callcast::transcode
