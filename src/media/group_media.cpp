#include "media/group_media.hpp"

#include <algorithm>
#include <array>

#include "media/srtp_copy.hpp"
#include "media/viewer_offer.hpp"
#include "rtp/generic_nack.hpp"
#include "rtp/rtcp.hpp"
#include "rtp/rtp_packet_view.hpp"

namespace callcast::media {

std::string_view to_string(ViewerState state) {
  switch (state) {
    case ViewerState::set_up:
      return "set_up";
    case ViewerState::playing:
      return "playing";
    case ViewerState::paused:
      return "paused";
  }
  return "?";
}

std::string_view transport_of(const Viewer& viewer) {
  switch (viewer.kind) {
    case ViewerKind::browser:
      return kViewerTransports[0];
    case ViewerKind::phone:
      return kViewerTransports[1];
    case ViewerKind::rtsp:
      break;
  }
  return viewer.tcp ? kViewerTransports[3] : kViewerTransports[2];
}

GroupMedia::GroupMedia(std::string group, std::vector<TrackDescription> tracks,
                       sdp::SessionDescription announced, DatagramTransmitter& rtcp,
                       FanoutEngine& fanout, GroupMediaLimits limits, std::uint32_t ssrc_seed)
    : group_(std::move(group)),
      announced_(std::move(announced)),
      fanout_(fanout),
      rtp_out_(fanout.make_batcher()),
      rtcp_out_(rtcp, nullptr, {.messages = 256, .datagrams = 256}),
      limits_(limits),
      qos_(limits.qos, ssrc_seed * 2654435761U, "callcast-" + group_) {
  tracks_.reserve(tracks.size());
  for (auto& track : tracks) {
    // Distinct SSRCs per track, chosen by the server so that they survive a publisher change.
    const auto ssrc = ssrc_seed * 2654435761U + static_cast<std::uint32_t>(track.index) * 0x9e37U;
    tracks_.emplace_back(std::move(track), ssrc, limits.stale_lag);
  }
  last_sender_report_.resize(tracks_.size());
  repairs_ = make_track_repairs(tracks_, limits.repair);
  ingest_loss_.assign(tracks_.size(), IngestLossTracker(limits.ingest_loss));
  for (const auto& track : tracks_)
    reception_.emplace_back(track.description().clock_rate);
  variants_.push_back(std::make_unique<StreamVariant>(
      StreamForm{}, fanout.new_group(), fanout.shards(), limits.max_batch_packets,
      limits.gop_cache_packets, limits.gop_cache_bytes));
  ingest_out_.reserve(4);
  for (std::size_t t = 0; t < tracks_.size(); ++t) {
    const bool video = tracks_[t].description().codec == Codec::h264;
    if (video && !video_track_) video_track_ = t;
    if (!video && !audio_track_) audio_track_ = t;
  }
  transcoded_sink_ = [this](std::uint32_t target, rtp::Bytes packet) {
    on_transcoded(target, packet);
  };
}

GroupMedia::~GroupMedia() {
  if (metrics_ != nullptr) metrics_->group_gone(*this);
  for (const auto& variant : variants_) {
    if (variant) fanout_.remove_group(variant->fanout_group());
  }
}

bool GroupMedia::compatible_with(const std::vector<TrackDescription>& tracks) const {
  if (tracks.size() != tracks_.size()) return false;
  for (std::size_t i = 0; i < tracks.size(); ++i) {
    const auto& ours = tracks_[i].description();
    if (tracks[i].codec != ours.codec || tracks[i].clock_rate != ours.clock_rate ||
        tracks[i].payload_type != ours.payload_type) {
      return false;
    }
  }
  return true;
}

void GroupMedia::publisher_changed(Clock::time_point now) {
  for (auto& track : tracks_)
    track.rebase(now);
  for (auto& loss : ingest_loss_)
    loss.reset();  // its numbering is its own
  clear_gops();
  publisher_active_ = true;
  stalled_ = false;
  last_media_at_ = now;
  resumption_.reset();
}

void GroupMedia::publisher_left() {
  publisher_rtcp_.reset();
  qos_.clear_publisher();
  publisher_active_ = false;
  stalled_ = false;
}

bool GroupMedia::check_stall(Clock::time_point now) {
  if (!publisher_active_ || stalled_ || now - last_media_at_ < limits_.stall_after) return false;
  stalled_ = true;
  ++stalls_;
  clear_gops();  // its pictures are as old as the stall: new viewers wait for a fresh keyframe
  for (auto& repair : repairs_)
    repair.ring().clear();  // long past any viewer's use: their buffers go now
  return true;
}

void GroupMedia::resume_after_stall(Clock::time_point now) {
  resumption_ = PublisherResumption{now - last_media_at_, stalled_};
  if (!stalled_) ++stalls_;
  stalled_ = false;
  last_media_at_ = now;
  clear_gops();
  // Whatever comes first may be the stale backlog (dropped by each track's StaleMediaFilter) or
  // pictures referring to frames nobody got: every viewer restarts at the next keyframe.
  for (auto& relay : tracks_)
    relay.hold_until_keyframe();
}

bool GroupMedia::on_publisher_rtp(std::size_t track, rtp::Bytes packet, Clock::time_point now) {
  if (track >= tracks_.size()) return false;
  if (publisher_active_ && (stalled_ || now - last_media_at_ >= limits_.stall_after)) {
    resume_after_stall(now);
  }
  ingest_out_.clear();
  const IngestResult result = tracks_[track].ingest(packet, now, ingest_out_);
  if (!result.accepted) return false;
  last_media_at_ = now;
  reception_[track].on_packet(rtp::read_u32(packet.data() + 8), rtp::read_u16(packet.data() + 2),
                              rtp::read_u32(packet.data() + 4), now);
  const bool is_video = tracks_[track].description().codec == Codec::h264;
  if (is_video) {
    qos_.publisher_video(track, rtp::read_u32(packet.data() + 8));
    if (result.keyframe_start) qos_.keyframe_started(now);
    if (publisher_nacks_on()) {
      publisher_ssrc_[track] = rtp::read_u32(packet.data() + 8);
      ingest_loss_[track].on_packet(rtp::read_u16(packet.data() + 2), now);
    }
  }
  if (publisher_nacks_on()) {
    // Issue 13 item 6: a hole this packet reveals is asked for at once; reorder waits and
    // retries fall due between packets, and every packet of the publisher's, audio too, is the
    // clock that sends them (the sweep is far too coarse).
    send_publisher_nacks(is_video ? track : video_track_.value_or(track), now);
  }
  bool first = true;
  for (const auto& relayed : ingest_out_) {
    // Each variant's form of it, made once here and shared by its GOP cache and its viewers.
    variant_out_.clear();
    for (const auto& variant : variants_) {
      variant_out_.push_back(variant ? variant->rewrite(relayed) : nullptr);
      if (variant_out_.back()) {
        variant->gop().push(variant_out_.back(), is_video, first && result.new_access_unit,
                            result.keyframe_au);
      }
    }
    repairs_[track].ring().push(relayed, now);
    deliver(variant_out_, is_video && first && result.keyframe_start, now);
    first = false;
  }
  if (audio_transcoders_ && audio_track_ == track && audio_transcoders_->transcoder_count() > 0) {
    // Each relayed packet (our numbering: gapless, stale ones already out) once into every
    // target's transcoder; what comes out goes to that target's phones (on_transcoded).
    transcoding_now_ = now;
    for (const auto& relayed : ingest_out_) {
      if (auto view = rtp::RtpPacketView::parse(relayed->view())) {
        audio_transcoders_->push(transcode::AudioRtpPacket::from(*view), transcoded_sink_);
      }
    }
  }
  return true;
}

Viewer& GroupMedia::add_viewer(std::string number, std::string session_id, bool tcp,
                               std::weak_ptr<InterleavedWriter> writer, Clock::time_point now) {
  auto viewer = std::make_unique<Viewer>();
  viewer->number = std::move(number);
  viewer->session_id = session_id;
  viewer->tcp = tcp;
  viewer->writer = std::move(writer);
  viewer->last_heard = now;
  viewer->fanout_id = ++last_viewer_id_;
  auto& ref = *viewer;
  viewers_[std::move(session_id)] = std::move(viewer);
  return ref;
}

Viewer* GroupMedia::find_viewer(std::string_view session_id) {
  auto it = viewers_.find(session_id);
  return it == viewers_.end() ? nullptr : it->second.get();
}

Viewer* GroupMedia::find_viewer_by_number(std::string_view number) {
  for (auto& [id, viewer] : viewers_) {
    if (viewer->number == number) return viewer.get();
  }
  return nullptr;
}

void GroupMedia::remove_viewer(std::string_view session_id, bool send_bye,
                               std::string_view reason) {
  auto it = viewers_.find(session_id);
  if (it == viewers_.end()) return;
  Viewer& viewer = *it->second;
  if (send_bye) {
    for (std::size_t t = 0; t < tracks_.size(); ++t) {
      if (!viewer.tracks[t].set_up) continue;
      // RFC 3550 §6.1: a compound starts with SR or RR, so an empty RR precedes the BYE.
      std::array<std::uint8_t, 512> out{};
      const std::size_t rr = rtp::write_receiver_report(out, tracks_[t].out_ssrc(), {});
      const std::size_t bye = rr == 0 ? 0
                                      : rtp::write_bye(rtp::MutableBytes(out).subspan(rr),
                                                       tracks_[t].out_ssrc(), reason);
      if (bye > 0) send_rtcp_to(viewer, t, rtp::Bytes(out.data(), rr + bye));
      rtcp_out_.flush();  // before `out` goes
    }
  }
  take_from_fanout(viewer);
  stop_direct(viewer);
  leave_variant(viewer);
  if (metrics_ != nullptr) metrics_->viewer_gone(*viewer.delivery);
  viewers_.erase(it);
  recount_backlog();
}

std::vector<TrackStart> GroupMedia::start_playing(Viewer& viewer, Clock::time_point now) {
  const bool resuming = viewer.state == ViewerState::paused;
  take_from_fanout(viewer);
  stop_direct(viewer);
  direct_.push_back(&viewer);
  viewer.state = ViewerState::playing;
  viewer.last_heard = now;
  viewer.backlog.clear();
  viewer.awaiting_keyframe = false;
  viewer.play_requested = now;
  viewer.playing_since = now;
  // Its numbering restarts from the RTP-Info of this PLAY: shared packets again.
  for (auto& track : viewer.tracks)
    track.thinning.reset();
  viewer.qos.thinned = false;
  const bool has_video = std::any_of(tracks_.begin(), tracks_.end(), [&](const TrackRelay& t) {
    return t.description().codec == Codec::h264 && viewer.tracks[t.description().index].set_up;
  });
  if (has_video) {
    // A resumed viewer already had the cached GOP: going back in sequence numbers would look
    // like duplicates to its jitter buffer, so it picks up at the next keyframe instead. A GOP
    // from before a silence as long as a stall is stale: nobody gets it.
    const bool gop_fresh = now - last_media_at_ < limits_.stall_after;
    const GopCache& gop = variants_[viewer.variant]->gop();
    if (gop.valid() && !resuming && gop_fresh) {
      viewer.backlog.reserve(gop.packets().size());  // exactly: thousands join at once
      for (const auto& packet : gop.packets()) {
        if (viewer.tracks[packet->track].set_up) viewer.backlog.push_back(packet);
      }
      MediaMetrics::keyframe_sent(metrics_, viewer, now);  // it heads the backlog: sent at once
      // The GOP leaves at ten times the stream's rate, on top of it: its losses may be repaired
      // at the same share as the live stream's, or the picture's first second stays damaged.
      std::array<double, kMaxTracks> burst{};
      for (const auto& packet : viewer.backlog)
        burst[packet->track] += static_cast<double>(packet->bytes.size());
      for (std::size_t t = 0; t < tracks_.size(); ++t)
        viewer.tracks[t].repair_budget.grant(limits_.repair.max_share * burst[t]);
    } else {
      viewer.awaiting_keyframe = true;
    }
  }
  backlog_pending_ = backlog_pending_ || !viewer.backlog.empty();
  std::vector<TrackStart> starts;
  for (std::size_t t = 0; t < tracks_.size(); ++t) {
    if (!viewer.tracks[t].set_up) continue;
    TrackStart start{t, tracks_[t].next_sequence(), tracks_[t].last_timestamp()};
    for (const auto& packet : viewer.backlog) {
      if (packet->track == t) {
        start.sequence = packet->sequence;
        start.rtptime = packet->timestamp;
        break;
      }
    }
    starts.push_back(start);
  }
  return starts;
}

void GroupMedia::pause(Viewer& viewer) {
  take_from_fanout(viewer);
  stop_direct(viewer);
  viewer.state = ViewerState::paused;
  viewer.backlog.clear();
  recount_backlog();
}

void GroupMedia::redirect(Viewer& viewer) {
  if (!viewer.fanout_shard) return;  // the loop sends to it itself, to viewer.tracks[t].rtp
  take_from_fanout(viewer);
  hand_to_fanout(viewer);
}

void GroupMedia::recount_backlog() {
  backlog_pending_ = std::any_of(direct_.begin(), direct_.end(),
                                 [](const Viewer* viewer) { return !viewer->backlog.empty(); });
}

bool GroupMedia::pace() {
  bool left = false;
  for (Viewer* viewer : direct_) {
    send_backlog(*viewer, limits_.pace_burst_packets);
    left = left || !viewer->backlog.empty();
  }
  rtp_out_.flush();
  backlog_pending_ = left;
  return left;
}

void GroupMedia::start_delivery(Viewer& viewer, Clock::time_point now) {
  send_sender_reports(viewer, now);
  send_backlog(viewer, limits_.first_burst_packets);
  rtp_out_.flush();
}

void GroupMedia::send_backlog(Viewer& viewer, std::size_t max_packets) {
  // UDP: the bursts of every catching-up viewer leave in one kernel call, a frame's same-size
  // packets in one GSO message (DatagramBatcher): a join storm must not cost a system call, or a
  // trip through the stack, per packet per viewer.
  for (std::size_t taken = 0; taken < max_packets && !viewer.backlog.empty(); ++taken) {
    send_to(viewer, viewer.backlog.front());
    viewer.backlog.pop_front();
  }
}

void GroupMedia::send_to(Viewer& viewer, const SharedPacket& packet) {
  const auto& route = viewer.tracks[packet->track];
  if (viewer.srtp) {
    if (auto sealed = srtp_protected_copy(*viewer.srtp, packet->view())) {
      rtp_out_.enqueue(route.rtp, std::move(sealed), viewer.delivery.get());
    } else {
      viewer.delivery->dropped(1);
    }
    return;
  }
  if (!viewer.tcp) {
    rtp_out_.enqueue(route.rtp, packet, viewer.delivery.get());
    return;
  }
  auto writer = viewer.writer.lock();
  if (writer && writer->write_packet(route.rtp_channel, packet)) {
    viewer.delivery->sent(1, packet->bytes.size());
  } else {
    viewer.delivery->dropped(1);
  }
}

void GroupMedia::deliver(std::span<const SharedPacket> per_variant, bool keyframe_start,
                         Clock::time_point now) {
  // Viewers the loop still serves itself; one that has caught up moves to a worker, and the
  // packets after that reach it through the batches.
  for (std::size_t i = 0; i < direct_.size();) {
    Viewer& viewer = *direct_[i];
    const SharedPacket& packet = per_variant[viewer.variant];
    if (!packet || !viewer.tracks[packet->track].set_up) {
      ++i;
      continue;
    }
    if (!viewer.backlog.empty()) {
      // Still catching up from the GOP cache: keep order, and the pacing timer sends it.
      if (viewer.backlog.size() < limits_.viewer_backlog_packets) {
        viewer.backlog.push_back(packet);
        backlog_pending_ = true;
      } else {
        viewer.delivery->dropped(1);
      }
      ++i;
      continue;
    }
    if (viewer.awaiting_keyframe) {
      const bool video = tracks_[packet->track].description().codec == Codec::h264;
      if (video && !keyframe_start) {
        ++i;
        continue;
      }
      if (video) viewer.awaiting_keyframe = false;
      if (video) MediaMetrics::keyframe_sent(metrics_, viewer, now);
    }
    if (renumbered(viewer)) {
      send_renumbered(viewer, packet, keyframe_start);
      ++i;
      continue;
    }
    if (viewer.tcp || viewer.awaiting_keyframe) {  // (audio while video waits for a keyframe)
      send_to(viewer, packet);
      ++i;
      continue;
    }
    hand_to_fanout(viewer);  // removes it from direct_ at i
  }
  rtp_out_.flush();
  for (std::size_t v = 0; v < variants_.size(); ++v) {
    if (!variants_[v] || !per_variant[v]) continue;
    StreamVariant& variant = *variants_[v];
    if (variant.pending()->size() >= limits_.max_batch_packets) flush(variant);
    variant.pending()->add(per_variant[v]);
  }
}

void GroupMedia::flush() {
  for (const auto& variant : variants_) {
    if (variant) flush(*variant);
  }
}

void GroupMedia::flush(StreamVariant& variant) {
  auto& pending = variant.pending();
  if (pending->empty()) return;
  const auto& shards = variant.shard_viewers();
  if (std::all_of(shards.begin(), shards.end(), [](std::uint32_t n) { return n == 0; })) {
    pending->clear();
    return;
  }
  pending->seal(fanout_.gso());
  const std::shared_ptr<const PacketBatch> batch = std::move(pending);
  for (std::size_t shard = 0; shard < shards.size(); ++shard) {
    if (shards[shard] != 0) fanout_.publish(variant.fanout_group(), shard, batch);
  }
  pending = std::make_shared<PacketBatch>(limits_.max_batch_packets);
}

void GroupMedia::clear_gops() {
  for (const auto& variant : variants_) {
    if (variant) variant->gop().clear();
  }
}

Result<bool, std::string> GroupMedia::use_stream_form(
    Viewer& viewer, const PayloadTypes& payload_types,
    const std::optional<transcode::TargetAudioFormat>& audio) {
  take_from_fanout(viewer);
  stop_direct(viewer);
  leave_variant(viewer);
  for (std::size_t t = 0; t < kMaxTracks; ++t)
    viewer.tracks[t].payload_type = payload_types[t];
  // Numbers equal to the relayed ones are no variant of their own.
  StreamForm wanted;
  for (std::size_t t = 0; t < tracks_.size(); ++t) {
    if (payload_types[t] && *payload_types[t] != tracks_[t].description().payload_type)
      wanted.payload_types[t] = payload_types[t];
  }
  if (audio) {
    if (!audio_track_) return fail(std::string("the group has no audio track"));
    if (!audio_transcoders_) {
      const TrackDescription& d = tracks_[*audio_track_].description();
      const auto map = sdp::rtpmap_for(d.description, d.payload_type);
      auto source = transcode::SourceAudioFormat::from_sdp(
          d.encoding, d.clock_rate, map && map->channels ? *map->channels : 1,
          sdp::fmtp_for(d.description, d.payload_type).value_or(""));
      if (!source) return fail("the group's audio cannot be transcoded: " + source.error());
      audio_transcoders_ = std::make_unique<transcode::GroupAudioTranscoders>(*source);
    }
    auto target = audio_transcoders_->acquire(*audio);
    if (!target) return fail("the group's audio cannot be transcoded: " + target.error());
    wanted.audio_target = *target;
    wanted.transcoded_track = audio_track_;
    // The transcoder writes the phone's payload type itself.
    wanted.payload_types[*audio_track_].reset();
  }
  std::optional<std::size_t> slot;
  for (std::size_t v = 0; v < variants_.size(); ++v) {
    if (variants_[v] && variants_[v]->form() == wanted) {
      viewer.variant = v;
      ++variants_[v]->viewers;
      return true;
    }
    if (!variants_[v] && !slot) slot = v;
  }
  auto variant = std::make_unique<StreamVariant>(
      wanted, fanout_.new_group(), fanout_.shards(), limits_.max_batch_packets,
      limits_.gop_cache_packets, limits_.gop_cache_bytes);
  // Its GOP cache starts as the relayed one, rewritten: the first phone of its kind starts at
  // once too (one copy per variant, once). Transcoded audio joins it as it comes out.
  variant->gop().assign_rewritten(variants_.front()->gop(), [&](const SharedPacket& packet) {
    return variant->rewrite(packet);
  });
  if (!slot) {
    slot = variants_.size();
    variants_.push_back(nullptr);
  }
  variants_[*slot] = std::move(variant);
  viewer.variant = *slot;
  ++variants_[*slot]->viewers;
  return true;
}

void GroupMedia::on_transcoded(std::uint32_t target, rtp::Bytes packet) {
  const auto view = rtp::RtpPacketView::parse(packet);
  if (!view || !audio_track_) return;
  auto relay = std::make_shared<RelayPacket>();
  relay->bytes.assign(packet.begin(), packet.end());
  relay->track = static_cast<std::uint8_t>(*audio_track_);
  relay->sequence = view->sequence_number();
  relay->timestamp = view->timestamp();
  const SharedPacket shared = std::move(relay);
  variant_out_.assign(variants_.size(), nullptr);
  for (std::size_t v = 0; v < variants_.size(); ++v) {
    if (!variants_[v] || variants_[v]->audio_target() != target) continue;
    variant_out_[v] = shared;
    variants_[v]->gop().push(shared, false, false, false);
  }
  deliver(variant_out_, false, transcoding_now_);
}

void GroupMedia::leave_variant(Viewer& viewer) {
  const std::size_t v = std::exchange(viewer.variant, 0);
  if (v == 0 || !variants_[v]) return;
  if (const auto target = variants_[v]->audio_target(); target && audio_transcoders_)
    audio_transcoders_->release(*target);  // each viewer acquired it
  if (--variants_[v]->viewers == 0) {
    fanout_.remove_group(variants_[v]->fanout_group());
    variants_[v].reset();
  }
}

std::uint32_t GroupMedia::ssrc_for(const Viewer& viewer, std::size_t track) const {
  const StreamVariant* variant =
      viewer.variant < variants_.size() ? variants_[viewer.variant].get() : nullptr;
  if (variant != nullptr && variant->audio_target() && variant->form().transcoded_track == track &&
      audio_transcoders_) {
    if (const auto* transcoder = audio_transcoders_->find(*variant->audio_target())) {
      return transcoder->ssrc();
    }
  }
  return tracks_[track].out_ssrc();
}

std::size_t GroupMedia::variants_in_use() const {
  return static_cast<std::size_t>(std::count_if(variants_.begin(), variants_.end(),
                                                [](const auto& v) { return v != nullptr; }));
}

void GroupMedia::hand_to_fanout(Viewer& viewer) {
  // What is pending went to this viewer directly already: it must not get it again.
  StreamVariant& variant = *variants_[viewer.variant];
  flush(variant);
  FanoutDestination destination;
  destination.viewer = viewer.fanout_id;
  for (std::size_t t = 0; t < tracks_.size(); ++t) {
    if (viewer.tracks[t].set_up) destination.rtp[t] = viewer.tracks[t].rtp;
  }
  destination.counters = viewer.delivery;
  destination.srtp = viewer.srtp;
  const std::size_t shard = fanout_.next_shard();
  fanout_.add_viewer(variant.fanout_group(), shard, std::move(destination));
  ++variant.shard_viewers()[shard];
  viewer.fanout_shard = shard;
  stop_direct(viewer);
}

void GroupMedia::take_from_fanout(Viewer& viewer) {
  if (!viewer.fanout_shard) return;
  StreamVariant& variant = *variants_[viewer.variant];
  flush(variant);  // the batch under way was meant for it too
  fanout_.remove_viewer(variant.fanout_group(), *viewer.fanout_shard, viewer.fanout_id);
  --variant.shard_viewers()[*viewer.fanout_shard];
  viewer.fanout_shard.reset();
}

void GroupMedia::stop_direct(Viewer& viewer) {
  std::erase(direct_, &viewer);
}

bool GroupMedia::renumbered(const Viewer& viewer) const {
  return video_track_ && viewer.tracks[*video_track_].thinning.renumbering();
}

void GroupMedia::send_renumbered(Viewer& viewer, const SharedPacket& packet, bool keyframe_start) {
  if (!video_track_ || packet->track != *video_track_) {
    send_to(viewer, packet);  // audio: the shared packet, as to everyone
    return;
  }
  const std::optional<std::uint16_t> sequence =
      viewer.tracks[packet->track].thinning.admit(*packet, keyframe_start);
  if (!sequence) return;
  if (*sequence == packet->sequence) {
    send_to(viewer, packet);
    return;
  }
  auto copy = std::make_shared<RelayPacket>(*packet);
  copy->sequence = *sequence;
  rtp::write_u16(copy->bytes.data() + 2, *sequence);
  send_to(viewer, copy);
}

void GroupMedia::set_thinned(Viewer& viewer, bool thinned) {
  if (!video_track_ || !viewer.tracks[*video_track_].set_up) return;
  TrackThinning& thinning = viewer.tracks[*video_track_].thinning;
  if (!thinned) {
    thinning.unthin();  // every frame again from its next keyframe
    return;
  }
  thinning.thin();
  if (viewer.fanout_shard) {
    // The fan-out's shared packets carry the relay's numbering: from now on the loop sends to it.
    take_from_fanout(viewer);
    direct_.push_back(&viewer);
  }
}

std::string GroupMedia::describe_sdp(const std::string& host,
                                     const std::function<std::string(int)>& url) const {
  return make_viewer_offer(group_, tracks_, repairs_, host, url);
}

void GroupMedia::update_rates(Clock::time_point now) {
  for (auto& track : tracks_)
    track.update_bitrate(now);
  if (video_track_) {
    qos_.publisher_video_rate(static_cast<std::uint64_t>(tracks_[*video_track_].bitrate_bps()));
  }
}

}  // namespace callcast::media
