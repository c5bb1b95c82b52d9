#include "support/control_api.hpp"

#include <gtest/gtest.h>

#include "support/wait_until.hpp"

namespace callcast::test {

namespace {

std::optional<std::string> string_member(const HttpResult& result, const char* name,
                                         const std::string& request) {
  if (result.json.is_object() && result.json.contains(name) && result.json[name].is_string()) {
    return result.json[name].get<std::string>();
  }
  ADD_FAILURE() << request << ": answer has no string \"" << name << "\": " << result.describe();
  return std::nullopt;
}

}  // namespace

std::optional<std::string> ControlApi::create_group(const std::string& master) const {
  const auto result = http_.post("/v1/groups", {{"master", master}});
  if (result.status != 201) {
    ADD_FAILURE() << "POST /v1/groups {master:" << master << "} -> " << result.describe()
                  << " (expected 201)";
    return std::nullopt;
  }
  return string_member(result, "publish_url", "POST /v1/groups");
}

std::optional<std::string> ControlApi::admit_viewer(const std::string& group,
                                                    const std::string& viewer) const {
  const std::string target = "/v1/groups/" + group + "/viewers";
  const auto result = http_.post(target, {{"viewer", viewer}});
  if (result.status != 201) {
    ADD_FAILURE() << "POST " << target << " {viewer:" << viewer << "} -> " << result.describe()
                  << " (expected 201)";
    return std::nullopt;
  }
  return string_member(result, "play_url", "POST " + target);
}

std::optional<nlohmann::json> ControlApi::group(const std::string& group) const {
  const auto result = http_.get("/v1/groups/" + group);
  if (result.status != 200 || !result.json.is_object()) {
    ADD_FAILURE() << "GET /v1/groups/" << group << " -> " << result.describe()
                  << " (expected 200 and a JSON object)";
    return std::nullopt;
  }
  return result.json;
}

std::optional<nlohmann::json> ControlApi::groups() const {
  const auto result = http_.get("/v1/groups");
  if (result.status != 200 || !result.json.is_object() || !result.json.contains("groups") ||
      !result.json["groups"].is_array()) {
    ADD_FAILURE() << "GET /v1/groups -> " << result.describe()
                  << " (expected 200 and {\"groups\":[...]})";
    return std::nullopt;
  }
  return result.json["groups"];
}

bool ControlApi::delete_group(const std::string& group) const {
  const auto result = http_.del("/v1/groups/" + group);
  if (result.status != 204) {
    ADD_FAILURE() << "DELETE /v1/groups/" << group << " -> " << result.describe()
                  << " (expected 204)";
    return false;
  }
  return true;
}

bool ControlApi::wait_until_live(const std::string& group, std::chrono::milliseconds timeout,
                                 std::uint64_t video_packets) const {
  HttpResult last;
  const bool live = wait_until(
      [&] {
        last = http_.get("/v1/groups/" + group);
        if (last.status != 200 || !last.json.is_object()) return false;
        if (last.json.value("state", "") != "live") return false;
        const auto video = find_track(last.json, "video");
        return video.is_object() && video.value("packets", std::uint64_t{0}) >= video_packets;
      },
      timeout, std::chrono::milliseconds(200));
  if (!live) {
    ADD_FAILURE() << "group " << group << " did not become live with " << video_packets
                  << " video packets relayed within " << timeout.count()
                  << " ms; last snapshot: " << last.describe();
  }
  return live;
}

nlohmann::json find_viewer(const nlohmann::json& snapshot, const std::string& viewer) {
  if (!snapshot.contains("viewers") || !snapshot["viewers"].is_array()) return nullptr;
  for (const auto& entry : snapshot["viewers"]) {
    if (entry.value("viewer", "") == viewer) return entry;
  }
  return nullptr;
}

nlohmann::json find_track(const nlohmann::json& snapshot, const std::string& media) {
  if (!snapshot.contains("tracks") || !snapshot["tracks"].is_array()) return nullptr;
  for (const auto& entry : snapshot["tracks"]) {
    if (entry.value("media", "") == media) return entry;
  }
  return nullptr;
}

}  // namespace callcast::test
