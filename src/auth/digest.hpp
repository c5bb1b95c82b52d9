#pragma once
// HTTP digest authentication (RFC 7616), as used by SIP (RFC 3261 §22, RFC 8760): the server
// side shared by the SIP registrar and the Ut HTTP API. Pure logic: hashing and HMAC through
// OpenSSL, no I/O; the users come from a HashLookup (user_directory.hpp).
//
// Supported: algorithm MD5 and SHA-256, qop=auth, and the RFC 2069 form without qop. Not
// supported (a request using them is `malformed`): the -sess algorithms, qop=auth-int (SIP
// clients rarely hash the body, and we never offer it), userhash.
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/nonce.hpp"

namespace callcast::auth {

enum class DigestAlgorithm { md5, sha256 };
std::string_view to_string(DigestAlgorithm algorithm);  // "MD5", "SHA-256"
// Case-insensitive; an absent algorithm ("") means MD5 (RFC 7616 §3.4).
std::optional<DigestAlgorithm> parse_digest_algorithm(std::string_view text);

// H(user ":" realm ":" password), lower-case hex: what the users file stores (RFC 7616 §3.4.2).
std::string digest_ha1(DigestAlgorithm algorithm, std::string_view user, std::string_view realm,
                       std::string_view password);

// The parameters of an Authorization (or SIP Authorization) header, unquoted; absent ones empty.
struct DigestCredentials {
  std::string username, realm, nonce, uri, response, algorithm, cnonce, nc, qop, opaque;
  bool operator==(const DigestCredentials&) const = default;
};

// A quoted-string (RFC 7230 §3.2.6, RFC 7616 §3.4) holding `text`: '"' and '\' escaped as
// quoted-pairs. For the parameters of challenges and of Authorization headers.
std::string quoted_string(std::string_view text);

// The request-digest a client computes (RFC 7616 §3.4.1): with the credentials' qop, nc and
// cnonce when qop is set (qop=auth), in the RFC 2069 form without them otherwise. Lower-case hex.
std::string digest_response(DigestAlgorithm algorithm, std::string_view ha1,
                            const DigestCredentials& credentials, std::string_view method);

enum class DigestVerdict { ok, malformed, wrong_realm, unknown_user, wrong_password, stale_nonce };
std::string_view to_string(DigestVerdict verdict);

struct DigestCheck {
  DigestVerdict verdict = DigestVerdict::malformed;
  std::string user;  // the username of the credentials, whatever the verdict (for logs)
};

class HashLookup {
 public:
  virtual ~HashLookup() = default;
  // The user's HA1 for `algorithm` in the authenticator's realm, lower-case hex; nullopt if the
  // user is unknown.
  virtual std::optional<std::string> ha1(std::string_view user, DigestAlgorithm algorithm) = 0;
};

// Issues challenges and checks responses against them, without any per-client state.
//
// Nonces are stateless (see nonce.hpp): they carry their issue time and an HMAC over it, so any
// instance holding the same secret and realm accepts them, across restarts too. For the same
// reason the nonce-count is not tracked: a captured request can be replayed until its nonce is
// older than nonce_ttl, which bounds the replay window. SIP over TLS or a short nonce_ttl narrows
// it further; tracking nc would need shared state across instances.
class DigestAuthenticator {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;

  // An empty `nonce_secret` is replaced by 32 random bytes: nonces then die with the process.
  DigestAuthenticator(std::string realm, std::string nonce_secret, std::chrono::seconds nonce_ttl,
                      Clock clock = &std::chrono::system_clock::now);

  const std::string& realm() const { return realm_; }

  // Which algorithms are offered, in order of preference (default SHA-256, MD5); responses with
  // any other algorithm are refused. Some older clients (sipsak) read only the first challenge:
  // list MD5 first for them. Not empty; call before the authenticator is shared.
  void set_algorithms(std::vector<DigestAlgorithm> algorithms);
  const std::vector<DigestAlgorithm>& algorithms() const { return algorithms_; }

  // WWW-Authenticate (HTTP and SIP) header values, SHA-256 first then MD5, so that a client
  // picks the strongest it knows (RFC 8760 §2.4, RFC 7616 §3.7), e.g.
  //   Digest realm="callcast", nonce="...", algorithm=SHA-256, qop="auth"
  // with `, stale=true` appended when `stale` (the client retries without asking its user).
  std::vector<std::string> challenges(bool stale = false) const;

  // `method` is the request's method ("REGISTER", "INVITE", "GET", "PUT"...). The digest-uri is
  // taken as sent; comparing it with the request-URI is left to the caller. Thread-safe.
  //
  // Order of the checks: parameters and algorithm (malformed), realm (wrong_realm), nonce MAC
  // (malformed: answer with a fresh challenge), user (unknown_user), response (wrong_password),
  // nonce age (stale_nonce: only a response that is otherwise right is stale).
  DigestCheck verify(const DigestCredentials& credentials, std::string_view method,
                     HashLookup& users) const;

 private:
  std::string realm_;
  NonceCodec nonces_;
  std::chrono::seconds nonce_ttl_;
  Clock clock_;
  std::vector<DigestAlgorithm> algorithms_{DigestAlgorithm::sha256, DigestAlgorithm::md5};
};

}  // namespace callcast::auth
