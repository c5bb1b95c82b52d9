#include "dtls/srtp_session.hpp"

#include <srtp2/srtp.h>

#include <array>
#include <cerrno>
#include <climits>
#include <cstring>

// libre (baresip's base library): SRTP over OpenSSL's EVP ciphers. re_types.h must come first;
// the generic macros its headers define are undone right after (unity builds put other sources
// after this one in the same translation unit).
// clang-format off
extern "C" {
#include <re_types.h>
#include <re_mbuf.h>
#include <re_mem.h>
#include <re_srtp.h>
}
// clang-format on
#undef MIN
#undef MAX
#undef ARRAY_SIZE
#undef ALIGN_MASK
#undef BREAKPOINT

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

// The send direction, on libre. libre keeps one rollover counter per SSRC and derives a packet's
// index from the highest sequence number it has protected. That is right for the live stream and
// for resends from the same cycle, but a resend of a packet from before the sequence number
// wrapped would be given the new cycle's index and would move libre's counter forward for good
// (every later packet of that SSRC would then fail the browser's check). So the highest sequence
// number per SSRC is tracked here too, and such a resend is refused before libre sees it.
struct SrtpSession::Outbound {
  struct srtp* srtp = nullptr;
  struct SequenceFront {
    std::uint32_t ssrc = 0;
    std::uint16_t highest = 0;
  };
  // libre's own limit of streams per context (SRTP_MAX_STREAMS).
  static constexpr std::size_t kMaxStreams = 8;
  std::array<SequenceFront, kMaxStreams> fronts{};
  std::size_t streams = 0;

  ~Outbound() { mem_deref(srtp); }

  // False when `sequence` is older than the SSRC's highest and from before a wrap.
  bool accept(std::uint32_t ssrc, std::uint16_t sequence) {
    for (std::size_t i = 0; i < streams; ++i) {
      SequenceFront& front = fronts[i];
      if (front.ssrc != ssrc) continue;
      const auto ahead =
          static_cast<std::int16_t>(static_cast<std::uint16_t>(sequence - front.highest));
      if (ahead > 0) {
        front.highest = sequence;
        return true;
      }
      return sequence <= front.highest;
    }
    if (streams == kMaxStreams) return true;  // libre refuses it itself (ENOSR)
    fronts[streams++] = {ssrc, sequence};
    return true;
  }
};

SrtpSession::SrtpSession(SrtpProfile profile, std::unique_ptr<Outbound> outbound,
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

  // Receive direction: libsrtp2, for its replay window (kReplayWindow) on what browsers send.
  srtp_policy_t policy;
  std::memset(&policy, 0, sizeof(policy));
  if (keys.profile == SrtpProfile::aead_aes_128_gcm) {
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
  } else {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
  }
  policy.ssrc.type = ssrc_any_inbound;
  // libsrtp copies the key into its own context during srtp_create.
  policy.key = const_cast<unsigned char*>(keys.remote_master_key_salt.data());
  policy.window_size = kReplayWindow;
  policy.next = nullptr;
  auto inbound = std::make_unique<Context>();
  if (const auto status = srtp_create(&inbound->srtp, &policy); status != srtp_err_status_ok) {
    return fail(srtp_failure("srtp_create (inbound)", status));
  }

  // Send direction: libre, whose AES runs on OpenSSL's EVP (AES-NI). Debian's libsrtp2 does its
  // AES through NSS, which costs 2-5 times as much per packet (bench/micro/srtp_protect_bench),
  // and this direction runs once per browser viewer per packet (step 709).
  auto outbound = std::make_unique<Outbound>();
  const srtp_suite suite = keys.profile == SrtpProfile::aead_aes_128_gcm
                               ? SRTP_AES_128_GCM
                               : SRTP_AES_CM_128_HMAC_SHA1_80;
  if (const int err = srtp_alloc(&outbound->srtp, suite, keys.local_master_key_salt.data(),
                                 keys.local_master_key_salt.size(), 0);
      err != 0) {
    return fail("libre srtp_alloc (outbound): " + std::string(std::strerror(err)));
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

namespace {

std::string libre_failure(const char* what, int err) {
  switch (err) {
    case EBADMSG:
      return std::string(what) + ": malformed packet";
    case ENOSR:
      return std::string(what) + ": more SSRCs than one SRTP context holds (8)";
    default:
      return std::string(what) + ": " + std::strerror(err) + " [" + std::to_string(err) + "]";
  }
}

}  // namespace

Result<std::size_t, std::string> SrtpSession::protect_rtp(std::span<std::uint8_t> buffer,
                                                          std::size_t length) {
  auto checked = srtp_checked_length(buffer, length, kMaxTrailer);
  if (!checked) return fail("protect RTP: " + checked.error());
  if (length < 12) return fail("protect RTP: malformed packet");
  const std::uint16_t sequence = static_cast<std::uint16_t>((buffer[2] << 8) | buffer[3]);
  const std::uint32_t ssrc = (std::uint32_t{buffer[8]} << 24) | (std::uint32_t{buffer[9]} << 16) |
                             (std::uint32_t{buffer[10]} << 8) | std::uint32_t{buffer[11]};
  // libre writes its trailer through the mbuf: it must never need to grow (it would realloc
  // memory it does not own), hence the room checked above.
  mbuf mb{buffer.data(), buffer.size(), 0, length};
  int err = 0;
  {
    std::lock_guard lock(outbound_mutex_);
    if (!outbound_->accept(ssrc, sequence)) {
      return fail("protect RTP: a resend from before the sequence number wrapped");
    }
    err = srtp_encrypt(outbound_->srtp, &mb);
  }
  if (err != 0) return fail(libre_failure("protect RTP", err));
  return mb.end;
}

Result<std::size_t, std::string> SrtpSession::protect_rtcp(std::span<std::uint8_t> buffer,
                                                           std::size_t length) {
  auto checked = srtp_checked_length(buffer, length, kMaxTrailer);
  if (!checked) return fail("protect RTCP: " + checked.error());
  mbuf mb{buffer.data(), buffer.size(), 0, length};
  int err = 0;
  {
    std::lock_guard lock(outbound_mutex_);
    err = srtcp_encrypt(outbound_->srtp, &mb);
  }
  if (err != 0) return fail(libre_failure("protect RTCP", err));
  return mb.end;
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
