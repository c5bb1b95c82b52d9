#include "http/snapshot_json.hpp"

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "stats/counter_field.hpp"

namespace callcast::control {

namespace {

// A field an older peer may leave out: the value keeps its default then.
template <class T>
void read_optional(const nlohmann::json& j, const char* key, T& value) {
  if (j.contains(key)) j.at(key).get_to(value);
}

// The snapshots' counters, per track, viewer and publisher: JSON only (see CounterField).
template <class Struct>
using Field = stats::CounterField<Struct>;

constexpr std::array<Field<TrackStats>, 6> kTrackCounters{{
    {nullptr, "", "packets", &TrackStats::packets},
    {nullptr, "", "bytes", &TrackStats::bytes},
    {nullptr, "", "malformed", &TrackStats::malformed},
    {nullptr, "", "keyframes", &TrackStats::keyframes},
    // Added later (stall detection): a media side that predates them still parses.
    {nullptr, "", "stale_packets_dropped", &TrackStats::stale_packets_dropped, true},
    {nullptr, "", "held_for_keyframe", &TrackStats::held_for_keyframe, true},
}};

constexpr std::array<Field<ViewerStats>, 4> kViewerCounters{{
    {nullptr, "", "packets_sent", &ViewerStats::packets_sent},
    {nullptr, "", "bytes_sent", &ViewerStats::bytes_sent},
    {nullptr, "", "packets_dropped", &ViewerStats::packets_dropped},
    {nullptr, "", "rtcp_reports", &ViewerStats::rtcp_reports},
}};

constexpr std::array<Field<RepairStats>, 5> kRepairCounters{{
    {nullptr, "", "nacks_received", &RepairStats::nacks_received},
    {nullptr, "", "packets_repaired", &RepairStats::packets_repaired},
    {nullptr, "", "misses", &RepairStats::misses},
    {nullptr, "", "capped", &RepairStats::capped},
    {nullptr, "", "repeats", &RepairStats::repeats},
}};

constexpr std::array<Field<ViewerQosStats>, 4> kViewerQosCounters{{
    {nullptr, "", "plis", &ViewerQosStats::plis},
    {nullptr, "", "firs", &ViewerQosStats::firs},
    {nullptr, "", "times_thinned", &ViewerQosStats::times_thinned},
    {nullptr, "", "packets_thinned", &ViewerQosStats::packets_thinned},
}};

constexpr std::array<Field<GroupQosStats>, 16> kGroupQosCounters{{
    {nullptr, "", "plis_received", &GroupQosStats::plis_received},
    {nullptr, "", "firs_received", &GroupQosStats::firs_received},
    {nullptr, "", "repair_miss_requests", &GroupQosStats::repair_miss_requests},
    {nullptr, "", "keyframe_requests_merged", &GroupQosStats::keyframe_requests_merged},
    {nullptr, "", "keyframe_requests_forwarded", &GroupQosStats::keyframe_requests_forwarded},
    {nullptr, "", "keyframe_requests_unsent", &GroupQosStats::keyframe_requests_unsent},
    {nullptr, "", "bitrate_requests", &GroupQosStats::bitrate_requests},
    {nullptr, "", "bitrate_decreases", &GroupQosStats::bitrate_decreases},
    {nullptr, "", "bitrate_increases", &GroupQosStats::bitrate_increases},
    {nullptr, "", "bitrate_requests_unsent", &GroupQosStats::bitrate_requests_unsent},
    {nullptr, "", "thinned_viewers", &GroupQosStats::thinned_viewers},
    {nullptr, "", "ceiling_bps", &GroupQosStats::ceiling_bps},
    // Added later (issue 13 item 6): a media side that predates them gives zeros.
    {nullptr, "", "publisher_nacks_sent", &GroupQosStats::publisher_nacks_sent, true},
    {nullptr, "", "publisher_packets_recovered", &GroupQosStats::publisher_packets_recovered, true},
    {nullptr, "", "publisher_packets_lost", &GroupQosStats::publisher_packets_lost, true},
    {nullptr, "", "publisher_loss_requests", &GroupQosStats::publisher_loss_requests, true},
}};

constexpr std::array<Field<PublisherStats>, 5> kPublisherCounters{{
    {nullptr, "", "malformed_packets", &PublisherStats::malformed_packets},
    {nullptr, "", "wrong_channel_packets", &PublisherStats::wrong_channel_packets},
    {nullptr, "", "rtcp_sender_reports", &PublisherStats::rtcp_sender_reports},
    {nullptr, "", "stalls", &PublisherStats::stalls, true},
    // Added later (issue 14): a media side that predates it gives zero.
    {nullptr, "", "rtcp_receiver_reports_sent", &PublisherStats::rtcp_receiver_reports_sent, true},
}};

template <class Struct, std::size_t N>
void counters_to_json(nlohmann::json& j, const std::array<Field<Struct>, N>& fields,
                      const Struct& value) {
  j.update(stats::counter_fields_json<Struct>(fields, value));
}

template <class Struct, std::size_t N>
void counters_from_json(const nlohmann::json& j, const std::array<Field<Struct>, N>& fields,
                        Struct& value) {
  stats::counter_fields_from_json<Struct>(fields, j, value);
}

// "repair": {...}; added later (NACK repair): a media side that predates it gives zeros.
void repair_to_json(nlohmann::json& j, const RepairStats& value) {
  j["repair"] = stats::counter_fields_json<RepairStats>(kRepairCounters, value);
}

void repair_from_json(const nlohmann::json& j, RepairStats& value) {
  if (j.contains("repair")) counters_from_json(j.at("repair"), kRepairCounters, value);
}

template <class T>
void optional_to_json(nlohmann::json& j, const char* key, const std::optional<T>& value) {
  if (value) {
    j[key] = *value;
  } else {
    j[key] = nullptr;
  }
}

template <class T>
void optional_from_json(const nlohmann::json& j, const char* key, std::optional<T>& value) {
  const nlohmann::json& member = j.at(key);
  if (member.is_null()) {
    value.reset();
  } else {
    value = member.get<T>();
  }
}

// "qos": {...}; added later (issue 12 QoS): a media side that predates it gives the defaults.
void qos_to_json(nlohmann::json& j, const ViewerQosStats& value) {
  nlohmann::json qos = {{"thinned", value.thinned},
                        {"verdict", value.verdict},
                        {"loss", value.loss},
                        {"residual_loss", value.residual_loss}};
  counters_to_json(qos, kViewerQosCounters, value);
  optional_to_json(qos, "round_trip_ms", value.round_trip_ms);
  optional_to_json(qos, "queue_delay_ms", value.queue_delay_ms);
  j["qos"] = std::move(qos);
}

void qos_from_json(const nlohmann::json& j, ViewerQosStats& value) {
  if (!j.contains("qos")) return;
  const nlohmann::json& qos = j.at("qos");
  qos.at("thinned").get_to(value.thinned);
  qos.at("verdict").get_to(value.verdict);
  qos.at("loss").get_to(value.loss);
  value.residual_loss = qos.value("residual_loss", 0.0);
  counters_from_json(qos, kViewerQosCounters, value);
  optional_from_json(qos, "round_trip_ms", value.round_trip_ms);
  optional_from_json(qos, "queue_delay_ms", value.queue_delay_ms);
}

void qos_to_json(nlohmann::json& j, const GroupQosStats& value) {
  nlohmann::json qos = stats::counter_fields_json<GroupQosStats>(kGroupQosCounters, value);
  optional_to_json(qos, "target_bps", value.target_bps);
  j["qos"] = std::move(qos);
}

void qos_from_json(const nlohmann::json& j, GroupQosStats& value) {
  if (!j.contains("qos")) return;
  const nlohmann::json& qos = j.at("qos");
  counters_from_json(qos, kGroupQosCounters, value);
  optional_from_json(qos, "target_bps", value.target_bps);
}

}  // namespace

void to_json(nlohmann::json& j, const ReceptionStats& value) {
  j = {{"fraction_lost", value.fraction_lost},
       {"cumulative_lost", value.cumulative_lost},
       {"jitter_ms", value.jitter_ms},
       {"age_s", value.age_s}};
}

void from_json(const nlohmann::json& j, ReceptionStats& value) {
  j.at("fraction_lost").get_to(value.fraction_lost);
  j.at("cumulative_lost").get_to(value.cumulative_lost);
  j.at("jitter_ms").get_to(value.jitter_ms);
  j.at("age_s").get_to(value.age_s);
}

void to_json(nlohmann::json& j, const TrackStats& value) {
  j = {{"id", value.id},
       {"media", value.media},
       {"codec", value.codec},
       {"clock_rate", value.clock_rate},
       {"bitrate_bps", value.bitrate_bps},
       {"lag_ms", value.lag_ms}};
  counters_to_json(j, kTrackCounters, value);
}

void from_json(const nlohmann::json& j, TrackStats& value) {
  j.at("id").get_to(value.id);
  j.at("media").get_to(value.media);
  j.at("codec").get_to(value.codec);
  j.at("clock_rate").get_to(value.clock_rate);
  j.at("bitrate_bps").get_to(value.bitrate_bps);
  counters_from_json(j, kTrackCounters, value);
  // Added later (stall detection): a media side that predates it still parses.
  value.lag_ms = j.value("lag_ms", 0.0);
}

void to_json(nlohmann::json& j, const ViewerStats& value) {
  j = {{"viewer", value.viewer},
       {"state", value.state},
       {"transport", value.transport},
       {"remote", value.remote},
       {"rtp_destination", value.rtp_destination},
       {"latched", value.latched}};
  counters_to_json(j, kViewerCounters, value);
  optional_to_json(j, "reception", value.reception);
  repair_to_json(j, value.repair);
  qos_to_json(j, value.qos);
}

void from_json(const nlohmann::json& j, ViewerStats& value) {
  j.at("viewer").get_to(value.viewer);
  j.at("state").get_to(value.state);
  j.at("transport").get_to(value.transport);
  j.at("remote").get_to(value.remote);
  value.rtp_destination = j.value("rtp_destination", "");
  value.latched = j.value("latched", false);
  counters_from_json(j, kViewerCounters, value);
  optional_from_json(j, "reception", value.reception);
  repair_from_json(j, value.repair);
  qos_from_json(j, value.qos);
}

void to_json(nlohmann::json& j, const EdgeRequest& value) {
  j = {{"group", value.group}, {"master", value.master}, {"origin_url", value.origin_url}};
}

void from_json(const nlohmann::json& j, EdgeRequest& value) {
  j.at("group").get_to(value.group);
  j.at("master").get_to(value.master);
  j.at("origin_url").get_to(value.origin_url);
}

void to_json(nlohmann::json& j, const EdgeOpened& value) {
  j = {{"group", value.group}, {"created", value.created}};
}

void from_json(const nlohmann::json& j, EdgeOpened& value) {
  j.at("group").get_to(value.group);
  j.at("created").get_to(value.created);
}

void to_json(nlohmann::json& j, const PublisherStats& value) {
  j = {{"terminal", value.terminal}, {"transport", value.transport},
       {"remote", value.remote},     {"connected_s", value.connected_s},
       {"stalled", value.stalled},   {"stalled_for_ms", value.stalled_for_ms}};
  counters_to_json(j, kPublisherCounters, value);
}

void from_json(const nlohmann::json& j, PublisherStats& value) {
  j.at("terminal").get_to(value.terminal);
  j.at("transport").get_to(value.transport);
  j.at("remote").get_to(value.remote);
  j.at("connected_s").get_to(value.connected_s);
  counters_from_json(j, kPublisherCounters, value);
  value.stalled = j.value("stalled", false);
  value.stalled_for_ms = j.value("stalled_for_ms", std::int64_t{0});
}

void to_json(nlohmann::json& j, const GroupSnapshot& value) {
  j = {{"group", value.group},
       {"master", value.master},
       {"state", value.state},
       {"created_unix", value.created_unix}};
  optional_to_json(j, "publisher", value.publisher);
  j["tracks"] = value.tracks;
  j["viewers"] = value.viewers;
  repair_to_json(j, value.repair);
  qos_to_json(j, value.qos);
  if (!value.origin_url.empty()) j["origin_url"] = value.origin_url;
}

void from_json(const nlohmann::json& j, GroupSnapshot& value) {
  j.at("group").get_to(value.group);
  j.at("master").get_to(value.master);
  j.at("state").get_to(value.state);
  j.at("created_unix").get_to(value.created_unix);
  optional_from_json(j, "publisher", value.publisher);
  j.at("tracks").get_to(value.tracks);
  j.at("viewers").get_to(value.viewers);
  repair_from_json(j, value.repair);
  qos_from_json(j, value.qos);
  // Absent on the origin (and from a media side older than issue 15).
  read_optional(j, "origin_url", value.origin_url);
}

void to_json(nlohmann::json& j, const GroupCreated& value) {
  j = {{"group", value.group},       {"publish_url", value.publish_url},
       {"whip_url", value.whip_url}, {"rtp_host", value.rtp_host},
       {"rtp_port", value.rtp_port}, {"rtcp_port", value.rtcp_port}};
}

void from_json(const nlohmann::json& j, GroupCreated& value) {
  j.at("group").get_to(value.group);
  j.at("publish_url").get_to(value.publish_url);
  // From an older media side these are absent: its masters can be RTSP publishers only.
  read_optional(j, "rtp_host", value.rtp_host);
  read_optional(j, "rtp_port", value.rtp_port);
  read_optional(j, "rtcp_port", value.rtcp_port);
  read_optional(j, "whip_url", value.whip_url);
}

void to_json(nlohmann::json& j, const ViewerAdmitted& value) {
  j = {{"group", value.group},       {"viewer", value.viewer},      {"play_url", value.play_url},
       {"whep_url", value.whep_url}, {"tracks", value.tracks},      {"rtp_host", value.rtp_host},
       {"rtp_port", value.rtp_port}, {"rtcp_port", value.rtcp_port}};
}

void from_json(const nlohmann::json& j, ViewerAdmitted& value) {
  j.at("group").get_to(value.group);
  j.at("viewer").get_to(value.viewer);
  j.at("play_url").get_to(value.play_url);
  // From an older media side these are absent: its viewers can be RTSP players only.
  read_optional(j, "tracks", value.tracks);
  read_optional(j, "whep_url", value.whep_url);
  read_optional(j, "rtp_host", value.rtp_host);
  read_optional(j, "rtp_port", value.rtp_port);
  read_optional(j, "rtcp_port", value.rtcp_port);
}

void to_json(nlohmann::json& j, const TrackFormat& value) {
  j = {{"media", value.media},
       {"encoding", value.encoding},
       {"clock_rate", value.clock_rate},
       {"channels", value.channels},
       {"payload_type", value.payload_type},
       {"fmtp", value.fmtp}};
}

void from_json(const nlohmann::json& j, TrackFormat& value) {
  j.at("media").get_to(value.media);
  j.at("encoding").get_to(value.encoding);
  j.at("clock_rate").get_to(value.clock_rate);
  j.at("channels").get_to(value.channels);
  j.at("payload_type").get_to(value.payload_type);
  j.at("fmtp").get_to(value.fmtp);
}

void to_json(nlohmann::json& j, const PhoneTrackRoute& value) {
  j = {{"media", value.media},
       {"host", value.host},
       {"rtp_port", value.rtp_port},
       {"rtcp_port", value.rtcp_port},
       {"payload_type", value.payload_type},
       {"transcode_to", value.transcode_to},
       {"channels", value.channels}};
}

void from_json(const nlohmann::json& j, PhoneTrackRoute& value) {
  j.at("media").get_to(value.media);
  j.at("host").get_to(value.host);
  j.at("rtp_port").get_to(value.rtp_port);
  j.at("rtcp_port").get_to(value.rtcp_port);
  j.at("payload_type").get_to(value.payload_type);
  read_optional(j, "transcode_to", value.transcode_to);
  read_optional(j, "channels", value.channels);
}

void to_json(nlohmann::json& j, const PhoneViewerRequest& value) {
  j = {{"viewer", value.viewer},
       {"signaling_address", value.signaling_address},
       {"tracks", value.tracks}};
}

void from_json(const nlohmann::json& j, PhoneViewerRequest& value) {
  j.at("viewer").get_to(value.viewer);
  j.at("signaling_address").get_to(value.signaling_address);
  j.at("tracks").get_to(value.tracks);
}

void to_json(nlohmann::json& j, const PhoneViewerStarted& value) {
  j = {{"session", value.session}};
}

void from_json(const nlohmann::json& j, PhoneViewerStarted& value) {
  j.at("session").get_to(value.session);
}

void to_json(nlohmann::json& j, const WebRtcViewerRequest& value) {
  j = {{"viewer", value.viewer},
       {"offer", value.offer},
       {"source_address", value.source_address},
       {"token", value.token}};
}

void from_json(const nlohmann::json& j, WebRtcViewerRequest& value) {
  j.at("viewer").get_to(value.viewer);
  j.at("offer").get_to(value.offer);
  read_optional(j, "source_address", value.source_address);
  read_optional(j, "token", value.token);
}

void to_json(nlohmann::json& j, const WebRtcPublisherRequest& value) {
  j = {{"master", value.master},
       {"offer", value.offer},
       {"source_address", value.source_address},
       {"token", value.token}};
}

void from_json(const nlohmann::json& j, WebRtcPublisherRequest& value) {
  j.at("master").get_to(value.master);
  j.at("offer").get_to(value.offer);
  read_optional(j, "source_address", value.source_address);
  read_optional(j, "token", value.token);
}

void to_json(nlohmann::json& j, const WebRtcViewerStarted& value) {
  j = {{"session", value.session}, {"answer", value.answer}};
}

void from_json(const nlohmann::json& j, WebRtcViewerStarted& value) {
  j.at("session").get_to(value.session);
  j.at("answer").get_to(value.answer);
}

void to_json(nlohmann::json& j, const PhonePublishTrack& value) {
  j = {{"media", value.media},
       {"encoding", value.encoding},
       {"clock_rate", value.clock_rate},
       {"channels", value.channels},
       {"payload_type", value.payload_type},
       {"fmtp", value.fmtp},
       {"host", value.host},
       {"rtp_port", value.rtp_port},
       {"rtcp_port", value.rtcp_port},
       {"nack", value.nack},
       {"pli", value.pli},
       {"fir", value.fir}};
}

void from_json(const nlohmann::json& j, PhonePublishTrack& value) {
  j.at("media").get_to(value.media);
  j.at("encoding").get_to(value.encoding);
  j.at("clock_rate").get_to(value.clock_rate);
  j.at("payload_type").get_to(value.payload_type);
  j.at("host").get_to(value.host);
  j.at("rtp_port").get_to(value.rtp_port);
  j.at("rtcp_port").get_to(value.rtcp_port);
  read_optional(j, "channels", value.channels);
  read_optional(j, "fmtp", value.fmtp);
  read_optional(j, "nack", value.nack);
  read_optional(j, "pli", value.pli);
  read_optional(j, "fir", value.fir);
}

void to_json(nlohmann::json& j, const PhonePublisherRequest& value) {
  j = {{"master", value.master},
       {"signaling_address", value.signaling_address},
       {"tracks", value.tracks}};
}

void from_json(const nlohmann::json& j, PhonePublisherRequest& value) {
  j.at("master").get_to(value.master);
  j.at("signaling_address").get_to(value.signaling_address);
  j.at("tracks").get_to(value.tracks);
}

void to_json(nlohmann::json& j, const PhonePublisherStarted& value) {
  j = {{"session", value.session}};
}

void from_json(const nlohmann::json& j, PhonePublisherStarted& value) {
  j.at("session").get_to(value.session);
}

void to_json(nlohmann::json& j, const LoggedEvent& value) {
  j = {{"seq", value.seq},
       {"kind", core::to_string(value.event.kind)},
       {"group", value.event.group},
       {"terminal", value.event.terminal},
       {"reason", value.event.reason},
       {"unix_ms", value.unix_ms}};
}

void to_json(nlohmann::json& j, const EventPage& value) {
  j = {{"events", value.events}, {"next", value.next}, {"gap", value.gap}, {"epoch", value.epoch}};
}

}  // namespace callcast::control

