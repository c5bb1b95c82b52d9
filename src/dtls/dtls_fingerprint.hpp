#pragma once
// Certificate fingerprints as SDP carries them (RFC 8122 §5, `a=fingerprint:sha-256 <value>`):
// the SHA-256 of the DER certificate, 32 bytes as two-digit hex separated by colons. A WebRTC peer
// signs its DTLS handshake with a self-signed certificate; this value, learnt over the signalling
// channel, is what authenticates it (RFC 8827 §6.5).
#include <openssl/types.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace callcast::dtls {

using Sha256Digest = std::array<std::uint8_t, 32>;

// Upper-case hex with colons: "AB:01:...". What we write after `a=fingerprint:sha-256 `.
std::string format_fingerprint(const Sha256Digest& digest);

// Parses the value of a sha-256 fingerprint (without the "sha-256 " hash name). Hex digits in
// either case (RFC 8122 says upper case; browsers send upper case, hand-written SDP may not).
// Untrusted input: anything but exactly 32 colon-separated bytes is refused.
Result<Sha256Digest, std::string> parse_fingerprint(std::string_view text);

// SHA-256 over the certificate's DER encoding; nullopt only when OpenSSL cannot encode it.
std::optional<Sha256Digest> certificate_sha256(const X509* certificate);

}  // namespace callcast::dtls
