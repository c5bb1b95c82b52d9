#pragma once
// `callcast watch NUMBER`: the viewer terminal (patent modules 401-402). It calls the
// broadcaster's number (710); the network side follows the forwarding to the service number
// (181, 711-712) and answers with the play URL (713); the terminal plays it over RTSP/UDP
// (714) until the broadcast ends (the network side's BYE), Ctrl-C or --duration.
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "terminal/media/watch_pipeline.hpp"
#include "terminal/session.hpp"

namespace callcast::terminal {

struct WatchConfig {
  PhoneOptions phone;
  std::string target;  // the broadcaster's number
  WatchOptions media;
  std::optional<std::chrono::seconds> duration;
  std::filesystem::path stats_json;  // written at the end when not empty
};

class WatchSession final : public Session {
 public:
  WatchSession(WatchConfig config, StatusLine& status);
  ~WatchSession() override;

 protected:
  void begin() override;
  void end_cleanly(const std::string& why) override;
  void refresh_status() override;

 private:
  enum class State { registering, calling, connecting, watching, ending };
  void on_answered(const sipua::Response& response);
  void on_call_ended(const sipua::CallEnd& end, const std::optional<sipua::Response>& refusal);
  void media_done();
  void write_stats() const;
  static const char* to_string(State state);

  WatchConfig config_;
  std::unique_ptr<WatchPipeline> pipeline_;
  State state_ = State::registering;
  bool media_started_ = false;
  bool media_finished_ = false;
  bool call_over_ = false;
  bool ended_by_bye_ = false;  // the network side's BYE ended the call
  int exit_code_ = 0;
  std::string end_line_;
  std::chrono::steady_clock::time_point invite_sent_{};
  std::optional<std::chrono::milliseconds> join_time_;
};

}  // namespace callcast::terminal
