#include "ice/stun_message.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <zlib.h>

#include <algorithm>
#include <cassert>
#include <memory>

#include "rtp/byte_io.hpp"

namespace callcast::ice {

namespace {

using rtp::read_u16;
using rtp::read_u32;
using rtp::read_u64;
using rtp::write_u16;
using rtp::write_u32;
using rtp::write_u64;

constexpr std::size_t kStunAttributeHeaderSize = 4;
constexpr std::size_t kStunIntegritySize = 20;  // HMAC-SHA1
constexpr std::size_t kStunFingerprintSize = 4;
constexpr std::uint32_t kStunFingerprintXor = 0x5354554e;
// RFC 8489 §14.3: USERNAME is under 513 bytes; §14.8: the reason phrase under 764 bytes.
constexpr std::size_t kStunMaxUsername = 512;
constexpr std::size_t kStunMaxReason = 763;

constexpr std::size_t stun_padded(std::size_t length) {
  return (length + 3) & ~std::size_t{3};
}

bool stun_comprehension_required(std::uint16_t type) {
  return type < 0x8000;
}

// XOR-MAPPED-ADDRESS (RFC 8489 §14.2): family 1 (IPv4, 4 bytes) or 2 (IPv6, 16 bytes); the port
// is XORed with the cookie's high 16 bits, the address with the cookie then the transaction ID.
//   0 0 0 0 0 0 0 0 | Family (8) | X-Port (16) | X-Address (32 or 128)
std::array<std::uint8_t, 16> stun_xor_mask(const StunTransactionId& transaction) {
  std::array<std::uint8_t, 16> mask{};
  write_u32(mask.data(), kStunMagicCookie);
  std::copy(transaction.begin(), transaction.end(), mask.begin() + 4);
  return mask;
}

Result<StunAddress, std::string> stun_read_xor_address(std::span<const std::uint8_t> value,
                                                       const StunTransactionId& transaction) {
  if (value.size() < 4) return fail("XOR-MAPPED-ADDRESS: shorter than 4 bytes");
  const std::uint8_t family = value[1];
  StunAddress address;
  std::size_t size = 0;
  if (family == 0x01) {
    size = 4;
  } else if (family == 0x02) {
    size = 16;
    address.ipv6 = true;
  } else {
    return fail("XOR-MAPPED-ADDRESS: unknown address family " + std::to_string(family));
  }
  if (value.size() != 4 + size) {
    return fail("XOR-MAPPED-ADDRESS: " + std::to_string(value.size()) + " bytes for family " +
                std::to_string(family));
  }
  address.port = static_cast<std::uint16_t>(read_u16(value.data() + 2) ^ (kStunMagicCookie >> 16));
  const auto mask = stun_xor_mask(transaction);
  for (std::size_t i = 0; i < size; ++i) {
    address.address[i] = static_cast<std::uint8_t>(value[4 + i] ^ mask[i]);
  }
  return address;
}

Result<StunErrorCode, std::string> stun_read_error_code(std::span<const std::uint8_t> value) {
  //   Reserved (21 bits) | Class (3 bits) | Number (8 bits) | Reason Phrase (UTF-8)
  if (value.size() < 4) return fail("ERROR-CODE: shorter than 4 bytes");
  if (value.size() > 4 + kStunMaxReason) return fail("ERROR-CODE: reason over 763 bytes");
  const int error_class = value[2] & 0x07;
  const int number = value[3];
  if (error_class < 3 || error_class > 6 || number > 99) {
    return fail("ERROR-CODE: class " + std::to_string(error_class) + " number " +
                std::to_string(number) + " is not a code 300..699");
  }
  return StunErrorCode{error_class * 100 + number, std::string(value.begin() + 4, value.end())};
}

std::string stun_attribute_name(std::uint16_t type) {
  char text[8];
  static constexpr char kHex[] = "0123456789abcdef";
  text[0] = '0';
  text[1] = 'x';
  for (int i = 0; i < 4; ++i)
    text[2 + i] = kHex[(type >> (12 - 4 * i)) & 0xf];
  return std::string(text, 6);
}

// Reads one attribute we know into `message`; an error for a wrong size or value.
std::optional<std::string> stun_read_known(std::uint16_t type, std::span<const std::uint8_t> value,
                                           StunMessage& message, bool& known) {
  namespace attr = stun_attribute;
  known = true;
  switch (type) {
    case attr::kUsername:
      if (value.size() > kStunMaxUsername) return "USERNAME: over 512 bytes";
      if (!message.username) message.username.emplace(value.begin(), value.end());
      return std::nullopt;
    case attr::kPriority:
      if (value.size() != 4) return "PRIORITY: not 4 bytes";
      if (!message.priority) message.priority = read_u32(value.data());
      return std::nullopt;
    case attr::kUseCandidate:
      if (!value.empty()) return "USE-CANDIDATE: not empty";
      message.use_candidate = true;
      return std::nullopt;
    case attr::kIceControlled:
      if (value.size() != 8) return "ICE-CONTROLLED: not 8 bytes";
      if (!message.ice_controlled) message.ice_controlled = read_u64(value.data());
      return std::nullopt;
    case attr::kIceControlling:
      if (value.size() != 8) return "ICE-CONTROLLING: not 8 bytes";
      if (!message.ice_controlling) message.ice_controlling = read_u64(value.data());
      return std::nullopt;
    case attr::kXorMappedAddress: {
      auto address = stun_read_xor_address(value, message.transaction);
      if (!address) return address.error();
      if (!message.xor_mapped_address) message.xor_mapped_address = *address;
      return std::nullopt;
    }
    case attr::kErrorCode: {
      auto error = stun_read_error_code(value);
      if (!error) return error.error();
      if (!message.error) message.error = std::move(*error);
      return std::nullopt;
    }
    case attr::kUnknownAttributes:
      if (value.size() % 2 != 0) return "UNKNOWN-ATTRIBUTES: odd length";
      for (std::size_t i = 0; i < value.size(); i += 2) {
        message.unknown_attributes.push_back(read_u16(value.data() + i));
      }
      return std::nullopt;
    case attr::kMessageIntegrity:
      if (value.size() != kStunIntegritySize) return "MESSAGE-INTEGRITY: not 20 bytes";
      return std::nullopt;
    case attr::kFingerprint:
      if (value.size() != kStunFingerprintSize) return "FINGERPRINT: not 4 bytes";
      return std::nullopt;
    // Known and not needed: an old server's MAPPED-ADDRESS, SOFTWARE.
    case attr::kMappedAddress:
    case attr::kSoftware:
      return std::nullopt;
    default:
      known = false;
      return std::nullopt;
  }
}

// HMAC-SHA1 over `header` (the 20 bytes with the adjusted length) then `body`.
bool stun_hmac_sha1(std::span<const std::uint8_t> header, std::span<const std::uint8_t> body,
                    std::string_view key, std::array<std::uint8_t, kStunIntegritySize>& out) {
  // The algorithm object is fetched once per process (fetching costs a provider lookup); a
  // context per call keeps the function safe from any thread.
  static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (mac == nullptr) return false;
  const std::unique_ptr<EVP_MAC_CTX, decltype(&EVP_MAC_CTX_free)> context(EVP_MAC_CTX_new(mac),
                                                                          &EVP_MAC_CTX_free);
  if (!context) return false;
  char digest[] = "SHA1";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_END};
  // An empty key is legal HMAC input, but OpenSSL wants a non-null pointer.
  static constexpr unsigned char kEmpty = 0;
  const auto* key_bytes =
      key.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(key.data());
  std::size_t written = 0;
  return EVP_MAC_init(context.get(), key_bytes, key.size(), params) == 1 &&
         EVP_MAC_update(context.get(), header.data(), header.size()) == 1 &&
         EVP_MAC_update(context.get(), body.data(), body.size()) == 1 &&
         EVP_MAC_final(context.get(), out.data(), &written, out.size()) == 1 &&
         written == out.size();
}

std::uint32_t stun_crc32(std::span<const std::uint8_t> bytes) {
  // zlib's crc32 is the ISO-HDLC CRC-32 that RFC 8489 §14.7 names (the one of ITU V.42).
  uLong crc = crc32(0L, Z_NULL, 0);
  std::size_t offset = 0;
  while (offset < bytes.size()) {
    const auto chunk = static_cast<uInt>(std::min<std::size_t>(bytes.size() - offset, 1u << 30));
    crc = crc32(crc, bytes.data() + offset, chunk);
    offset += chunk;
  }
  return static_cast<std::uint32_t>(crc);
}

// The integrity over a message whose attributes up to MESSAGE-INTEGRITY are raw[20, offset).
bool stun_integrity_of(std::span<const std::uint8_t> raw, std::size_t offset, std::string_view key,
                       std::array<std::uint8_t, kStunIntegritySize>& out) {
  std::array<std::uint8_t, kStunHeaderSize> header;
  std::copy_n(raw.begin(), kStunHeaderSize, header.begin());
  const std::size_t length =
      offset + kStunAttributeHeaderSize + kStunIntegritySize - kStunHeaderSize;
  write_u16(header.data() + 2, static_cast<std::uint16_t>(length));
  return stun_hmac_sha1(header, raw.subspan(kStunHeaderSize, offset - kStunHeaderSize), key, out);
}

}  // namespace

