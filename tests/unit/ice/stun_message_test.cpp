#include "ice/stun_message.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace callcast::ice::stun_message_test {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes from_hex(std::string_view hex) {
  Bytes out;
  int high = -1;
  for (const char c : hex) {
    int nibble = -1;
    if (c >= '0' && c <= '9') nibble = c - '0';
    if (c >= 'a' && c <= 'f') nibble = c - 'a' + 10;
    if (nibble < 0) continue;
    if (high < 0) {
      high = nibble;
    } else {
      out.push_back(static_cast<std::uint8_t>(high * 16 + nibble));
      high = -1;
    }
  }
  return out;
}

// RFC 5769 test vectors, transcribed from the RFC's hex dumps.
constexpr std::string_view kPassword = "VOkJxbRl1RmTxUk/WvJxBt";

// §2.1 Sample Request: SOFTWARE, PRIORITY, ICE-CONTROLLED, USERNAME "evtj:h6vY" (padded with
// spaces), MESSAGE-INTEGRITY, FINGERPRINT.
const Bytes kSampleRequest = from_hex(
    "00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"
    "80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74"
    "00 24 00 04 6e 00 01 ff"
    "80 29 00 08 93 2f f9 b1 51 26 3b 36"
    "00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20"
    "00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2"
    "80 28 00 04 e5 7a 3b cf");

// §2.2 Sample IPv4 Response: XOR-MAPPED-ADDRESS 192.0.2.1 port 32853.
const Bytes kSampleIpv4Response = from_hex(
    "01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"
    "80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20"
    "00 20 00 08 00 01 a1 47 e1 12 a6 43"
    "00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7"
    "80 28 00 04 c0 7d 4c 96");

// §2.3 Sample IPv6 Response: XOR-MAPPED-ADDRESS 2001:db8:1234:5678:11:2233:4455:6677 port 32853.
const Bytes kSampleIpv6Response = from_hex(
    "01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"
    "80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20"
    "00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9"
    "00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41"
    "80 28 00 04 c8 fb 0b 4c");

// §2.4 Sample Request with Long-Term Authentication: USERNAME (U+30DE U+30C8 U+30EA U+30C3
// U+30AF U+30B9), NONCE, REALM "example.org", MESSAGE-INTEGRITY, no FINGERPRINT. Zero padding,
// so the builder can reproduce it byte for byte.
const Bytes kSampleLongTermRequest = from_hex(
    "00 01 00 60 21 12 a4 42 78 ad 34 33 c6 ad 72 c0 29 da 41 2e"
    "00 06 00 12 e3 83 9e e3 83 88 e3 83 aa e3 83 83 e3 82 af e3 82 b9 00 00"
    "00 15 00 1c 66 2f 2f 34 39 39 6b 39 35 34 64 36 4f 4c 33 34 6f 4c 39 46 53 54 76 79 36 34 73 "
    "41"
    "00 14 00 0b 65 78 61 6d 70 6c 65 2e 6f 72 67 00"
    "00 08 00 14 f6 70 24 65 6d d6 4a 3e 02 b8 e0 71 2e 85 c9 a2 8c a8 96 66");
const std::string kLongTermUsername =
    "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf\xe3\x82\xb9";
constexpr std::uint16_t kNonce = 0x0015;
constexpr std::uint16_t kRealm = 0x0014;

// RFC 8489 §9.2.2: the long-term key is MD5(username ":" realm ":" SASLprep(password)); the
// vector's password SASLpreps to "TheMatrIX".
std::string long_term_key() {
  const std::string input = kLongTermUsername + ":example.org:TheMatrIX";
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EXPECT_EQ(EVP_Digest(input.data(), input.size(), digest, &size, EVP_md5(), nullptr), 1);
  return std::string(reinterpret_cast<const char*>(digest), size);
}

const StunTransactionId kRfcTransaction = {0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
                                           0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};

StunAddress ipv4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d,
                 std::uint16_t port) {
  StunAddress address;
  address.address[0] = a;
  address.address[1] = b;
  address.address[2] = c;
  address.address[3] = d;
  address.port = port;
  return address;
}

StunAddress rfc_ipv6_address() {
  StunAddress address;
  address.ipv6 = true;
  const Bytes bytes = from_hex("20 01 0d b8 12 34 56 78 00 11 22 33 44 55 66 77");
  std::copy(bytes.begin(), bytes.end(), address.address.begin());
  address.port = 32853;
  return address;
}

