#pragma once
// JSON forms of the control API's result types, as the admin API writes them and its client
// reads them back. The functions live in callcast::control so that nlohmann::json finds them by
// argument-dependent lookup: `nlohmann::json j = snapshot;` and `j.get<GroupSnapshot>()`.
//
// from_json is strict: a missing member or one of the wrong type throws nlohmann::json::exception
// (optional members are written as null, and must be present). parse_group_snapshot() and
// parse_group_list() wrap that for callers that want a Result.
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

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

}  // namespace callcast::control

namespace callcast::http {

// A body of GET /v1/groups/{group}.
Result<control::GroupSnapshot, std::string> parse_group_snapshot(std::string_view text);
// A body of GET /v1/groups: {"groups":[...]}.
Result<std::vector<control::GroupSnapshot>, std::string> parse_group_list(std::string_view text);

}  // namespace callcast::http