std::uint16_t StunMessage::method() const {
  // M11..M7 at bits 13..9, M6..M4 at bits 7..5, M3..M0 at bits 3..0 (RFC 8489 §5).
  return static_cast<std::uint16_t>((type & 0x000F) | ((type & 0x00E0) >> 1) |
                                    ((type & 0x3E00) >> 2));
}

bool looks_like_stun(std::span<const std::uint8_t> datagram) {
  return datagram.size() >= kStunHeaderSize && datagram[0] <= 3 &&
         read_u32(datagram.data() + 4) == kStunMagicCookie;
}

Result<StunMessage, std::string> parse_stun(std::span<const std::uint8_t> datagram) {
  if (datagram.size() < kStunHeaderSize) {
    return fail("STUN: " + std::to_string(datagram.size()) + " bytes, shorter than the header");
  }
  const std::uint8_t* p = datagram.data();
  if ((p[0] & 0xC0) != 0) return fail("STUN: the two leading bits are not zero");
  if (read_u32(p + 4) != kStunMagicCookie) return fail("STUN: no magic cookie");
  const std::size_t length = read_u16(p + 2);
  if (length % 4 != 0)
    return fail("STUN: length " + std::to_string(length) + " not a multiple of 4");
  if (length != datagram.size() - kStunHeaderSize) {
    return fail("STUN: header length " + std::to_string(length) + " but " +
                std::to_string(datagram.size() - kStunHeaderSize) + " bytes follow the header");
  }
  StunMessage message;
  message.type = read_u16(p);
  std::copy_n(p + 8, message.transaction.size(), message.transaction.begin());

  std::size_t offset = kStunHeaderSize;
  while (offset < datagram.size()) {
    if (message.fingerprint_offset != 0) return fail("STUN: an attribute after FINGERPRINT");
    if (datagram.size() - offset < kStunAttributeHeaderSize) {
      return fail("STUN: truncated attribute header at byte " + std::to_string(offset));
    }
    const std::uint16_t type = read_u16(p + offset);
    const std::size_t value_size = read_u16(p + offset + 2);
    const std::size_t value_offset = offset + kStunAttributeHeaderSize;
    if (stun_padded(value_size) > datagram.size() - value_offset) {
      return fail("STUN: attribute " + stun_attribute_name(type) + " of " +
                  std::to_string(value_size) + " bytes runs past the message");
    }
    if (message.integrity_offset != 0 && type != stun_attribute::kFingerprint) {
      return fail("STUN: attribute " + stun_attribute_name(type) +
                  " after MESSAGE-INTEGRITY (only FINGERPRINT may follow it)");
    }
    bool known = false;
    const auto value = datagram.subspan(value_offset, value_size);
    if (auto error = stun_read_known(type, value, message, known)) return fail(std::move(*error));
    if (type == stun_attribute::kMessageIntegrity) message.integrity_offset = offset;
    if (type == stun_attribute::kFingerprint) message.fingerprint_offset = offset;
    if (!known && stun_comprehension_required(type)) message.unknown_required.push_back(type);
    offset = value_offset + stun_padded(value_size);
  }
  return message;
}