StunMessage parsed(const Bytes& bytes) {
  auto message = parse_stun(bytes);
  EXPECT_TRUE(message.ok()) << message.error();
  return message.ok() ? *message : StunMessage{};
}

std::string parse_error(const Bytes& bytes) {
  auto message = parse_stun(bytes);
  return message.ok() ? std::string("(parsed)") : message.error();
}

// A header of `type` with the length of `attributes`, then the attributes as given.
Bytes message_with(const Bytes& attributes, std::uint16_t type = kBindingRequest) {
  Bytes out = {static_cast<std::uint8_t>(type >> 8), static_cast<std::uint8_t>(type),
               static_cast<std::uint8_t>(attributes.size() >> 8),
               static_cast<std::uint8_t>(attributes.size())};
  const Bytes cookie_and_id = from_hex("21 12 a4 42 01 02 03 04 05 06 07 08 09 0a 0b 0c");
  out.insert(out.end(), cookie_and_id.begin(), cookie_and_id.end());
  out.insert(out.end(), attributes.begin(), attributes.end());
  return out;
}

// ---- RFC 5769: golden bytes -> parse, and the hashes.

TEST(StunMessage, SampleRequestParsesWithItsIceAttributes) {
  const StunMessage message = parsed(kSampleRequest);
  EXPECT_TRUE(message.is_binding_request());
  EXPECT_EQ(message.method(), 1);
  EXPECT_EQ(message.transaction, kRfcTransaction);
  EXPECT_EQ(message.username, "evtj:h6vY");
  EXPECT_EQ(message.priority, 0x6e0001ffu);
  EXPECT_EQ(message.ice_controlled, 0x932ff9b151263b36u);
  EXPECT_FALSE(message.ice_controlling);
  EXPECT_FALSE(message.use_candidate);
  EXPECT_TRUE(message.unknown_required.empty());
  EXPECT_EQ(message.integrity_offset, 20u + 20 + 8 + 12 + 16);
  EXPECT_EQ(message.fingerprint_offset, message.integrity_offset + 24);
}

TEST(StunMessage, SampleRequestIntegrityAndFingerprintVerify) {
  const StunMessage message = parsed(kSampleRequest);
  EXPECT_TRUE(check_message_integrity(kSampleRequest, message, kPassword));
  EXPECT_TRUE(check_fingerprint(kSampleRequest, message));
  EXPECT_FALSE(check_message_integrity(kSampleRequest, message, "VOkJxbRl1RmTxUk/WvJxBT"));
  EXPECT_FALSE(check_message_integrity(kSampleRequest, message, ""));
}

TEST(StunMessage, SampleIpv4ResponseDecodesXorMappedAddress) {
  const StunMessage message = parsed(kSampleIpv4Response);
  EXPECT_TRUE(message.is_binding_success());
  EXPECT_TRUE(message.is_success_response());
  ASSERT_TRUE(message.xor_mapped_address);
  EXPECT_EQ(*message.xor_mapped_address, ipv4(192, 0, 2, 1, 32853));
  EXPECT_TRUE(check_message_integrity(kSampleIpv4Response, message, kPassword));
  EXPECT_TRUE(check_fingerprint(kSampleIpv4Response, message));
}

TEST(StunMessage, SampleIpv6ResponseDecodesXorMappedAddress) {
  const StunMessage message = parsed(kSampleIpv6Response);
  ASSERT_TRUE(message.xor_mapped_address);
  EXPECT_EQ(*message.xor_mapped_address, rfc_ipv6_address());
  EXPECT_TRUE(check_message_integrity(kSampleIpv6Response, message, kPassword));
  EXPECT_TRUE(check_fingerprint(kSampleIpv6Response, message));
}

TEST(StunMessage, LongTermRequestVerifiesUnderTheMd5Key) {
  const StunMessage message = parsed(kSampleLongTermRequest);
  EXPECT_EQ(message.username, kLongTermUsername);
  // NONCE and REALM are comprehension-required and not ICE's: listed for a 420.
  EXPECT_EQ(message.unknown_required, (std::vector<std::uint16_t>{kNonce, kRealm}));
  EXPECT_EQ(message.fingerprint_offset, 0u);
  EXPECT_TRUE(check_message_integrity(kSampleLongTermRequest, message, long_term_key()));
  EXPECT_FALSE(check_message_integrity(kSampleLongTermRequest, message, "TheMatrIX"));
  EXPECT_FALSE(check_fingerprint(kSampleLongTermRequest, message));
}