namespace callcast::http {

namespace {

// Parses `text` and hands the document to `read`; any parse or shape error becomes a failure.
template <class T, class Read>
Result<T, std::string> parse_with(std::string_view text, Read read) {
  nlohmann::json document = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) return fail(std::string("not valid JSON"));
  try {
    return read(document);
  } catch (const nlohmann::json::exception& e) {
    return fail(std::string(e.what()));
  }
}

// get_to() would wrap an out-of-range number into the field's type: numbers are checked first.
bool json_in_range(const nlohmann::json& v, std::int64_t low, std::int64_t high) {
  return v.is_number_integer() && v.get<std::int64_t>() >= low && v.get<std::int64_t>() <= high;
}

// What is wrong with a phone route's or track's ports and payload type (the fields both phone
// requests share), or nullopt.
std::optional<std::string> out_of_range_rtp_field(const nlohmann::json& track) {
  if (!json_in_range(track.at("rtp_port"), 1, 65535) ||
      !json_in_range(track.at("rtcp_port"), 1, 65535)) {
    return "rtp_port and rtcp_port must be 1-65535";
  }
  if (!json_in_range(track.at("payload_type"), 0, 127)) return "payload_type must be 0-127";
  return std::nullopt;
}

}  // namespace

Result<control::GroupSnapshot, std::string> parse_group_snapshot(std::string_view text) {
  return parse_with<control::GroupSnapshot>(
      text, [](const nlohmann::json& j) { return j.get<control::GroupSnapshot>(); });
}

