// Fuzzes what a browser terminal's datagrams reach in src/dtls (issue 14): a DTLS server fed
// arbitrary datagrams (OpenSSL's record and handshake parsing behind our datagram BIO), SRTP and
// SRTCP unprotect of arbitrary bytes (libsrtp2's header parsing before authentication), and the
// SDP fingerprint parser. The first byte picks the way in:
//   0  the rest is one datagram to a fresh server
//   1  the rest is datagrams to a fresh server, each preceded by a 2-byte big-endian length
//   2-5 the rest is an SRTP (2 GCM, 3 CM) or SRTCP (4 GCM, 5 CM) packet, unprotected with keys
//      fixed here (the seeds were protected with them, so the fuzzer starts from valid packets)
//   6  the rest is an `a=fingerprint:sha-256` value
// Invariants: a server never connects (no input can carry a Finished it can verify without the
// client's key), an unprotected packet is never longer than what came in, and a fingerprint that
// parses formats back to the same value.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dtls/dtls_certificate.hpp"
#include "dtls/dtls_fingerprint.hpp"
#include "dtls/dtls_transport.hpp"
#include "dtls/srtp_session.hpp"

using namespace callcast::dtls;

namespace {

// The server's certificate is made once: key generation would dominate every run.
const std::shared_ptr<const DtlsCertificate>& fuzz_certificate() {
  static const auto certificate = DtlsCertificate::generate("fuzz").value();
  return certificate;
}

constexpr const char* kClientFingerprint =
    "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:"
    "EE:FF";

void fuzz_server(std::span<const std::uint8_t> input, bool length_prefixed) {
  std::size_t sent = 0;
  DtlsTransport server(fuzz_certificate(), DtlsRole::server, kClientFingerprint,
                       [&](std::span<const std::uint8_t> datagram) { sent += datagram.size(); });
  server.start();
  if (!length_prefixed) {
    server.receive(input);
  } else {
    while (input.size() >= 2) {
      const std::size_t length = static_cast<std::size_t>(input[0]) << 8 | input[1];
      input = input.subspan(2);
      const std::size_t take = std::min(length, input.size());
      server.receive(input.first(take));
      input = input.subspan(take);
    }
  }
  if (server.state() == DtlsState::connected || server.keys() != nullptr) __builtin_trap();
  (void)server.next_timeout();
  server.on_timeout();
  server.close();
}

SrtpKeyMaterial fuzz_keys(SrtpProfile profile) {
  SrtpKeyMaterial keys;
  keys.profile = profile;
  const std::size_t size = master_key_length(profile) + master_salt_length(profile);
  for (std::size_t i = 0; i < size; ++i) {
    keys.local_master_key_salt.push_back(static_cast<std::uint8_t>(0x10 + i));
    keys.remote_master_key_salt.push_back(static_cast<std::uint8_t>(0x10 + i));
  }
  return keys;
}

void fuzz_unprotect(std::span<const std::uint8_t> input, SrtpProfile profile, bool rtcp) {
  auto session = SrtpSession::create(fuzz_keys(profile));
  if (!session) __builtin_trap();
  // A buffer of exactly the input's size, so that ASan sees any read past the packet.
  std::vector<std::uint8_t> buffer(input.begin(), input.end());
  const auto length = rtcp ? (*session)->unprotect_rtcp(buffer, buffer.size())
                           : (*session)->unprotect_rtp(buffer, buffer.size());
  if (length.ok() && *length > input.size()) __builtin_trap();
}

void fuzz_fingerprint(std::span<const std::uint8_t> input) {
  const std::string_view text(reinterpret_cast<const char*>(input.data()), input.size());
  const auto digest = parse_fingerprint(text);
  if (!digest) return;
  const auto again = parse_fingerprint(format_fingerprint(*digest));
  if (!again || *again != *digest) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::span<const std::uint8_t> rest(data + 1, size - 1);
  switch (data[0] % 7) {
    case 0:
      fuzz_server(rest, false);
      break;
    case 1:
      fuzz_server(rest, true);
      break;
    case 2:
      fuzz_unprotect(rest, SrtpProfile::aead_aes_128_gcm, false);
      break;
    case 3:
      fuzz_unprotect(rest, SrtpProfile::aes128_cm_sha1_80, false);
      break;
    case 4:
      fuzz_unprotect(rest, SrtpProfile::aead_aes_128_gcm, true);
      break;
    case 5:
      fuzz_unprotect(rest, SrtpProfile::aes128_cm_sha1_80, true);
      break;
    default:
      fuzz_fingerprint(rest);
      break;
  }
  return 0;
}
