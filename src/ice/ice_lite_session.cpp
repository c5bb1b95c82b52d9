#include "ice/ice_lite_session.hpp"

#include <utility>

#include "ice/stun_endpoint.hpp"

namespace callcast::ice {

namespace {

IceReply ice_reject(std::vector<std::uint8_t> response, std::string error) {
  IceReply reply;
  reply.response = std::move(response);
  reply.error = std::move(error);
  return reply;
}

// USERNAME as it may appear in a log line: it is the peer's text, so control bytes and non-ASCII
// are escaped and a long one is cut.
std::string ice_printable(std::string_view text) {
  constexpr std::size_t kMaxShown = 64;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const char c : text.substr(0, kMaxShown)) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f && c != '\\') {
      out += c;
    } else {
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    }
  }
  if (text.size() > kMaxShown) out += "...";
  return out;
}

}  // namespace

IceLiteSession::IceLiteSession(IceCredentials local, std::string remote_ufrag,
                               std::string remote_password, Clock::time_point created)
    : local_(std::move(local)),
      remote_ufrag_(std::move(remote_ufrag)),
      remote_password_(std::move(remote_password)),
      expected_username_(local_.ufrag + ":" + remote_ufrag_),
      last_consent_(created) {}

std::optional<std::string_view> IceLiteSession::local_ufrag_of(const StunMessage& message) {
  if (!message.username) return std::nullopt;
  const std::string_view username = *message.username;
  const auto colon = username.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  return username.substr(0, colon);
}

IceReply IceLiteSession::on_binding_request(std::span<const std::uint8_t> raw,
                                            const StunMessage& message,
                                            const boost::asio::ip::udp::endpoint& from,
                                            Clock::time_point now) {
  if (!message.is_binding_request()) return ice_reject({}, "not a Binding request");
  // RFC 8489 §7.3: a FINGERPRINT that does not match means the datagram is not STUN at all.
  if (message.fingerprint_offset != 0 && !check_fingerprint(raw, message)) {
    return ice_reject({}, "FINGERPRINT does not match");
  }
  using namespace stun_error;
  if (!message.username || message.integrity_offset == 0) {
    const char* missing = message.username ? "MESSAGE-INTEGRITY" : "USERNAME";
    return ice_reject(binding_error(message, kBadRequest, "Bad Request", std::nullopt),
                      std::string("no ") + missing);
  }
  if (*message.username != expected_username_) {
    return ice_reject(
        binding_error(message, kUnauthorized, "Unauthorized", std::nullopt),
        "USERNAME '" + ice_printable(*message.username) + "' is not '" + expected_username_ + "'");
  }
  if (!check_message_integrity(raw, message, local_.password)) {
    return ice_reject(binding_error(message, kUnauthorized, "Unauthorized", std::nullopt),
                      "MESSAGE-INTEGRITY does not match the local password");
  }
  // Authenticated from here: errors are keyed so that the browser can trust them.
  const std::string_view key = local_.password;
  if (!message.unknown_required.empty()) {
    return ice_reject(binding_error(message, kUnknownAttribute, "Unknown Attribute", key),
                      "unknown comprehension-required attributes");
  }
  if (!message.priority) {
    return ice_reject(binding_error(message, kBadRequest, "Bad Request", key), "no PRIORITY");
  }
  // RFC 8445 §7.3.1.1: we are controlled; a peer claiming controlled too is told to switch (a
  // lite agent never becomes controlling, so the tie-breakers are not compared).
  if (message.ice_controlled) {
    return ice_reject(binding_error(message, kRoleConflict, "Role Conflict", key),
                      "role conflict: the peer claims ICE-CONTROLLED");
  }
  IceReply reply;
  reply.response = binding_success(message, to_stun_address(from), key);
  reply.valid = true;
  last_consent_ = now;
  if (message.use_candidate) {
    selected_ = from;
    reply.nominated = true;
  }
  return reply;
}

bool IceLiteSession::consent_expired(Clock::time_point now, std::chrono::seconds timeout) const {
  return now - last_consent_ >= timeout;
}

}  // namespace callcast::ice