Result<std::vector<control::GroupSnapshot>, std::string> parse_group_list(std::string_view text) {
  return parse_with<std::vector<control::GroupSnapshot>>(text, [](const nlohmann::json& j) {
    return j.at("groups").get<std::vector<control::GroupSnapshot>>();
  });
}

Result<control::GroupCreated, std::string> parse_group_created(std::string_view text) {
  return parse_with<control::GroupCreated>(
      text, [](const nlohmann::json& j) { return j.get<control::GroupCreated>(); });
}

Result<control::ViewerAdmitted, std::string> parse_viewer_admitted(std::string_view text) {
  return parse_with<control::ViewerAdmitted>(
      text, [](const nlohmann::json& j) { return j.get<control::ViewerAdmitted>(); });
}

Result<control::EdgeRequest, std::string> parse_edge_request(std::string_view text) {
  return parse_with<control::EdgeRequest>(
      text, [](const nlohmann::json& j) { return j.get<control::EdgeRequest>(); });
}

Result<control::EdgeOpened, std::string> parse_edge_opened(std::string_view text) {
  return parse_with<control::EdgeOpened>(
      text, [](const nlohmann::json& j) { return j.get<control::EdgeOpened>(); });
}

Result<control::PhoneViewerRequest, std::string> parse_phone_viewer_request(std::string_view text) {
  using Parsed = Result<control::PhoneViewerRequest, std::string>;
  return parse_with<control::PhoneViewerRequest>(text, [](const nlohmann::json& j) -> Parsed {
    for (const auto& track : j.at("tracks")) {
      if (auto wrong = out_of_range_rtp_field(track)) return fail(std::move(*wrong));
    }
    return j.get<control::PhoneViewerRequest>();
  });
}

