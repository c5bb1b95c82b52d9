#include "media/srtp_copy.hpp"

#include <memory>

#include "dtls/srtp_session.hpp"

namespace callcast::media {

SharedPacket srtp_protected_copy(dtls::SrtpSession& srtp, rtp::Bytes packet) {
  auto copy = std::make_shared<RelayPacket>();
  copy->bytes.reserve(packet.size() + dtls::SrtpSession::kMaxTrailer);
  copy->bytes.assign(packet.begin(), packet.end());
  copy->bytes.resize(packet.size() + dtls::SrtpSession::kMaxTrailer);
  auto sealed = srtp.protect_rtp(std::span<std::uint8_t>(copy->bytes), packet.size());
  if (!sealed) return nullptr;
  copy->bytes.resize(*sealed);
  return copy;
}

SharedPacket srtcp_protected_copy(dtls::SrtpSession& srtp, rtp::Bytes compound) {
  auto copy = std::make_shared<RelayPacket>();
  copy->bytes.assign(compound.begin(), compound.end());
  copy->bytes.resize(compound.size() + dtls::SrtpSession::kMaxTrailer);
  auto sealed = srtp.protect_rtcp(std::span<std::uint8_t>(copy->bytes), compound.size());
  if (!sealed) return nullptr;
  copy->bytes.resize(*sealed);
  return copy;
}

}  // namespace callcast::media
