#pragma once
// JSON forms of the control API's result types, as the admin API writes them and its client
// reads them back. The functions live in callcast::control so that nlohmann::json finds them by
// argument-dependent lookup: `nlohmann::json j = snapshot;` and `j.get<GroupSnapshot>()`.
//
// from_json is strict: a missing member or one of the wrong type throws nlohmann::json::exception
// (optional members are written as null, and must be present). parse_group_snapshot() and
// parse_group_list() wrap that for callers that want a Result.
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "control/event_log.hpp"
#include "control/media_control.hpp"
#include "core/result.hpp"

namespace callcast::control {

void to_json(nlohmann::json& j, const ReceptionStats& value);
void from_json(const nlohmann::json& j, ReceptionStats& value);
void to_json(nlohmann::json& j, const TrackStats& value);
void from_json(const nlohmann::json& j, TrackStats& value);
void to_json(nlohmann::json& j, const ViewerStats& value);
void from_json(const nlohmann::json& j, ViewerStats& value);
void to_json(nlohmann::json& j, const PublisherStats& value);
void from_json(const nlohmann::json& j, PublisherStats& value);
void to_json(nlohmann::json& j, const GroupSnapshot& value);
void from_json(const nlohmann::json& j, GroupSnapshot& value);
void to_json(nlohmann::json& j, const GroupCreated& value);
void from_json(const nlohmann::json& j, GroupCreated& value);
void to_json(nlohmann::json& j, const ViewerAdmitted& value);
void from_json(const nlohmann::json& j, ViewerAdmitted& value);
void to_json(nlohmann::json& j, const TrackFormat& value);
void from_json(const nlohmann::json& j, TrackFormat& value);
void to_json(nlohmann::json& j, const PhoneTrackRoute& value);
void from_json(const nlohmann::json& j, PhoneTrackRoute& value);
void to_json(nlohmann::json& j, const PhoneViewerRequest& value);
void from_json(const nlohmann::json& j, PhoneViewerRequest& value);
void to_json(nlohmann::json& j, const PhoneViewerStarted& value);
void to_json(nlohmann::json& j, const WebRtcViewerRequest& value);
void from_json(const nlohmann::json& j, WebRtcViewerRequest& value);
void to_json(nlohmann::json& j, const WebRtcViewerStarted& value);
void to_json(nlohmann::json& j, const WebRtcPublisherRequest& value);
void from_json(const nlohmann::json& j, WebRtcPublisherRequest& value);
void from_json(const nlohmann::json& j, WebRtcViewerStarted& value);
void from_json(const nlohmann::json& j, PhoneViewerStarted& value);
void to_json(nlohmann::json& j, const PhonePublishTrack& value);
void from_json(const nlohmann::json& j, PhonePublishTrack& value);
void to_json(nlohmann::json& j, const PhonePublisherRequest& value);
void from_json(const nlohmann::json& j, PhonePublisherRequest& value);
void to_json(nlohmann::json& j, const PhonePublisherStarted& value);
void from_json(const nlohmann::json& j, PhonePublisherStarted& value);
// Issue 15: POST /v1/edges {"group","master","origin_url"} -> {"group","created"}.
void to_json(nlohmann::json& j, const EdgeRequest& value);
void from_json(const nlohmann::json& j, EdgeRequest& value);
void to_json(nlohmann::json& j, const EdgeOpened& value);
void from_json(const nlohmann::json& j, EdgeOpened& value);
// {"seq":12,"kind":"master_joined","group":..,"terminal":..,"reason":..,"unix_ms":..}
void to_json(nlohmann::json& j, const LoggedEvent& value);
// {"events":[...],"next":12,"gap":false,"epoch":".."}; read back with http::parse_event_page.
void to_json(nlohmann::json& j, const EventPage& value);

}  // namespace callcast::control

namespace callcast::http {

// A body of GET /v1/groups/{group}.
Result<control::GroupSnapshot, std::string> parse_group_snapshot(std::string_view text);
// A body of GET /v1/groups: {"groups":[...]}.
Result<std::vector<control::GroupSnapshot>, std::string> parse_group_list(std::string_view text);
// Bodies of POST /v1/groups and POST /v1/groups/{group}/viewers.
Result<control::GroupCreated, std::string> parse_group_created(std::string_view text);
Result<control::ViewerAdmitted, std::string> parse_viewer_admitted(std::string_view text);
// POST /v1/edges: its body and answer (issue 15).
Result<control::EdgeRequest, std::string> parse_edge_request(std::string_view text);
Result<control::EdgeOpened, std::string> parse_edge_opened(std::string_view text);
// POST /v1/groups/{group}/phone-viewers: its body (the group comes from the path) and answer.
Result<control::PhoneViewerRequest, std::string> parse_phone_viewer_request(std::string_view text);
Result<control::PhoneViewerStarted, std::string> parse_phone_viewer_started(std::string_view text);
Result<control::WebRtcViewerRequest, std::string> parse_webrtc_viewer_request(
    std::string_view text);
Result<control::WebRtcViewerStarted, std::string> parse_webrtc_viewer_started(
    std::string_view text);
Result<control::WebRtcPublisherRequest, std::string> parse_webrtc_publisher_request(
    std::string_view text);
Result<control::PhonePublisherRequest, std::string> parse_phone_publisher_request(
    std::string_view text);
Result<control::PhonePublisherStarted, std::string> parse_phone_publisher_started(
    std::string_view text);
// A body of GET /v1/events. Events of a kind this build does not know are left out (a newer
// media side may report more kinds); `next` still moves past them.
Result<control::EventPage, std::string> parse_event_page(std::string_view text);

// "master_joined" -> GroupEventKind::master_joined; nullopt for anything else.
std::optional<core::GroupEventKind> parse_event_kind(std::string_view text);

}  // namespace callcast::http