// ---- build -> golden bytes.

TEST(StunBuilder, ReproducesTheLongTermSampleRequest) {
  const StunTransactionId transaction = {0x78, 0xad, 0x34, 0x33, 0xc6, 0xad,
                                         0x72, 0xc0, 0x29, 0xda, 0x41, 0x2e};
  const std::string nonce = "f//499k954d6OL34oL9FSTvy64sA";
  const std::string realm = "example.org";
  const auto bytes_of = [](const std::string& text) {
    return std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(text.data()),
                                         text.size());
  };
  const std::string key = long_term_key();
  const Bytes built = StunBuilder(kBindingRequest, transaction)
                          .add_username(kLongTermUsername)
                          .add_attribute(kNonce, bytes_of(nonce))
                          .add_attribute(kRealm, bytes_of(realm))
                          .finish(std::string_view(key), false);
  EXPECT_EQ(built, kSampleLongTermRequest);
}

TEST(StunBuilder, XorMappedAddressMatchesTheSampleResponses) {
  // The samples pad SOFTWARE with spaces, which the builder (zero padding) does not reproduce,
  // so the XOR-MAPPED-ADDRESS attributes are compared alone.
  const Bytes v4 = StunBuilder(kBindingSuccess, kRfcTransaction)
                       .add_xor_mapped_address(ipv4(192, 0, 2, 1, 32853))
                       .finish(std::nullopt, false);
  EXPECT_EQ(Bytes(v4.begin() + 20, v4.end()),
            Bytes(kSampleIpv4Response.begin() + 36, kSampleIpv4Response.begin() + 48));
  const Bytes v6 = StunBuilder(kBindingSuccess, kRfcTransaction)
                       .add_xor_mapped_address(rfc_ipv6_address())
                       .finish(std::nullopt, false);
  EXPECT_EQ(Bytes(v6.begin() + 20, v6.end()),
            Bytes(kSampleIpv6Response.begin() + 36, kSampleIpv6Response.begin() + 60));
}

TEST(StunBuilder, FingerprintAfterIntegrityKeepsTheIntegrityValid) {
  // MESSAGE-INTEGRITY is computed with the length ending at it; FINGERPRINT then grows the
  // length, and the check must undo that (RFC 8489 §14.5).
  const StunMessage sample = parsed(kSampleLongTermRequest);
  const std::string nonce = "f//499k954d6OL34oL9FSTvy64sA";
  const std::string key = long_term_key();
  const Bytes built =
      StunBuilder(kBindingRequest, sample.transaction)
          .add_username(kLongTermUsername)
          .add_attribute(kNonce,
                         std::span<const std::uint8_t>(
                             reinterpret_cast<const std::uint8_t*>(nonce.data()), nonce.size()))
          .finish(std::string_view(key), true);
  const StunMessage message = parsed(built);
  EXPECT_NE(message.fingerprint_offset, 0u);
  EXPECT_TRUE(check_message_integrity(built, message, key));
  EXPECT_TRUE(check_fingerprint(built, message));
}

// ---- round trips.

TEST(StunBuilder, BindingRequestRoundTrips) {
  BindingRequestOptions options;
  options.username = "srv1:brws";
  options.password = "a-password-of-22-chars";
  options.priority = 0x7e7fff00;
  options.ice_controlling = 0x0102030405060708;
  options.use_candidate = true;
  options.transaction = random_transaction_id();
  const Bytes bytes = binding_request(options);
  const StunMessage message = parsed(bytes);
  EXPECT_TRUE(message.is_binding_request());
  EXPECT_EQ(message.transaction, options.transaction);
  EXPECT_EQ(message.username, options.username);
  EXPECT_EQ(message.priority, options.priority);
  EXPECT_EQ(message.ice_controlling, options.ice_controlling);
  EXPECT_FALSE(message.ice_controlled);
  EXPECT_TRUE(message.use_candidate);
  EXPECT_TRUE(check_message_integrity(bytes, message, options.password));
  EXPECT_TRUE(check_fingerprint(bytes, message));
  EXPECT_TRUE(looks_like_stun(bytes));
}