bool check_message_integrity(std::span<const std::uint8_t> raw, const StunMessage& message,
                             std::string_view key) {
  const std::size_t offset = message.integrity_offset;
  if (offset < kStunHeaderSize ||
      raw.size() < offset + kStunAttributeHeaderSize + kStunIntegritySize) {
    return false;
  }
  if (read_u16(raw.data() + offset) != stun_attribute::kMessageIntegrity ||
      read_u16(raw.data() + offset + 2) != kStunIntegritySize) {
    return false;
  }
  std::array<std::uint8_t, kStunIntegritySize> expected;
  if (!stun_integrity_of(raw, offset, key, expected)) return false;
  return CRYPTO_memcmp(expected.data(), raw.data() + offset + kStunAttributeHeaderSize,
                       expected.size()) == 0;
}

bool check_fingerprint(std::span<const std::uint8_t> raw, const StunMessage& message) {
  const std::size_t offset = message.fingerprint_offset;
  if (offset < kStunHeaderSize ||
      raw.size() != offset + kStunAttributeHeaderSize + kStunFingerprintSize) {
    return false;
  }
  if (read_u16(raw.data() + offset) != stun_attribute::kFingerprint ||
      read_u16(raw.data() + offset + 2) != kStunFingerprintSize) {
    return false;
  }
  const std::uint32_t expected = stun_crc32(raw.first(offset)) ^ kStunFingerprintXor;
  return read_u32(raw.data() + offset + kStunAttributeHeaderSize) == expected;
}

