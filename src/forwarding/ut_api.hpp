#pragma once
// The Ut interface for call forwarding (patent step 708; 3GPP TS 24.623 Ut, TS 24.604 CDIV
// communication-diversion rule "unconditional"), as JSON over HTTP instead of XCAP:
//
//   GET    /ut/v1/users/{number}/forwarding/unconditional  -> 200 {"target":"777"} | 404
//   PUT    /ut/v1/users/{number}/forwarding/unconditional     {"target":"777"}
//                                                           -> 201 created | 200 replaced
//   DELETE /ut/v1/users/{number}/forwarding/unconditional  -> 204 (also when there was none)
//
// GET returns exactly what PUT takes, so a rule can be read, edited and put back. PUT accepts
// only the member "target": a number (core::is_valid_number) other than {number} itself.
// Errors are {"error":<code>,"message":<text>} as in the admin API.
//
// Authentication: HTTP digest (RFC 7616) with the SIP users' credentials (same realm, same
// users file), on every request:
//   - no Authorization, not Digest, unparseable, wrong realm, a nonce we did not issue
//       -> 401 with one WWW-Authenticate per challenge, in the authenticator's order
//       (callcastd's default: MD5 first, for clients that read only the first, then SHA-256);
//   - a stale nonce with an otherwise right response -> 401 with stale=true;
//   - wrong password or unknown user -> 401 with fresh challenges, not 403 as in SIP. In HTTP a
//     401 means "these credentials were refused, try others" (RFC 7235 §3.1): a browser asks its
//     user again, and curl does not loop: it retries once per challenge it received and then
//     returns the 401. 403 would tell a client that no credentials can help, which is only true
//     of the next case. Both verdicts answer alike so that the API does not reveal which numbers
//     exist;
//   - digest `uri` not the request-target as sent -> 400 (RFC 2617 §3.2.2.5: the credentials
//     were computed for another resource);
//   - authenticated user other than {number} -> 403: a user may only read and change its own
//     rules.
//
// Threading: the handlers run on the HttpServer's io_context and call the store synchronously;
// a write waits for SQLite's fsync or a Redis round trip (a few milliseconds, bounded by the
// store's timeout), acceptable on this control path.
#include "auth/digest.hpp"
#include "forwarding/forwarding_rules.hpp"
#include "http/http_server.hpp"

namespace callcast::forwarding {

class UtApi {
 public:
  // Registers the routes on `server`. `store`, `users` and `authenticator` must outlive the
  // server; this object itself may go away after construction. Installs no filter or error
  // renderer: those are server-wide (AdminApi sets them, and its filter leaves /ut/ alone).
  UtApi(http::HttpServer& server, ForwardingRules& store, auth::HashLookup& users,
        const auth::DigestAuthenticator& authenticator);

  static constexpr const char* kUnconditionalPath =
      "/ut/v1/users/{number}/forwarding/unconditional";
};

}  // namespace callcast::forwarding
