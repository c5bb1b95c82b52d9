#include "media/phone_address.hpp"

namespace callcast::media {

namespace {

bool is_private_address(const boost::asio::ip::address& address) {
  if (address.is_v6()) {
    const auto bytes = address.to_v6().to_bytes();
    return address.to_v6().is_link_local() || (bytes[0] & 0xFEU) == 0xFCU;  // fc00::/7
  }
  const auto bytes = address.to_v4().to_bytes();
  return bytes[0] == 10 || (bytes[0] == 172 && (bytes[1] & 0xF0U) == 16) ||
         (bytes[0] == 192 && bytes[1] == 168) || (bytes[0] == 100 && (bytes[1] & 0xC0U) == 64) ||
         (bytes[0] == 169 && bytes[1] == 254);
}

}  // namespace

std::optional<boost::asio::ip::address> parse_phone_address(const std::string& text) {
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(text, ec);
  if (ec || address.is_unspecified() || address.is_multicast()) return std::nullopt;
  return address;
}

boost::asio::ip::address first_phone_destination(
    const boost::asio::ip::address& sdp_address,
    const std::optional<boost::asio::ip::address>& signaling) {
  if (signaling && *signaling != sdp_address && is_private_address(sdp_address) &&
      !is_private_address(*signaling)) {
    return *signaling;
  }
  return sdp_address;
}

}  // namespace callcast::media
