// Fuzzes the STUN parser (RFC 8489), its two hashes and the ICE-lite session's answer to a
// check (RFC 8445 §7.3) over untrusted bytes from the media port. Two ways in: the input as a
// datagram, and the input as a list of attributes that the builder turns into a request signed
// with the session's password, so that the session's checks past authentication are reached.
// Invariants: nothing reads out of bounds; a parsed message's offsets lie inside it; a check the
// session calls valid is authenticated; every response is a well-formed answer to the request.
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ice/ice_lite_session.hpp"
#include "ice/stun_endpoint.hpp"
#include "ice/stun_message.hpp"

using namespace callcast::ice;
using Bytes = std::span<const std::uint8_t>;

namespace {

const IceCredentials kLocal = {"srv1UFRG", "server-password-24-chars"};
const std::string kRemoteUfrag = "brWs";

void check_response(const IceReply& reply, const StunMessage& request) {
  if (reply.response.empty()) {
    if (reply.valid) __builtin_trap();
    return;
  }
  const auto response = parse_stun(reply.response);
  if (!response || response->transaction != request.transaction ||
      !check_fingerprint(reply.response, *response)) {
    __builtin_trap();
  }
  if (reply.valid != response->is_binding_success()) __builtin_trap();
  if (reply.valid) {
    if (!check_message_integrity(reply.response, *response, kLocal.password) ||
        !response->xor_mapped_address) {
      __builtin_trap();
    }
  } else if (!response->is_binding_error() || !response->error) {
    __builtin_trap();
  }
}

void check_datagram(Bytes raw, const boost::asio::ip::udp::endpoint& from) {
  static IceLiteSession session(kLocal, kRemoteUfrag, "browser-password-22chr");
  (void)looks_like_stun(raw);
  const auto message = parse_stun(raw);
  if (!message) return;
  const std::size_t integrity = message->integrity_offset;
  const std::size_t fingerprint = message->fingerprint_offset;
  if (integrity != 0 && (integrity < kStunHeaderSize || integrity + 24 > raw.size())) {
    __builtin_trap();
  }
  if (fingerprint != 0 && fingerprint + 8 != raw.size()) __builtin_trap();
  if (integrity != 0 && fingerprint != 0 && fingerprint != integrity + 24) __builtin_trap();
  (void)check_fingerprint(raw, *message);
  const bool authentic = check_message_integrity(raw, *message, kLocal.password);
  const IceReply reply = session.on_binding_request(
      raw, *message, from, std::chrono::steady_clock::time_point() + std::chrono::hours(1));
  if (reply.valid && (!authentic || !message->is_binding_request())) __builtin_trap();
  if (reply.nominated && (!reply.valid || session.selected() != from)) __builtin_trap();
  check_response(reply, *message);
}

// Input as: [type:2][size:1][value:size]... then the last byte's bits pick USERNAME, the key and
// FINGERPRINT, so that most inputs pass authentication and reach the ICE rules.
std::vector<std::uint8_t> signed_request(Bytes input) {
  if (input.empty()) return {};
  const std::uint8_t flags = input.back();
  input = input.first(input.size() - 1);
  StunBuilder builder(kBindingRequest, StunTransactionId{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  if (flags & 1) builder.add_username(kLocal.ufrag + ":" + kRemoteUfrag);
  std::size_t offset = 0;
  while (input.size() - offset >= 3) {
    const auto type = static_cast<std::uint16_t>(input[offset] << 8 | input[offset + 1]);
    const std::size_t size = std::min<std::size_t>(input[offset + 2], input.size() - offset - 3);
    builder.add_attribute(type, input.subspan(offset + 3, size));
    offset += 3 + size;
  }
  std::optional<std::string_view> key;
  if (flags & 2) key = kLocal.password;
  return builder.finish(key, (flags & 4) != 0);
}

boost::asio::ip::udp::endpoint source_of(Bytes input) {
  std::array<std::uint8_t, 16> bytes{};
  for (std::size_t i = 0; i < bytes.size() && i < input.size(); ++i)
    bytes[i] = input[i];
  const auto port = static_cast<std::uint16_t>(bytes[0] << 8 | bytes[1]);
  if (bytes[2] & 1) return {boost::asio::ip::address_v6(bytes), port};
  return {boost::asio::ip::address_v4({bytes[3], bytes[4], bytes[5], bytes[6]}), port};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 4096) return 0;
  const Bytes input(data, size);
  const auto from = source_of(input);
  check_datagram(input, from);
  const std::vector<std::uint8_t> request = signed_request(input);
  if (!request.empty()) check_datagram(request, from);
  return 0;
}
