#include "dtls/srtp_session.hpp"

#include <srtp2/srtp.h>

#include <climits>
#include <cstring>

namespace callcast::dtls {
namespace {

std::string_view srtp_status_text(srtp_err_status_t status) {
  switch (status) {
    case srtp_err_status_ok:
      return "ok";
    case srtp_err_status_bad_param:
      return "malformed packet or bad parameter (srtp_err_status_bad_param)";
    case srtp_err_status_alloc_fail:
      return "out of memory (srtp_err_status_alloc_fail)";
    case srtp_err_status_init_fail:
      return "initialisation failed (srtp_err_status_init_fail)";
    case srtp_err_status_auth_fail:
      return "authentication failed (srtp_err_status_auth_fail)";
    case srtp_err_status_cipher_fail:
      return "cipher failed (srtp_err_status_cipher_fail)";
    case srtp_err_status_replay_fail:
      return "replayed packet (srtp_err_status_replay_fail)";
    case srtp_err_status_replay_old:
      return "packet too old for the replay window (srtp_err_status_replay_old)";
    case srtp_err_status_no_ctx:
      return "no context for this SSRC (srtp_err_status_no_ctx)";
    case srtp_err_status_key_expired:
      return "key usage limit reached (srtp_err_status_key_expired)";
    case srtp_err_status_parse_err:
      return "malformed packet (srtp_err_status_parse_err)";
    default:
      return "libsrtp error";
  }
}

std::string srtp_failure(const char* what, srtp_err_status_t status) {
  return std::string(what) + ": " + std::string(srtp_status_text(status)) + " [" +
         std::to_string(static_cast<int>(status)) + "]";
}

// libsrtp's global state (its crypto kernel) is set up once per process, never torn down: the
// sessions of every browser share it.
srtp_err_status_t srtp_library_init() {
  static std::once_flag once;
  static srtp_err_status_t status = srtp_err_status_init_fail;
  std::call_once(once, [] { status = srtp_init(); });
  return status;
}

}  // namespace

struct SrtpSession::Context {
  srtp_t srtp = nullptr;
  ~Context() {
    if (srtp != nullptr) srtp_dealloc(srtp);
  }
};

SrtpSession::SrtpSession(SrtpProfile profile, std::unique_ptr<Context> outbound,
                         std::unique_ptr<Context> inbound)
    : profile_(profile), outbound_(std::move(outbound)), inbound_(std::move(inbound)) {}

SrtpSession::~SrtpSession() = default;

Result<std::unique_ptr<SrtpSession>, std::string> SrtpSession::create(const SrtpKeyMaterial& keys) {
  if (const srtp_err_status_t status = srtp_library_init(); status != srtp_err_status_ok) {
    return fail(srtp_failure("srtp_init", status));
  }
  const std::size_t expected = master_key_length(keys.profile) + master_salt_length(keys.profile);
  if (keys.local_master_key_salt.size() != expected ||
      keys.remote_master_key_salt.size() != expected) {
    return fail(std::string(to_string(keys.profile)) + " needs " + std::to_string(expected) +
                "-byte master key + salt per direction");
  }

  auto make = [&](const std::vector<std::uint8_t>& key_salt, srtp_ssrc_type_t direction,
                  std::unique_ptr<Context>& out) -> srtp_err_status_t {
    srtp_policy_t policy;
    std::memset(&policy, 0, sizeof(policy));
    if (keys.profile == SrtpProfile::aead_aes_128_gcm) {
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
    } else {
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
    }
    policy.ssrc.type = direction;
    // libsrtp copies the key into its own context during srtp_create.
    policy.key = const_cast<unsigned char*>(key_salt.data());
    policy.window_size = kReplayWindow;
    // Outbound only: a NACK repair or a catch-up resend is the same packet with the same
    // sequence number (and the same payload, which is what makes reusing the index safe).
    policy.allow_repeat_tx = direction == ssrc_any_outbound ? 1 : 0;
    policy.next = nullptr;
    out = std::make_unique<Context>();
    return srtp_create(&out->srtp, &policy);
  };
  std::unique_ptr<Context> outbound;
  std::unique_ptr<Context> inbound;
  if (const auto status = make(keys.local_master_key_salt, ssrc_any_outbound, outbound);
      status != srtp_err_status_ok) {
    return fail(srtp_failure("srtp_create (outbound)", status));
  }
  if (const auto status = make(keys.remote_master_key_salt, ssrc_any_inbound, inbound);
      status != srtp_err_status_ok) {
    return fail(srtp_failure("srtp_create (inbound)", status));
  }
  return std::unique_ptr<SrtpSession>(
      new SrtpSession(keys.profile, std::move(outbound), std::move(inbound)));
}

namespace {

// libsrtp takes lengths as int and writes up to the trailer past them.
Result<int, std::string> srtp_checked_length(std::span<std::uint8_t> buffer, std::size_t length,
                                             std::size_t room) {
  if (length > buffer.size() || buffer.size() - length < room) {
    return fail("buffer of " + std::to_string(buffer.size()) + " bytes cannot hold " +
                std::to_string(length) + " + " + std::to_string(room) + " bytes");
  }
  if (length > static_cast<std::size_t>(INT_MAX) - room) return fail("packet too large");
  return static_cast<int>(length);
}

}  // namespace

Result<std::size_t, std::string> SrtpSession::protect_rtp(std::span<std::uint8_t> buffer,
                                                          std::size_t length) {
  auto checked = srtp_checked_length(buffer, length, kMaxTrailer);
  if (!checked) return fail("protect RTP: " + checked.error());
  int size = *checked;
  srtp_err_status_t status;
  {
    std::lock_guard lock(outbound_mutex_);
    status = srtp_protect(outbound_->srtp, buffer.data(), &size);
  }
  if (status != srtp_err_status_ok) return fail(srtp_failure("protect RTP", status));
  return static_cast<std::size_t>(size);
}

Result<std::size_t, std::string> SrtpSession::protect_rtcp(std::span<std::uint8_t> buffer,
                                                           std::size_t length) {
  auto checked = srtp_checked_length(buffer, length, kMaxTrailer);
  if (!checked) return fail("protect RTCP: " + checked.error());
  int size = *checked;
  srtp_err_status_t status;
  {
    std::lock_guard lock(outbound_mutex_);
    status = srtp_protect_rtcp(outbound_->srtp, buffer.data(), &size);
  }
  if (status != srtp_err_status_ok) return fail(srtp_failure("protect RTCP", status));
  return static_cast<std::size_t>(size);
}

Result<std::size_t, std::string> SrtpSession::unprotect_rtp(std::span<std::uint8_t> buffer,
                                                            std::size_t length) {
  auto checked = srtp_checked_length(buffer, length, 0);
  if (!checked) return fail("unprotect RTP: " + checked.error());
  int size = *checked;
  const srtp_err_status_t status = srtp_unprotect(inbound_->srtp, buffer.data(), &size);
  if (status != srtp_err_status_ok) return fail(srtp_failure("unprotect RTP", status));
  return static_cast<std::size_t>(size);
}

Result<std::size_t, std::string> SrtpSession::unprotect_rtcp(std::span<std::uint8_t> buffer,
                                                             std::size_t length) {
  auto checked = srtp_checked_length(buffer, length, 0);
  if (!checked) return fail("unprotect RTCP: " + checked.error());
  int size = *checked;
  const srtp_err_status_t status = srtp_unprotect_rtcp(inbound_->srtp, buffer.data(), &size);
  if (status != srtp_err_status_ok) return fail(srtp_failure("unprotect RTCP", status));
  return static_cast<std::size_t>(size);
}

}  // namespace callcast::dtls
