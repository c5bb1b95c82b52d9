#pragma once
// Who may do what over RTSP: every request carries a token in its URL (DESIGN.md §4), checked
// against the group, the role and, for requests inside a session, the session's owner.
#include <optional>
#include <string_view>

#include "core/token.hpp"
#include "media/rtsp_reply.hpp"
#include "media/server_context.hpp"
#include "rtsp/group_url.hpp"

namespace callcast::media {

class RtspConnection;
class Session;

// A request's URL, its token's signature checked.
struct Authorized {
  rtsp::GroupUrl url;
  core::TokenClaims claims;
};

// A request inside a session it may use.
struct InSession {
  Session& session;
  Authorized auth;
};

// What a request does with the session it names: `keep_alive` (OPTIONS, GET_PARAMETER,
// SET_PARAMETER, PAUSE, TEARDOWN) may carry an expired token on the session's own connection;
// `start` (SETUP, PLAY, RECORD) always needs a fresh one.
enum class SessionUse { keep_alive, start };

// "1234abcd;timeout=60" -> "1234abcd"
std::string_view session_id_of(std::string_view header);

class RtspAuthorizer {
 public:
  explicit RtspAuthorizer(ServerContext& context) : ctx_(context) {}

  // The request URL's group and token, the token's signature checked (not its expiry).
  std::optional<Authorized> signed_url(const rtsp::RtspRequest& r, RtspReply& reply) const;
  // A request that starts something (no Session header): a fresh token for `role`, for a group
  // that exists.
  std::optional<Authorized> authorize(const rtsp::RtspRequest& r, core::TokenRole role,
                                      RtspReply& reply) const;
  // The session a request names, if the request may use it: its token names the session's
  // owner terminal, group and role, and the request comes on the session's own connection or,
  // for a UDP session, with a fresh token (players reconnect). Otherwise 454 exactly as for an
  // unknown id (ids travel in clear RTSP), or 401 for a bad token. Refreshes the session.
  std::optional<InSession> authorize_in_session(RtspConnection& c, const rtsp::RtspRequest& r,
                                                SessionUse use, RtspReply& reply) const;

 private:
  std::int64_t unix_now() const;

  ServerContext& ctx_;
};

}  // namespace callcast::media