Result<control::PhonePublisherRequest, std::string> parse_phone_publisher_request(
    std::string_view text) {
  using Parsed = Result<control::PhonePublisherRequest, std::string>;
  return parse_with<control::PhonePublisherRequest>(text, [](const nlohmann::json& j) -> Parsed {
    for (const auto& track : j.at("tracks")) {
      if (auto wrong = out_of_range_rtp_field(track)) return fail(std::move(*wrong));
      if (!json_in_range(track.at("clock_rate"), 1, 1000000))
        return fail(std::string("clock_rate must be 1-1000000"));
      if (track.contains("channels") && !json_in_range(track.at("channels"), 0, 8))
        return fail(std::string("channels must be 0-8"));
    }
    return j.get<control::PhonePublisherRequest>();
  });
}

Result<control::PhonePublisherStarted, std::string> parse_phone_publisher_started(
    std::string_view text) {
  return parse_with<control::PhonePublisherStarted>(
      text, [](const nlohmann::json& j) { return j.get<control::PhonePublisherStarted>(); });
}

Result<control::PhoneViewerStarted, std::string> parse_phone_viewer_started(std::string_view text) {
  return parse_with<control::PhoneViewerStarted>(
      text, [](const nlohmann::json& j) { return j.get<control::PhoneViewerStarted>(); });
}

