#include "media/rtsp_authorizer.hpp"

#include <spdlog/spdlog.h>

#include "media/group_directory.hpp"
#include "media/rtsp_connection.hpp"
#include "media/session_table.hpp"

namespace callcast::media {

std::string_view session_id_of(std::string_view header) {
  const auto semicolon = header.find(';');
  auto id = header.substr(0, semicolon);
  while (!id.empty() && (id.back() == ' ' || id.back() == '\t'))
    id.remove_suffix(1);
  return id;
}

std::int64_t RtspAuthorizer::unix_now() const {
  return std::chrono::duration_cast<std::chrono::seconds>(ctx_.time.wall_now().time_since_epoch())
      .count();
}

std::optional<Authorized> RtspAuthorizer::signed_url(const rtsp::RtspRequest& r,
                                                     RtspReply& reply) const {
  auto url = rtsp::parse_group_url(r.uri);
  if (!url) {
    reply.error(404, url.error());
    return std::nullopt;
  }
  if (url->token.empty()) {
    reply.error(401, "no token: use the URL the network side gave you");
    return std::nullopt;
  }
  auto claims = ctx_.directory.tokens().verify(url->token, 0);
  if (!claims) {
    reply.error(401, "token " + std::string(core::to_string(claims.error())));
    return std::nullopt;
  }
  if (claims->group != url->group) {
    reply.error(401, "token is for another group");
    return std::nullopt;
  }
  return Authorized{std::move(*url), std::move(*claims)};
}

std::optional<Authorized> RtspAuthorizer::authorize(const rtsp::RtspRequest& r,
                                                    core::TokenRole role, RtspReply& reply) const {
  auto signed_request = signed_url(r, reply);
  if (!signed_request) return std::nullopt;
  const auto& [url, claims] = *signed_request;
  if (auto fresh = ctx_.directory.tokens().verify(url.token, unix_now()); !fresh) {
    const bool returning_master = fresh.error() == core::TokenError::expired &&
                                  role == core::TokenRole::publish && claims.role == role &&
                                  ctx_.directory.master_may_return_with(claims);
    if (!returning_master) {
      reply.error(401, "token " + std::string(core::to_string(fresh.error())));
      return std::nullopt;
    }
  }
  if (claims.role != role) {
    reply.error(401, "token is for " + std::string(core::to_string(claims.role)) + ", not " +
                         std::string(core::to_string(role)));
    return std::nullopt;
  }
  if (!ctx_.directory.registry().find(url.group)) {
    reply.error(404, "no group " + url.group);
    return std::nullopt;
  }
  return signed_request;
}

std::optional<InSession> RtspAuthorizer::authorize_in_session(RtspConnection& c,
                                                              const rtsp::RtspRequest& r,
                                                              SessionUse use,
                                                              RtspReply& reply) const {
  const auto header = r.header("Session");
  if (!header) {
    reply.error(454, "missing Session header");
    return std::nullopt;
  }
  const std::string id(session_id_of(*header));
  // Session ids travel in clear RTSP: a session this request may not use is answered exactly
  // like an id that does not exist, so that trying ids tells nothing.
  auto not_found = [&](Session* foreign, std::string_view why) -> std::optional<InSession> {
    if (foreign) {
      ++ctx_.counters.foreign_session_requests;
      spdlog::warn("group={} terminal={} step=714 {} {} names session {} of {}: {}, refused",
                   foreign->group(), foreign->terminal(), r.method,
                   c.remote().address().to_string(), id, foreign->terminal(), why);
    }
    reply.error(454, "no session " + id);
    return std::nullopt;
  };
  Session* session = ctx_.sessions.find(id);
  if (!session) return not_found(nullptr, "");
  // Signature first: who the caller is. Whether the token is still fresh depends on the use.
  auto signed_request = signed_url(r, reply);
  if (!signed_request) return std::nullopt;
  auto* url = &signed_request->url;
  auto* claims = &signed_request->claims;
  const auto role =
      session->kind() == SessionKind::publisher ? core::TokenRole::publish : core::TokenRole::play;
  if (url->group != session->group() || claims->terminal != session->terminal() ||
      claims->role != role) {
    return not_found(session, "token of " + claims->terminal + " (" +
                                  std::string(core::to_string(claims->role)) + ")");
  }
  const bool own_connection = c.id() == session->connection_id;
  if (!own_connection && !session->udp) {
    // Interleaved media flows on the connection that set it up: nobody else may steer it.
    return not_found(session, "interleaved session used from another connection");
  }
  // The session's own keep-alives and teardown need no fresh token (a stream watched for hours
  // must not end at the token's expiry); anything else, or from another connection, does.
  if (!own_connection || use != SessionUse::keep_alive) {
    auto fresh = ctx_.directory.tokens().verify(url->token, unix_now());
    const bool returning_master = !fresh && fresh.error() == core::TokenError::expired &&
                                  own_connection && session->kind() == SessionKind::publisher &&
                                  ctx_.directory.master_may_return_with(*claims);
    if (!fresh && !returning_master) {
      reply.error(401, "token " + std::string(core::to_string(fresh.error())));
      return std::nullopt;
    }
  }
  session->last_activity = ctx_.time.now();
  reply.response.add(
      "Session", session->id() + ";timeout=" + std::to_string(ctx_.config.session_timeout.count()));
  return InSession{*session, Authorized{std::move(*url), std::move(*claims)}};
}

}  // namespace callcast::media
