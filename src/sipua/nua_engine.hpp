#pragma once
// The SIP user agent proper, on sofia-sip's nua: REGISTER with digest, outgoing calls (INVITE,
// PRACK, ACK, CANCEL, BYE by nua), OPTIONS, and the message-sequence recorder.
//
// Single-threaded: create it, call it and destroy it on the thread that runs `root`, and its
// callbacks run there too. UserAgent gives it a thread of its own; the terminal (issue 4) can run
// it in GStreamer's GLib main loop through su_glib_root_create(). The root must have threading
// off (su_root_threading(root, 0)) so that nua's stack runs on the same thread: the transport-log
// tap that feeds the recorder is per thread.
//
// Digest: sofia's client answers 401/407 challenges with MD5 only (RFC 2617 / RFC 8760 MD5, qop
// auth); a challenge that offers only SHA-256 fails. The password must not contain ':' (the
// NUTAG_AUTH string is colon-separated).
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/result.hpp"
#include "core/time_source.hpp"
#include "sipua/call_handle.hpp"
#include "sipua/call_observer.hpp"
#include "sipua/message_recorder.hpp"
#include "sipua/response.hpp"
#include "sipua/user_agent_options.hpp"

struct su_root_s;
struct nua_s;
struct nua_handle_s;
struct sip_s;

namespace callcast::sipua {

class TransportLogTap;

class NuaEngine {
 public:
  using ResponseCallback = std::function<void(const Response&)>;
  using ReadyCallback = std::function<void(std::uint16_t local_port)>;

  // Binds nua as `options` say. `ready` runs once nua reports its transport (the bound port).
  // The shutdown's timers come from `timers` when given (tests: simulated time; it must outlive
  // the engine), else from the root's own.
  static Result<std::unique_ptr<NuaEngine>, std::string> create(
      su_root_s* root, UserAgentOptions options, ReadyCallback ready,
      core::TimerFactory* timers = nullptr);
  // Needs shutdown() to have finished cleanly first; otherwise the nua object is left behind
  // (logged), since nua_destroy refuses a stack that has not shut down.
  ~NuaEngine();
  NuaEngine(const NuaEngine&) = delete;
  NuaEngine& operator=(const NuaEngine&) = delete;

  const UserAgentOptions& options() const { return options_; }

  // REGISTER the account for `expires` seconds (nua refreshes it before expiry); `done` gets
  // the final response, after at most two digest rounds.
  void register_account(std::uint32_t expires, ResponseCallback done);
  void unregister_account(ResponseCallback done);

  // INVITE `target` (a number at the account's domain, or a full "sip:" URI) with `sdp_offer` as
  // an application/sdp body (none when empty). `handle` comes from the caller (UserAgent hands
  // out ids and Call-IDs on any thread).
  void start_call(const CallHandle& handle, const std::string& target, const std::string& sdp_offer,
                  std::shared_ptr<CallObserver> observer);
  // CANCEL before the answer, BYE after; nothing once the call has ended.
  void hang_up(std::uint64_t call);
  void options(const std::string& target, ResponseCallback done);

  std::vector<std::string> sequence(const std::string& call_id) const;
  std::uint64_t retransmissions(const std::string& call_id) const;
  std::size_t active_calls() const { return calls_.size(); }

  // nua_shutdown: BYE/CANCEL for live calls, un-REGISTER. `done(clean)` runs when nua has
  // finished, or after options().shutdown_timeout plus one second with clean == false.
  void shutdown(std::function<void(bool clean)> done);
  bool shut_down() const { return shutdown_final_; }

  // The URIs this agent puts on the wire.
  std::string aor() const;
  std::string request_uri(const std::string& target) const;

 private:
  struct Call;
  struct Pending {
    ResponseCallback done;
    int auth_rounds = 0;
  };

  NuaEngine(su_root_s* root, UserAgentOptions options, ReadyCallback ready,
            core::TimerFactory* timers);

  friend struct NuaEngineAccess;  // the C callback of nua
  void on_event(int event, int status, char const* phrase, nua_handle_s* nh, sip_s const* sip,
                const void* tags);
  void on_call_event(Call& call, int event, int status, char const* phrase, sip_s const* sip,
                     const void* tags);
  void on_request_response(Pending& pending, nua_handle_s* nh, int status, char const* phrase,
                           sip_s const* sip, bool& finished);
  void finish_call(Call& call, int status, char const* phrase);
  void on_wire_message(WireMessage&& message);
  bool authenticate(nua_handle_s* nh, int& rounds, sip_s const* sip);
  void on_shutdown_timer();
  void drop_all_handles();

  su_root_s* root_;
  UserAgentOptions options_;
  ReadyCallback ready_;
  nua_s* nua_ = nullptr;
  std::unique_ptr<TransportLogTap> tap_;
  MessageRecorder recorder_;

  std::unordered_map<std::uint64_t, std::unique_ptr<Call>> calls_;
  std::unordered_map<nua_handle_s*, Call*> calls_by_handle_;
  std::unordered_map<std::string, Call*> calls_by_call_id_;

  nua_handle_s* register_handle_ = nullptr;
  Pending registration_;
  std::unordered_map<nua_handle_s*, Pending> options_requests_;

  std::unique_ptr<core::TimerFactory> own_timers_;  // when none was given
  core::TimerFactory& timers_;
  std::unique_ptr<core::Timer> shutdown_timer_;
  std::function<void(bool)> shutdown_done_;
  int shutdown_stage_ = 0;
  bool shutdown_final_ = false;
};

}  // namespace callcast::sipua