TEST(StunBuilder, BindingSuccessRoundTripsBothFamilies) {
  const StunMessage request = parsed(kSampleRequest);
  for (const StunAddress& address : {ipv4(10, 1, 2, 3, 5004), rfc_ipv6_address()}) {
    const Bytes bytes = binding_success(request, address, kPassword);
    const StunMessage response = parsed(bytes);
    EXPECT_TRUE(response.is_binding_success());
    EXPECT_EQ(response.transaction, request.transaction);
    EXPECT_EQ(response.xor_mapped_address, address);
    EXPECT_TRUE(check_message_integrity(bytes, response, kPassword));
    EXPECT_TRUE(check_fingerprint(bytes, response));
  }
}

TEST(StunBuilder, BindingErrorCarriesCodeReasonAndUnknownAttributes) {
  const StunMessage request = parsed(kSampleLongTermRequest);
  const Bytes bytes = binding_error(request, stun_error::kUnknownAttribute, "Unknown", kPassword);
  const StunMessage response = parsed(bytes);
  EXPECT_TRUE(response.is_binding_error());
  EXPECT_TRUE(response.is_error_response());
  ASSERT_TRUE(response.error);
  EXPECT_EQ(response.error->code, 420);
  EXPECT_EQ(response.error->reason, "Unknown");
  EXPECT_EQ(response.unknown_attributes, (std::vector<std::uint16_t>{kNonce, kRealm}));
  EXPECT_TRUE(check_message_integrity(bytes, response, kPassword));
  EXPECT_TRUE(check_fingerprint(bytes, response));
}

TEST(StunBuilder, BindingErrorWithoutPasswordHasNoIntegrity) {
  const StunMessage request = parsed(kSampleRequest);
  const Bytes bytes =
      binding_error(request, stun_error::kUnauthorized, "Unauthorized", std::nullopt);
  const StunMessage response = parsed(bytes);
  EXPECT_EQ(response.integrity_offset, 0u);
  EXPECT_TRUE(response.unknown_attributes.empty());
  EXPECT_TRUE(check_fingerprint(bytes, response));
  EXPECT_FALSE(check_message_integrity(bytes, response, kPassword));
  ASSERT_TRUE(response.error);
  EXPECT_EQ(response.error->code, 401);
}

TEST(StunBuilder, ErrorReasonIsCutTo763Bytes) {
  const Bytes bytes = StunBuilder(kBindingError, kRfcTransaction)
                          .add_error_code(699, std::string(1000, 'x'))
                          .finish(std::nullopt, false);
  const StunMessage response = parsed(bytes);
  ASSERT_TRUE(response.error);
  EXPECT_EQ(response.error->code, 699);
  EXPECT_EQ(response.error->reason.size(), 763u);
}

TEST(StunBuilder, RandomTransactionIdsDiffer) {
  EXPECT_NE(random_transaction_id(), random_transaction_id());
}

// ---- demultiplexing and the message type.

TEST(StunMessage, LooksLikeStunFollowsRfc7983) {
  EXPECT_TRUE(looks_like_stun(kSampleRequest));
  EXPECT_TRUE(looks_like_stun(kSampleIpv4Response));
  Bytes bytes = kSampleRequest;
  bytes[0] = 4;  // past STUN's range (0..3)
  EXPECT_FALSE(looks_like_stun(bytes));
  bytes[0] = 22;  // DTLS handshake
  EXPECT_FALSE(looks_like_stun(bytes));
  bytes[0] = 0x80;  // RTP
  EXPECT_FALSE(looks_like_stun(bytes));
  bytes = kSampleRequest;
  bytes[4] ^= 1;  // magic cookie
  EXPECT_FALSE(looks_like_stun(bytes));
  EXPECT_FALSE(looks_like_stun(std::span<const std::uint8_t>(kSampleRequest).first(19)));
}

TEST(StunMessage, MethodAndClassComeApartFromTheType) {
  StunMessage message;
  message.type = 0x3EEF;  // method 0xFFF, class request
  EXPECT_EQ(message.method(), 0xFFF);
  EXPECT_TRUE(message.is_request());
  message.type = kBindingIndication;
  EXPECT_TRUE(message.is_indication());
  EXPECT_EQ(message.method(), 1);
  EXPECT_FALSE(message.is_binding_request());
}

// ---- every malformed-input rule.

TEST(StunParse, RejectsShorterThanTheHeader) {
  EXPECT_NE(parse_error(Bytes(kSampleRequest.begin(), kSampleRequest.begin() + 19))
                .find("shorter than the header"),
            std::string::npos);
  EXPECT_FALSE(parse_stun({}).ok());
}