StunTransactionId random_transaction_id() {
  StunTransactionId id{};
  // RAND_bytes fails only when the OS has no entropy to give: nothing sensible to continue with.
  [[maybe_unused]] const int ok = RAND_bytes(id.data(), static_cast<int>(id.size()));
  assert(ok == 1);
  return id;
}

StunBuilder::StunBuilder(std::uint16_t type, const StunTransactionId& transaction)
    : type_(type), transaction_(transaction) {}

StunBuilder& StunBuilder::add_attribute(std::uint16_t type, std::span<const std::uint8_t> value) {
  assert(value.size() <= 0xFFFF);
  const std::size_t start = attributes_.size();
  attributes_.resize(start + kStunAttributeHeaderSize + stun_padded(value.size()), 0);
  write_u16(attributes_.data() + start, type);
  write_u16(attributes_.data() + start + 2, static_cast<std::uint16_t>(value.size()));
  std::copy(value.begin(), value.end(),
            attributes_.begin() + static_cast<std::ptrdiff_t>(start + kStunAttributeHeaderSize));
  return *this;
}

StunBuilder& StunBuilder::add_username(std::string_view username) {
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(username.data());
  return add_attribute(stun_attribute::kUsername, {bytes, username.size()});
}

StunBuilder& StunBuilder::add_priority(std::uint32_t priority) {
  std::array<std::uint8_t, 4> value;
  write_u32(value.data(), priority);
  return add_attribute(stun_attribute::kPriority, value);
}

StunBuilder& StunBuilder::add_use_candidate() {
  return add_attribute(stun_attribute::kUseCandidate, {});
}

StunBuilder& StunBuilder::add_ice_controlling(std::uint64_t tie_breaker) {
  std::array<std::uint8_t, 8> value;
  write_u64(value.data(), tie_breaker);
  return add_attribute(stun_attribute::kIceControlling, value);
}

StunBuilder& StunBuilder::add_ice_controlled(std::uint64_t tie_breaker) {
  std::array<std::uint8_t, 8> value;
  write_u64(value.data(), tie_breaker);
  return add_attribute(stun_attribute::kIceControlled, value);
}

StunBuilder& StunBuilder::add_xor_mapped_address(const StunAddress& address) {
  std::array<std::uint8_t, 20> value{};
  const std::size_t size = address.ipv6 ? 16 : 4;
  value[1] = address.ipv6 ? 0x02 : 0x01;
  write_u16(value.data() + 2, static_cast<std::uint16_t>(address.port ^ (kStunMagicCookie >> 16)));
  const auto mask = stun_xor_mask(transaction_);
  for (std::size_t i = 0; i < size; ++i) {
    value[4 + i] = static_cast<std::uint8_t>(address.address[i] ^ mask[i]);
  }
  return add_attribute(stun_attribute::kXorMappedAddress,
                       std::span<const std::uint8_t>(value.data(), 4 + size));
}

