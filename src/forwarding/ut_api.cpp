#include "forwarding/ut_api.hpp"

#include <spdlog/spdlog.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "auth/authorization_header.hpp"
#include "core/group_registry.hpp"
#include "forwarding/ut_rule_body.hpp"
#include "http/admin_api.hpp"

namespace callcast::forwarding {

namespace {

using http::Request;
using http::Responder;
using http::Response;
using nlohmann::json;

struct Services {
  ForwardingRules* store;
  auth::HashLookup* users;
  const auth::DigestAuthenticator* authenticator;
};

Response error(int status, std::string_view code, std::string_view message) {
  return http::AdminApi::error(status, code, message);
}

// Text from the client goes into a log line only when it is a plain number, so that a crafted
// username cannot forge log lines.
std::string_view loggable(std::string_view text) {
  return core::is_valid_number(text) ? text : std::string_view("-");
}

// 401 with one WWW-Authenticate header per challenge: several challenges folded into one header
// value are legal (RFC 7235 §4.1) but clients such as curl only read the first of them.
Response challenge(const auth::DigestAuthenticator& authenticator, bool stale,
                   std::string_view message) {
  Response response = error(401, "unauthorized", message);
  for (std::string& value : authenticator.challenges(stale)) {
    response.headers.push_back({"WWW-Authenticate", std::move(value)});
  }
  return response;
}

std::string_view refusal_message(auth::DigestVerdict verdict) {
  switch (verdict) {
    case auth::DigestVerdict::ok:
      break;
    case auth::DigestVerdict::malformed:
      return "the digest response is malformed, uses an unsupported algorithm or qop, or has a "
             "nonce this server did not issue";
    case auth::DigestVerdict::wrong_realm:
      return "the digest response is for another realm";
    case auth::DigestVerdict::unknown_user:
    case auth::DigestVerdict::wrong_password:
      return "wrong user name or password";
    case auth::DigestVerdict::stale_nonce:
      return "the nonce has expired: retry with the new one";
  }
  return "authentication failed";
}

// The authenticated user of the request, or the response that refuses it.
Result<std::string, Response> authenticate(const Services& services, const Request& request) {
  const auth::DigestAuthenticator& authenticator = *services.authenticator;
  const std::optional<std::string_view> header = request.header("Authorization");
  if (!header) return fail(challenge(authenticator, false, "digest authentication required"));
  const std::optional<auth::DigestCredentials> credentials =
      auth::parse_digest_authorization(*header);
  if (!credentials) {
    return fail(challenge(authenticator, false,
                          "the Authorization header is not a digest response (RFC 7616)"));
  }
  // The response hashes the uri parameter, not the request line: without this check, a response
  // captured for one resource would authorise a request on another.
  if (credentials->uri != request.target) {
    return fail(error(400, "bad_request",
                      "the digest uri \"" + credentials->uri + "\" is not the request target \"" +
                          request.target + "\""));
  }
  const auth::DigestCheck check =
      authenticator.verify(*credentials, request.method, *services.users);
  if (check.verdict == auth::DigestVerdict::ok) return check.user;

  const bool stale = check.verdict == auth::DigestVerdict::stale_nonce;
  spdlog::info("ut: terminal={} event=auth_refused verdict={} peer={} method={}",
               loggable(check.user), auth::to_string(check.verdict), request.peer_address,
               request.method);
  return fail(challenge(authenticator, stale, refusal_message(check.verdict)));
}

// The authenticated user of a request on {number}'s rules, or the response that refuses it.
std::optional<Response> refuse(const Services& services, const Request& request) {
  Result<std::string, Response> user = authenticate(services, request);
  if (!user) return user.error();
  const std::string_view number = request.param("number");
  if (*user != number) {
    spdlog::info("ut: terminal={} event=forbidden number={} method={}", loggable(*user),
                 loggable(number), request.method);
    return error(403, "forbidden",
                 "a user may only read and change its own rules: authenticated as " + *user);
  }
  return std::nullopt;
}

Response store_failure(const Request& request, const std::string& message) {
  spdlog::error("ut: terminal={} event=store_failed method={} error={}",
                loggable(request.param("number")), request.method, message);
  // The details (file name, SQLite's message) are for the operator, not for the terminal.
  return error(500, "internal_error", "the forwarding store failed; the server log says why");
}

// The target of a PUT body (forwarding/ut_rule_body.hpp), or the 400 to answer.
Result<std::string, Response> parse_rule(const std::string& body, std::string_view number) {
  auto target = parse_ut_rule_body(body, number);
  if (!target) return fail(error(400, "bad_request", target.error()));
  return std::move(target).value();
}

Response rule_response(int status, std::string_view target) {
  return Response::json(status, json{{"target", std::string(target)}}.dump());
}

void get_rule(const Services& services, const Request& request, const Responder& respond) {
  if (auto refused = refuse(services, request)) return respond(std::move(*refused));
  const std::string_view number = request.param("number");
  auto target = services.store->unconditional_target(number);
  if (!target) return respond(store_failure(request, target.error()));
  if (!target->has_value()) {
    return respond(
        error(404, "not_found", std::string(number) + " has no unconditional forwarding rule"));
  }
  respond(rule_response(200, **target));
}

void put_rule(const Services& services, const Request& request, const Responder& respond) {
  if (auto refused = refuse(services, request)) return respond(std::move(*refused));
  const std::string_view number = request.param("number");
  Result<std::string, Response> target = parse_rule(request.body, number);
  if (!target) return respond(target.error());
  auto replaced = services.store->set_unconditional(number, *target);
  if (!replaced) return respond(store_failure(request, replaced.error()));
  spdlog::info("ut: terminal={} step=708 event=forwarding_set target={}", number, *target);
  Response response = rule_response(*replaced ? 200 : 201, *target);
  if (!*replaced) response.set_header("Location", request.path);
  respond(std::move(response));
}

void delete_rule(const Services& services, const Request& request, const Responder& respond) {
  if (auto refused = refuse(services, request)) return respond(std::move(*refused));
  const std::string_view number = request.param("number");
  auto removed = services.store->clear_unconditional(number);
  if (!removed) return respond(store_failure(request, removed.error()));
  if (*removed) spdlog::info("ut: terminal={} step=708 event=forwarding_cleared", number);
  respond(Response::empty(204));
}

}  // namespace

UtApi::UtApi(http::HttpServer& server, ForwardingRules& store, auth::HashLookup& users,
             const auth::DigestAuthenticator& authenticator) {
  const Services services{&store, &users, &authenticator};
  server.route("GET", kUnconditionalPath, std::bind_front(&get_rule, services));
  server.route("PUT", kUnconditionalPath, std::bind_front(&put_rule, services));
  server.route("DELETE", kUnconditionalPath, std::bind_front(&delete_rule, services));
}

}  // namespace callcast::forwarding