TEST(StunParse, RejectsLeadingBitsSet) {
  Bytes bytes = kSampleRequest;
  bytes[0] |= 0x40;
  EXPECT_NE(parse_error(bytes).find("leading bits"), std::string::npos);
}

TEST(StunParse, RejectsAWrongMagicCookie) {
  Bytes bytes = kSampleRequest;
  bytes[7] ^= 0x01;
  EXPECT_NE(parse_error(bytes).find("magic cookie"), std::string::npos);
}

TEST(StunParse, RejectsALengthNotAMultipleOfFour) {
  Bytes bytes = message_with(from_hex("00 24 00 04 00 00 00 01"));
  bytes[3] = 7;
  EXPECT_NE(parse_error(bytes).find("not a multiple of 4"), std::string::npos);
}

TEST(StunParse, RejectsAHeaderLengthOtherThanTheDatagram) {
  Bytes longer = kSampleRequest;
  longer.insert(longer.end(), {0, 0, 0, 0});  // trailing bytes the header does not count
  EXPECT_NE(parse_error(longer).find("follow the header"), std::string::npos);
  const Bytes shorter(kSampleRequest.begin(), kSampleRequest.end() - 4);
  EXPECT_NE(parse_error(shorter).find("follow the header"), std::string::npos);
}

TEST(StunParse, RejectsAnAttributeRunningPastTheMessage) {
  // PRIORITY claims 8 bytes, 4 follow.
  EXPECT_NE(parse_error(message_with(from_hex("00 24 00 08 00 00 00 01"))).find("runs past"),
            std::string::npos);
  // A 5-byte SOFTWARE whose padding is missing.
  EXPECT_NE(parse_error(message_with(from_hex("80 22 00 05 61 62 63 64 65 00 00 00 80 22 00 05 "
                                              "61 62 63 64")))
                .find("runs past"),
            std::string::npos);
  // The length's maximum.
  EXPECT_NE(parse_error(message_with(from_hex("80 22 ff ff"))).find("runs past"),
            std::string::npos);
}

TEST(StunParse, RejectsKnownAttributesOfTheWrongSize) {
  const std::pair<const char*, const char*> cases[] = {
      {"00 24 00 03 00 00 01 00", "PRIORITY"},
      {"00 25 00 04 00 00 00 00", "USE-CANDIDATE"},
      {"80 29 00 04 00 00 00 00", "ICE-CONTROLLED"},
      {"80 2a 00 04 00 00 00 00", "ICE-CONTROLLING"},
      {"00 08 00 10 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00", "MESSAGE-INTEGRITY"},
      {"80 28 00 08 00 00 00 00 00 00 00 00", "FINGERPRINT"},
      {"00 20 00 08 00 03 00 00 00 00 00 00", "unknown address family"},
      {"00 20 00 14 00 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
       "XOR-MAPPED-ADDRESS"},
      {"00 20 00 02 00 01 00 00", "XOR-MAPPED-ADDRESS"},
      {"00 09 00 04 00 00 02 00", "ERROR-CODE"},
      {"00 09 00 04 00 00 04 64", "ERROR-CODE"},
      {"00 09 00 02 00 00 00 00", "ERROR-CODE"},
      {"00 0a 00 03 00 01 02 00", "UNKNOWN-ATTRIBUTES"},
  };
  for (const auto& [hex, name] : cases) {
    const std::string error = parse_error(message_with(from_hex(hex)));
    EXPECT_NE(error.find(name), std::string::npos) << hex << " -> " << error;
  }
  Bytes username = from_hex("00 06 02 01");
  username.resize(4 + 516, 'u');
  EXPECT_NE(parse_error(message_with(username)).find("USERNAME"), std::string::npos);
}

TEST(StunParse, RejectsAttributesAfterMessageIntegrityButFingerprint) {
  Bytes after = kSampleLongTermRequest;  // ends with MESSAGE-INTEGRITY
  after.insert(after.end(), {0x00, 0x24, 0x00, 0x04, 0, 0, 0, 1});
  after[3] = static_cast<std::uint8_t>(after.size() - 20);
  EXPECT_NE(parse_error(after).find("after MESSAGE-INTEGRITY"), std::string::npos);
  // Not even an optional one (RFC 8489 §14.5 would have it ignored; ICE peers never send it).
  after[after.size() - 8] = 0x80;
  after[after.size() - 7] = 0x22;
  EXPECT_NE(parse_error(after).find("after MESSAGE-INTEGRITY"), std::string::npos);
}