StunBuilder& StunBuilder::add_error_code(int code, std::string_view reason) {
  assert(code >= 300 && code <= 699);
  const std::string_view cut = reason.substr(0, kStunMaxReason);
  std::vector<std::uint8_t> value(4 + cut.size(), 0);
  value[2] = static_cast<std::uint8_t>(code / 100);
  value[3] = static_cast<std::uint8_t>(code % 100);
  std::copy(cut.begin(), cut.end(), value.begin() + 4);
  return add_attribute(stun_attribute::kErrorCode, value);
}

StunBuilder& StunBuilder::add_unknown_attributes(std::span<const std::uint16_t> types) {
  std::vector<std::uint8_t> value(types.size() * 2);
  for (std::size_t i = 0; i < types.size(); ++i)
    write_u16(value.data() + 2 * i, types[i]);
  return add_attribute(stun_attribute::kUnknownAttributes, value);
}

std::vector<std::uint8_t> StunBuilder::finish(std::optional<std::string_view> integrity_key,
                                              bool fingerprint) const {
  std::vector<std::uint8_t> out(kStunHeaderSize);
  out.reserve(kStunHeaderSize + attributes_.size() + 24 + 8);
  write_u16(out.data(), type_);
  write_u32(out.data() + 4, kStunMagicCookie);
  std::copy(transaction_.begin(), transaction_.end(), out.begin() + 8);
  out.insert(out.end(), attributes_.begin(), attributes_.end());
  if (integrity_key) {
    const std::size_t offset = out.size();
    std::array<std::uint8_t, kStunIntegritySize> mac{};
    [[maybe_unused]] const bool ok = stun_integrity_of(out, offset, *integrity_key, mac);
    assert(ok);  // HMAC-SHA1 is always available in OpenSSL's default provider
    out.resize(offset + kStunAttributeHeaderSize);
    write_u16(out.data() + offset, stun_attribute::kMessageIntegrity);
    write_u16(out.data() + offset + 2, kStunIntegritySize);
    out.insert(out.end(), mac.begin(), mac.end());
  }
  if (fingerprint) {
    const std::size_t offset = out.size();
    out.resize(offset + kStunAttributeHeaderSize + kStunFingerprintSize);
    // The length covers the FINGERPRINT attribute before the CRC is taken (RFC 8489 §14.7).
    write_u16(out.data() + 2, static_cast<std::uint16_t>(out.size() - kStunHeaderSize));
    write_u16(out.data() + offset, stun_attribute::kFingerprint);
    write_u16(out.data() + offset + 2, kStunFingerprintSize);
    const std::uint32_t crc =
        stun_crc32(std::span<const std::uint8_t>(out).first(offset)) ^ kStunFingerprintXor;
    write_u32(out.data() + offset + kStunAttributeHeaderSize, crc);
  }
  write_u16(out.data() + 2, static_cast<std::uint16_t>(out.size() - kStunHeaderSize));
  return out;
}

std::vector<std::uint8_t> binding_success(const StunMessage& request, const StunAddress& mapped,
                                          std::string_view password) {
  return StunBuilder(kBindingSuccess, request.transaction)
      .add_xor_mapped_address(mapped)
      .finish(password, true);
}

std::vector<std::uint8_t> binding_error(const StunMessage& request, int code,
                                        std::string_view reason,
                                        std::optional<std::string_view> password) {
  StunBuilder builder(kBindingError, request.transaction);
  builder.add_error_code(code, reason);
  if (code == stun_error::kUnknownAttribute && !request.unknown_required.empty()) {
    builder.add_unknown_attributes(request.unknown_required);
  }
  return builder.finish(password, true);
}

std::vector<std::uint8_t> binding_request(const BindingRequestOptions& options) {
  StunBuilder builder(kBindingRequest, options.transaction);
  builder.add_username(options.username).add_priority(options.priority);
  if (options.ice_controlling) builder.add_ice_controlling(*options.ice_controlling);
  if (options.ice_controlled) builder.add_ice_controlled(*options.ice_controlled);
  if (options.use_candidate) builder.add_use_candidate();
  return builder.finish(std::string_view(options.password), true);
}

}  // namespace callcast::ice
