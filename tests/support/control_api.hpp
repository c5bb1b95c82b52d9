#pragma once
// callcastd's HTTP control API as the tests use it. Each call records a test failure that shows
// the HTTP exchange when the server does not answer as documented, and returns nullopt.
#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "support/http_client.hpp"

namespace callcast::test {

class ControlApi {
 public:
  explicit ControlApi(HttpClient http) : http_(std::move(http)) {}

  const HttpClient& http() const { return http_; }

  // POST /v1/groups -> 201: the publish URL.
  std::optional<std::string> create_group(const std::string& master) const;
  // POST /v1/groups/{g}/viewers -> 201: the play URL.
  std::optional<std::string> admit_viewer(const std::string& group,
                                          const std::string& viewer) const;
  // GET /v1/groups/{g} -> 200: the snapshot.
  std::optional<nlohmann::json> group(const std::string& group) const;
  // GET /v1/groups -> 200: the "groups" array.
  std::optional<nlohmann::json> groups() const;
  // DELETE /v1/groups/{g} -> 204.
  bool delete_group(const std::string& group) const;

  // Polls the snapshot until the group is live and its video track has relayed at least
  // `video_packets` packets. False (with a failure recorded) after `timeout`.
  bool wait_until_live(const std::string& group, std::chrono::milliseconds timeout,
                       std::uint64_t video_packets = 50) const;

 private:
  HttpClient http_;
};

// The snapshot's entry for `viewer` (null when absent) and the first track of a kind.
nlohmann::json find_viewer(const nlohmann::json& snapshot, const std::string& viewer);
nlohmann::json find_track(const nlohmann::json& snapshot, const std::string& media);

}  // namespace callcast::test