TEST(StunParse, RejectsAnythingAfterFingerprint) {
  Bytes after = kSampleRequest;
  after.insert(after.end(), {0x80, 0x22, 0x00, 0x00});
  after[3] = static_cast<std::uint8_t>(after.size() - 20);
  EXPECT_NE(parse_error(after).find("after FINGERPRINT"), std::string::npos);
  // FINGERPRINT before MESSAGE-INTEGRITY.
  const Bytes swapped = message_with(from_hex(
      "80 28 00 04 00 00 00 00 00 08 00 14 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 "
      "00 00"));
  EXPECT_NE(parse_error(swapped).find("after FINGERPRINT"), std::string::npos);
}

TEST(StunParse, SkipsUnknownOptionalAndListsUnknownRequired) {
  const StunMessage message =
      parsed(message_with(from_hex("c0 57 00 04 00 01 00 0a"      // GOOG-NETWORK-INFO: optional
                                   "7f 01 00 01 ff 00 00 00"      // unknown, required
                                   "00 24 00 04 00 00 00 09")));  // PRIORITY after them
  EXPECT_EQ(message.unknown_required, (std::vector<std::uint16_t>{0x7f01}));
  EXPECT_EQ(message.priority, 9u);
}

TEST(StunParse, KeepsTheFirstOfRepeatedAttributes) {
  const StunMessage message =
      parsed(message_with(from_hex("00 24 00 04 00 00 00 01 00 24 00 04 00 00 00 02")));
  EXPECT_EQ(message.priority, 1u);
}

TEST(StunParse, AcceptsAnEmptyMessage) {
  const StunMessage message = parsed(message_with({}, kBindingIndication));
  EXPECT_TRUE(message.is_indication());
  EXPECT_EQ(message.integrity_offset, 0u);
  EXPECT_FALSE(check_message_integrity(message_with({}, kBindingIndication), message, kPassword));
  EXPECT_FALSE(check_fingerprint(message_with({}, kBindingIndication), message));
}

// ---- the hashes catch every flipped bit.

TEST(StunIntegrity, FailsOnAnyFlippedBitItCovers) {
  const StunMessage message = parsed(kSampleRequest);
  const std::size_t end = message.integrity_offset + 24;
  for (std::size_t byte = 0; byte < end; ++byte) {
    // The length field is not hashed as sent but as it would be with MESSAGE-INTEGRITY last;
    // parse_stun() checks it against the datagram.
    if (byte == 2 || byte == 3) continue;
    for (int bit = 0; bit < 8; ++bit) {
      Bytes flipped = kSampleRequest;
      flipped[byte] = static_cast<std::uint8_t>(flipped[byte] ^ (1 << bit));
      // Offsets from the intact parse: the check alone must notice.
      EXPECT_FALSE(check_message_integrity(flipped, message, kPassword))
          << "byte " << byte << " bit " << bit;
    }
  }
  // FINGERPRINT after MESSAGE-INTEGRITY is outside it.
  Bytes flipped = kSampleRequest;
  flipped.back() ^= 1;
  EXPECT_TRUE(check_message_integrity(flipped, message, kPassword));
}

TEST(StunFingerprint, FailsOnAnyFlippedBit) {
  const StunMessage message = parsed(kSampleIpv6Response);
  for (std::size_t byte = 0; byte < kSampleIpv6Response.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      Bytes flipped = kSampleIpv6Response;
      flipped[byte] = static_cast<std::uint8_t>(flipped[byte] ^ (1 << bit));
      EXPECT_FALSE(check_fingerprint(flipped, message)) << "byte " << byte << " bit " << bit;
    }
  }
}

TEST(StunIntegrity, RejectsARawBufferThatIsNotTheParsedOne) {
  const StunMessage message = parsed(kSampleRequest);
  const Bytes truncated(kSampleRequest.begin(), kSampleRequest.begin() + 60);
  EXPECT_FALSE(check_message_integrity(truncated, message, kPassword));
  EXPECT_FALSE(check_fingerprint(truncated, message));
  EXPECT_FALSE(check_message_integrity(kSampleIpv4Response, message, kPassword));
  EXPECT_FALSE(check_fingerprint(kSampleIpv4Response, message));
}

}  // namespace
}  // namespace callcast::ice::stun_message_test
