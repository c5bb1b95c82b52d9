#pragma once
// STUN messages (RFC 8489, which obsoletes RFC 5389) as ICE uses them (RFC 8445 §7): a browser's
// connectivity checks and consent checks (RFC 7675) arrive on the media UDP port beside DTLS and
// SRTP (RFC 7983), and the server answers each. This is how a browser viewer or master proves it
// owns the 5-tuple the server then streams to (steps 705 and 709 with a browser as terminal).
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |0 0|     STUN Message Type     |         Message Length        |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                         Magic Cookie                          |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                     Transaction ID (96 bits)                  |
//  |                                                               |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |         Type                  |            Length             |  then attributes, each
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+  padded to 4 bytes
//  |                         Value (variable)                ....
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// The Message Length counts the bytes after the 20-byte header. The message type interleaves a
// 12-bit method with a 2-bit class (request, indication, success, error response).
//
// This header and its source depend on core only (no Asio), so the parser is fuzzed alone; the
// conversion to a socket endpoint is in stun_endpoint.hpp.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace callcast::ice {

using StunTransactionId = std::array<std::uint8_t, 12>;

inline constexpr std::uint32_t kStunMagicCookie = 0x2112A442;
inline constexpr std::size_t kStunHeaderSize = 20;

// Message types (method Binding = 0x001 in each class).
inline constexpr std::uint16_t kBindingRequest = 0x0001;
inline constexpr std::uint16_t kBindingIndication = 0x0011;
inline constexpr std::uint16_t kBindingSuccess = 0x0101;
inline constexpr std::uint16_t kBindingError = 0x0111;

// Attribute types this library reads or writes. Types below 0x8000 are comprehension-required: a
// receiver that does not know one must reject the request with 420 (RFC 8489 §14).
namespace stun_attribute {
inline constexpr std::uint16_t kMappedAddress = 0x0001;
inline constexpr std::uint16_t kUsername = 0x0006;
inline constexpr std::uint16_t kMessageIntegrity = 0x0008;
inline constexpr std::uint16_t kErrorCode = 0x0009;
inline constexpr std::uint16_t kUnknownAttributes = 0x000A;
inline constexpr std::uint16_t kXorMappedAddress = 0x0020;
inline constexpr std::uint16_t kPriority = 0x0024;      // RFC 8445 §16.1
inline constexpr std::uint16_t kUseCandidate = 0x0025;  // RFC 8445 §16.1
inline constexpr std::uint16_t kSoftware = 0x8022;
inline constexpr std::uint16_t kFingerprint = 0x8028;
inline constexpr std::uint16_t kIceControlled = 0x8029;   // RFC 8445 §16.1
inline constexpr std::uint16_t kIceControlling = 0x802A;  // RFC 8445 §16.1
}  // namespace stun_attribute

// The error codes ICE answers with (RFC 8489 §14.8, RFC 8445 §7.3.1.1).
namespace stun_error {
inline constexpr int kBadRequest = 400;
inline constexpr int kUnauthorized = 401;
inline constexpr int kUnknownAttribute = 420;
inline constexpr int kRoleConflict = 487;
}  // namespace stun_error

struct StunErrorCode {
  int code = 0;  // 300..699
  std::string reason;
};

// A transport address as XOR-MAPPED-ADDRESS carries it, already un-XORed. An IPv4 address uses
// the first 4 bytes of `address`.
struct StunAddress {
  bool ipv6 = false;
  std::array<std::uint8_t, 16> address{};
  std::uint16_t port = 0;

  friend bool operator==(const StunAddress&, const StunAddress&) = default;
};

// A parsed message: the fields ICE needs, copied out of the datagram (it is small and the
// integrity check needs the raw bytes anyway, which the caller keeps).
struct StunMessage {
  std::uint16_t type = 0;
  StunTransactionId transaction{};
  std::optional<std::string> username;
  std::optional<std::uint32_t> priority;
  bool use_candidate = false;
  std::optional<std::uint64_t> ice_controlling;
  std::optional<std::uint64_t> ice_controlled;
  std::optional<StunErrorCode> error;
  std::optional<StunAddress> xor_mapped_address;
  // UNKNOWN-ATTRIBUTES of a 420 response.
  std::vector<std::uint16_t> unknown_attributes;
  // Comprehension-required attribute types this parser does not know, in the order received: a
  // request carrying any is answered with 420 listing them.
  std::vector<std::uint16_t> unknown_required;
  // Byte offsets in the raw message of the MESSAGE-INTEGRITY and FINGERPRINT attribute headers;
  // 0 when absent (an attribute never starts inside the 20-byte header).
  std::size_t integrity_offset = 0;
  std::size_t fingerprint_offset = 0;

  std::uint16_t method() const;
  bool is_request() const { return (type & 0x0110) == 0x0000; }
  bool is_indication() const { return (type & 0x0110) == 0x0010; }
  bool is_success_response() const { return (type & 0x0110) == 0x0100; }
  bool is_error_response() const { return (type & 0x0110) == 0x0110; }
  bool is_binding_request() const { return type == kBindingRequest; }
  bool is_binding_success() const { return type == kBindingSuccess; }
  bool is_binding_error() const { return type == kBindingError; }
};

