#include "http/snapshot_json.hpp"

#include <nlohmann/json.hpp>
#include <optional>

namespace callcast::control {

namespace {

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
       {"packets", value.packets},
       {"bytes", value.bytes},
       {"bitrate_bps", value.bitrate_bps},
       {"malformed", value.malformed},
       {"keyframes", value.keyframes}};
}

void from_json(const nlohmann::json& j, TrackStats& value) {
  j.at("id").get_to(value.id);
  j.at("media").get_to(value.media);
  j.at("codec").get_to(value.codec);
  j.at("clock_rate").get_to(value.clock_rate);
  j.at("packets").get_to(value.packets);
  j.at("bytes").get_to(value.bytes);
  j.at("bitrate_bps").get_to(value.bitrate_bps);
  j.at("malformed").get_to(value.malformed);
  j.at("keyframes").get_to(value.keyframes);
}

void to_json(nlohmann::json& j, const ViewerStats& value) {
  j = {{"viewer", value.viewer},
       {"state", value.state},
       {"transport", value.transport},
       {"remote", value.remote},
       {"packets_sent", value.packets_sent},
       {"bytes_sent", value.bytes_sent},
       {"packets_dropped", value.packets_dropped},
       {"rtcp_reports", value.rtcp_reports}};
  optional_to_json(j, "reception", value.reception);
}

void from_json(const nlohmann::json& j, ViewerStats& value) {
  j.at("viewer").get_to(value.viewer);
  j.at("state").get_to(value.state);
  j.at("transport").get_to(value.transport);
  j.at("remote").get_to(value.remote);
  j.at("packets_sent").get_to(value.packets_sent);
  j.at("bytes_sent").get_to(value.bytes_sent);
  j.at("packets_dropped").get_to(value.packets_dropped);
  j.at("rtcp_reports").get_to(value.rtcp_reports);
  optional_from_json(j, "reception", value.reception);
}

void to_json(nlohmann::json& j, const PublisherStats& value) {
  j = {{"terminal", value.terminal},
       {"transport", value.transport},
       {"remote", value.remote},
       {"connected_s", value.connected_s},
       {"malformed_packets", value.malformed_packets},
       {"wrong_channel_packets", value.wrong_channel_packets},
       {"rtcp_sender_reports", value.rtcp_sender_reports}};
}

void from_json(const nlohmann::json& j, PublisherStats& value) {
  j.at("terminal").get_to(value.terminal);
  j.at("transport").get_to(value.transport);
  j.at("remote").get_to(value.remote);
  j.at("connected_s").get_to(value.connected_s);
  j.at("malformed_packets").get_to(value.malformed_packets);
  j.at("wrong_channel_packets").get_to(value.wrong_channel_packets);
  j.at("rtcp_sender_reports").get_to(value.rtcp_sender_reports);
}

void to_json(nlohmann::json& j, const GroupSnapshot& value) {
  j = {{"group", value.group},
       {"master", value.master},
       {"state", value.state},
       {"created_unix", value.created_unix}};
  optional_to_json(j, "publisher", value.publisher);
  j["tracks"] = value.tracks;
  j["viewers"] = value.viewers;
}

void from_json(const nlohmann::json& j, GroupSnapshot& value) {
  j.at("group").get_to(value.group);
  j.at("master").get_to(value.master);
  j.at("state").get_to(value.state);
  j.at("created_unix").get_to(value.created_unix);
  optional_from_json(j, "publisher", value.publisher);
  j.at("tracks").get_to(value.tracks);
  j.at("viewers").get_to(value.viewers);
}

void to_json(nlohmann::json& j, const GroupCreated& value) {
  j = {{"group", value.group}, {"publish_url", value.publish_url}};
}

void from_json(const nlohmann::json& j, GroupCreated& value) {
  j.at("group").get_to(value.group);
  j.at("publish_url").get_to(value.publish_url);
}

void to_json(nlohmann::json& j, const ViewerAdmitted& value) {
  j = {{"group", value.group}, {"viewer", value.viewer}, {"play_url", value.play_url}};
}

void from_json(const nlohmann::json& j, ViewerAdmitted& value) {
  j.at("group").get_to(value.group);
  j.at("viewer").get_to(value.viewer);
  j.at("play_url").get_to(value.play_url);
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

}  // namespace callcast::http
