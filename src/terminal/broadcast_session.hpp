#pragma once
// `callcast broadcast`: the master terminal (patent modules 301-307). It registers, calls the
// service number (701), publishes to the URL of the 183's SDP over RTSP/TCP (704-705, 708),
// shows "live" on the 200 OK (707), then points its own number's unconditional call forwarding
// at the service number through the Ut interface ([0154]) so that viewers reach the broadcast by
// calling it; on the way out it hangs up and clears that forwarding.
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "terminal/media/broadcast_pipeline.hpp"
#include "terminal/session.hpp"

namespace callcast::terminal {

struct BroadcastConfig {
  PhoneOptions phone;
  std::string service_number = "777";
  std::string ut_url;  // "http://host:port" of the Ut interface; empty: leave forwarding alone
  // ut_url came from --ut-url: it wins over the URL the network side tells in Call-Info. When
  // false, ut_url is only the default for a network side that tells none.
  bool ut_url_explicit = false;
  BroadcastOptions media;
  std::optional<std::chrono::seconds> duration;
  std::filesystem::path stats_json;  // written at the end when not empty
};

class BroadcastSession final : public Session {
 public:
  BroadcastSession(BroadcastConfig config, StatusLine& status);
  ~BroadcastSession() override;

  // Camera switch ([0155]): 's' on the keyboard or SIGUSR1.
  void on_key(char key) override;
  void on_user_signal() override;

 protected:
  void begin() override;
  void end_cleanly(const std::string& why) override;
  void refresh_status() override;
  // The --stats-json file, on every ending (the ending bound's too).
  void on_finish(int exit_code, const std::string& line) override;

 private:
  enum class State { registering, calling, publishing, live, ending };
  void on_provisional(const sipua::Response& response);
  void on_answered();
  // The Ut URL of a 183/200's `Call-Info: <http://...>;purpose=callcast-ut`, when it has one.
  void note_network_ut_url(const sipua::Response& response);
  // Where the forwarding goes (708): --ut-url, else the network side's, else the default.
  std::string ut_url() const;
  // The network side's INFO (package callcast-audience): the viewers playing now.
  void on_audience(const sipua::InfoRequest& info);
  void on_call_ended(const sipua::CallEnd& end, const std::optional<sipua::Response>& refusal);
  void start_media(const std::string& url);
  // The media failed for good: the error line, then the call ends.
  void media_failed(const std::string& text);
  void set_forwarding();
  // The last steps of every ending: forwarding cleared, then finish(exit_code, line).
  void clear_forwarding_then_finish(int exit_code, const std::string& line);
  void switch_camera(const char* how);
  void write_stats(const std::string& end_reason) const;
  static const char* to_string(State state);

  BroadcastConfig config_;
  std::unique_ptr<BroadcastPipeline> pipeline_;
  State state_ = State::registering;
  bool forwarding_set_ = false;
  bool forwarding_in_flight_ = false;
  std::optional<std::pair<int, std::string>> finish_after_forwarding_;
  bool media_started_ = false;
  bool media_finished_ = false;
  bool call_over_ = false;
  int pending_exit_ = 0;
  std::string pending_line_;
  int reconnect_attempt_ = 0;  // > 0 while the media connection is being re-established
  std::optional<std::chrono::steady_clock::time_point> live_since_;
  std::string network_ut_url_;          // from Call-Info
  std::string forwarding_url_;          // the Ut URL the forwarding was set through
  std::optional<std::size_t> viewers_;  // none until the network side tells
  std::size_t max_viewers_ = 0;
};

}  // namespace callcast::terminal
