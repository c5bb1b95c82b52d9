#pragma once
// Between a STUN transport address and the socket's UDP endpoint. Kept apart from
// stun_message.hpp so that the parser builds without Asio (its fuzz target).
#include <boost/asio/ip/udp.hpp>

#include "ice/stun_message.hpp"

namespace callcast::ice {

// An IPv4-mapped IPv6 address (what a dual-stack socket reports for an IPv4 peer) becomes the
// IPv4 address: the browser compares XOR-MAPPED-ADDRESS with the IPv4 address it sent from, and
// would otherwise learn a bogus peer-reflexive candidate.
inline StunAddress to_stun_address(const boost::asio::ip::udp::endpoint& endpoint) {
  StunAddress result;
  result.port = endpoint.port();
  auto address = endpoint.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6());
  }
  if (address.is_v4()) {
    const auto bytes = address.to_v4().to_bytes();
    std::copy(bytes.begin(), bytes.end(), result.address.begin());
  } else {
    result.ipv6 = true;
    const auto bytes = address.to_v6().to_bytes();
    std::copy(bytes.begin(), bytes.end(), result.address.begin());
  }
  return result;
}

inline boost::asio::ip::udp::endpoint to_endpoint(const StunAddress& address) {
  if (address.ipv6) {
    boost::asio::ip::address_v6::bytes_type bytes;
    std::copy(address.address.begin(), address.address.end(), bytes.begin());
    return {boost::asio::ip::address_v6(bytes), address.port};
  }
  boost::asio::ip::address_v4::bytes_type bytes;
  std::copy_n(address.address.begin(), bytes.size(), bytes.begin());
  return {boost::asio::ip::address_v4(bytes), address.port};
}

}  // namespace callcast::ice
