#pragma once
// SRTP and SRTCP (RFC 3711, AEAD GCM RFC 7714) for one browser terminal, with the keys its
// DTLS-SRTP handshake agreed (dtls_transport.hpp). One outbound context with our key, on libre
// (OpenSSL's AES: it runs once per browser viewer per packet), one inbound context with the
// peer's, on libsrtp2 (its replay window); both take any SSRC, since one BUNDLEd 5-tuple carries
// audio, video and their RTCP (RFC 8843).
//
// Every call works in place on the caller's buffer and returns the new length.
//
// Threads: protect_rtp() and protect_rtcp() may be called from several threads at once (the
// fan-out worker protects the shared RTP packets, step 709; the media loop protects catch-up
// packets, repairs and RTCP): a mutex guards the outbound context. unprotect_*() use the inbound
// context, which only one thread (the media loop) may use, concurrently with the protects.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>

#include "core/result.hpp"
#include "dtls/srtp_key_material.hpp"

namespace callcast::dtls {

class SrtpSession {
 public:
  // The most a protect call adds: a 16-byte GCM tag, plus the 4-byte E flag + SRTCP index on
  // RTCP (no MKI). AES_CM_SHA1_80 adds 10 (RTP) and 14 (RTCP). Buffers handed to protect_*()
  // must have this much room after `length`.
  static constexpr std::size_t kMaxTrailer = 20;
  // Replay window (packets) of the receive direction: a browser publisher's repairs of lost
  // packets arrive late, with their old sequence numbers.
  static constexpr unsigned long kReplayWindow = 1024;

  // Fails when the key lengths do not match the profile or libsrtp refuses the policy.
  static Result<std::unique_ptr<SrtpSession>, std::string> create(const SrtpKeyMaterial& keys);
  ~SrtpSession();
  SrtpSession(const SrtpSession&) = delete;
  SrtpSession& operator=(const SrtpSession&) = delete;

  // `buffer[0, length)` holds a plain RTP packet (or compound RTCP), and `buffer` has at least
  // kMaxTrailer more bytes. The same sequence number may be protected again (a repair resends
  // the same packet, RFC 4588 is not used), however old, except one from before the SSRC's
  // sequence number last wrapped (refused: its index is ambiguous to the sender's counter). At
  // most 8 SSRCs per session.
  Result<std::size_t, std::string> protect_rtp(std::span<std::uint8_t> buffer, std::size_t length);
  Result<std::size_t, std::string> protect_rtcp(std::span<std::uint8_t> buffer, std::size_t length);
  // `buffer[0, length)` holds an SRTP (SRTCP) packet from the network. On success it holds the
  // plain packet, of the returned length. Errors name libsrtp's status: "authentication failed",
  // "replayed packet", "packet too old for the replay window", ...
  Result<std::size_t, std::string> unprotect_rtp(std::span<std::uint8_t> buffer,
                                                 std::size_t length);
  Result<std::size_t, std::string> unprotect_rtcp(std::span<std::uint8_t> buffer,
                                                  std::size_t length);

  SrtpProfile profile() const { return profile_; }

 private:
  struct Context;   // a libsrtp srtp_t, kept out of this header
  struct Outbound;  // a libre srtp context and the sequence fronts it protected
  SrtpSession(SrtpProfile profile, std::unique_ptr<Outbound> outbound,
              std::unique_ptr<Context> inbound);

  SrtpProfile profile_;
  std::mutex outbound_mutex_;
  std::unique_ptr<Outbound> outbound_;  // guarded by outbound_mutex_
  std::unique_ptr<Context> inbound_;    // the media loop's only
};

}  // namespace callcast::dtls
