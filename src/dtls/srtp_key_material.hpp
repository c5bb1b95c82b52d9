#pragma once
// What a DTLS-SRTP handshake hands to SRTP (RFC 5764 §4.2): the negotiated protection profile and
// one master key + master salt per direction, each as libsrtp wants it (key, then salt).
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace callcast::dtls {

// The two profiles offered in use_srtp (RFC 5764 §4.1.2, RFC 7714 §14.2), in order of preference.
enum class SrtpProfile {
  aes128_cm_sha1_80,  // SRTP_AES128_CM_HMAC_SHA1_80: 16-byte key, 14-byte salt, 10-byte tag
  aead_aes_128_gcm,   // SRTP_AEAD_AES_128_GCM: 16-byte key, 12-byte salt, 16-byte tag
};

constexpr std::string_view to_string(SrtpProfile profile) {
  return profile == SrtpProfile::aead_aes_128_gcm ? "SRTP_AEAD_AES_128_GCM"
                                                  : "SRTP_AES128_CM_SHA1_80";
}

constexpr std::size_t master_key_length(SrtpProfile) {
  return 16;
}
constexpr std::size_t master_salt_length(SrtpProfile profile) {
  return profile == SrtpProfile::aead_aes_128_gcm ? 12 : 14;
}

struct SrtpKeyMaterial {
  SrtpProfile profile = SrtpProfile::aes128_cm_sha1_80;
  // Ours protects what we send; the remote one unprotects what we receive. Each is
  // master key || master salt (master_key_length + master_salt_length bytes).
  std::vector<std::uint8_t> local_master_key_salt;
  std::vector<std::uint8_t> remote_master_key_salt;
};

// Bytes the TLS exporter gives for RFC 5764 §4.2, per profile: both keys and both salts.
constexpr std::size_t srtp_exporter_length(SrtpProfile profile) {
  return 2 * (master_key_length(profile) + master_salt_length(profile));
}

// Splits the "EXTRACTOR-dtls_srtp" exporter output (srtp_exporter_length bytes, laid out as
// client key | server key | client salt | server salt) into our keys and the peer's.
// `material` must be exactly srtp_exporter_length(profile) bytes (asserted).
SrtpKeyMaterial srtp_key_material_from_exporter(SrtpProfile profile, bool local_is_client,
                                                std::span<const std::uint8_t> material);

}  // namespace callcast::dtls