Result<control::WebRtcViewerRequest, std::string> parse_webrtc_viewer_request(
    std::string_view text) {
  return parse_with<control::WebRtcViewerRequest>(
      text, [](const nlohmann::json& j) { return j.get<control::WebRtcViewerRequest>(); });
}

Result<control::WebRtcPublisherRequest, std::string> parse_webrtc_publisher_request(
    std::string_view text) {
  return parse_with<control::WebRtcPublisherRequest>(
      text, [](const nlohmann::json& j) { return j.get<control::WebRtcPublisherRequest>(); });
}

Result<control::WebRtcViewerStarted, std::string> parse_webrtc_viewer_started(
    std::string_view text) {
  return parse_with<control::WebRtcViewerStarted>(
      text, [](const nlohmann::json& j) { return j.get<control::WebRtcViewerStarted>(); });
}

std::optional<core::GroupEventKind> parse_event_kind(std::string_view text) {
  return core::parse_group_event_kind(text);
}

Result<control::EventPage, std::string> parse_event_page(std::string_view text) {
  using Page = Result<control::EventPage, std::string>;
  return parse_with<control::EventPage>(text, [](const nlohmann::json& j) -> Page {
    // get<uint64_t> would turn -1 into 2^64-1: a sequence number must be a non-negative integer.
    const auto sequence = [](const nlohmann::json& at) -> std::optional<std::uint64_t> {
      if (!at.is_number_unsigned()) return std::nullopt;
      return at.get<std::uint64_t>();
    };
    control::EventPage page;
    const auto next = sequence(j.at("next"));
    if (!next) return fail(std::string("\"next\" must be a non-negative integer"));
    page.next = *next;
    j.at("gap").get_to(page.gap);
    j.at("epoch").get_to(page.epoch);
    // get<vector> rather than iterating: an object in place of the array must be an error.
    for (const nlohmann::json& item : j.at("events").get<std::vector<nlohmann::json>>()) {
      const auto kind = parse_event_kind(item.at("kind").get<std::string>());
      if (!kind) continue;
      control::LoggedEvent event;
      const auto seq = sequence(item.at("seq"));
      if (!seq) return fail(std::string("\"seq\" must be a non-negative integer"));
      event.seq = *seq;
      item.at("unix_ms").get_to(event.unix_ms);
      event.event.kind = *kind;
      item.at("group").get_to(event.event.group);
      item.at("terminal").get_to(event.event.terminal);
      item.at("reason").get_to(event.event.reason);
      page.events.push_back(std::move(event));
    }
    return page;
  });
}

}  // namespace callcast::http