// RFC 7983 demultiplexing of the media port: first byte 0..3, at least a header, and the magic
// cookie in place. A cheap test for the receive path; parse_stun() still checks everything.
bool looks_like_stun(std::span<const std::uint8_t> datagram);

// Parses one STUN message that fills `datagram` exactly. Strict: the header's length is a
// multiple of 4 and equal to what follows the header, every attribute and its padding lie inside
// the message, known attributes have their sizes, MESSAGE-INTEGRITY is followed by nothing but
// FINGERPRINT, and FINGERPRINT is last. Unknown comprehension-optional attributes are skipped;
// unknown comprehension-required ones are listed in `unknown_required`. The padding's content is
// not checked (RFC 8489 §14: receivers ignore it; RFC 5769's sample request pads with spaces).
Result<StunMessage, std::string> parse_stun(std::span<const std::uint8_t> datagram);

// MESSAGE-INTEGRITY (RFC 8489 §14.5): HMAC-SHA1 under `key` over the message up to the
// attribute, with the header's length field covering the attribute as if it were last. For
// ICE's short-term credentials the key is the password itself. False when `message` has no
// MESSAGE-INTEGRITY or `raw` is not the datagram it was parsed from. Constant-time compare.
bool check_message_integrity(std::span<const std::uint8_t> raw, const StunMessage& message,
                             std::string_view key);

// FINGERPRINT (RFC 8489 §14.7): CRC-32 of the message up to the attribute, XOR 0x5354554e.
// False when absent.
bool check_fingerprint(std::span<const std::uint8_t> raw, const StunMessage& message);

// 96 bits from OpenSSL's RAND_bytes: a new transaction ID (RFC 8489 §6: uniformly random).
StunTransactionId random_transaction_id();

// Writes one message: attributes in the order added, then MESSAGE-INTEGRITY and FINGERPRINT.
class StunBuilder {
 public:
  StunBuilder(std::uint16_t type, const StunTransactionId& transaction);

  StunBuilder& add_username(std::string_view username);
  StunBuilder& add_priority(std::uint32_t priority);
  StunBuilder& add_use_candidate();
  StunBuilder& add_ice_controlling(std::uint64_t tie_breaker);
  StunBuilder& add_ice_controlled(std::uint64_t tie_breaker);
  StunBuilder& add_xor_mapped_address(const StunAddress& address);
  // `code` 300..699; the reason is cut to 763 bytes (RFC 8489 §14.8: 128 characters).
  StunBuilder& add_error_code(int code, std::string_view reason);
  StunBuilder& add_unknown_attributes(std::span<const std::uint16_t> types);
  // Any other attribute (SOFTWARE, or a test's own); padded with zeros.
  StunBuilder& add_attribute(std::uint16_t type, std::span<const std::uint8_t> value);

  // The message, with MESSAGE-INTEGRITY under `integrity_key` when given and FINGERPRINT when
  // asked. The builder can be finished again (the attributes stay).
  std::vector<std::uint8_t> finish(std::optional<std::string_view> integrity_key,
                                   bool fingerprint) const;

 private:
  std::uint16_t type_;
  StunTransactionId transaction_;
  std::vector<std::uint8_t> attributes_;
};

// A Binding success response to `request` (same transaction) carrying XOR-MAPPED-ADDRESS,
// MESSAGE-INTEGRITY under `password` and FINGERPRINT (RFC 8445 §7.3.1.3).
std::vector<std::uint8_t> binding_success(const StunMessage& request, const StunAddress& mapped,
                                          std::string_view password);

// A Binding error response to `request` with ERROR-CODE, UNKNOWN-ATTRIBUTES when `code` is 420
// (the request's `unknown_required`), MESSAGE-INTEGRITY when `password` is given (only once the
// request was authenticated: RFC 8489 §9.1.3 forbids it on 400/401 for failed credentials) and
// FINGERPRINT.
std::vector<std::uint8_t> binding_error(const StunMessage& request, int code,
                                        std::string_view reason,
                                        std::optional<std::string_view> password);

// A connectivity check as a full ICE agent (a browser) sends it (RFC 8445 §7.2.2): USERNAME
// "<receiver's ufrag>:<sender's ufrag>", PRIORITY, the role attribute, USE-CANDIDATE when
// nominating, MESSAGE-INTEGRITY under the receiver's password, FINGERPRINT. For the bench and
// the tests, which play the browser.
struct BindingRequestOptions {
  std::string username;
  std::string password;
  std::uint32_t priority = 0;
  std::optional<std::uint64_t> ice_controlling;
  std::optional<std::uint64_t> ice_controlled;
  bool use_candidate = false;
  StunTransactionId transaction{};
};
std::vector<std::uint8_t> binding_request(const BindingRequestOptions& options);

}  // namespace callcast::ice
