#pragma once
// Where a phone's plain RTP goes first and whom it is latched from (issue 13), for phones that
// watch (PhoneViewers) and phones that broadcast (PhonePublishers) alike.
#include <boost/asio/ip/address.hpp>
#include <optional>
#include <string>

namespace callcast::media {

// An SDP connection address or a SIP source address; nullopt when it is not a usable unicast
// address (unparsable, or unspecified like 0.0.0.0).
std::optional<boost::asio::ip::address> parse_phone_address(const std::string& text);

// The address to send to before the phone's own packets show where it is: the SDP's, unless that
// is private and the SIP came from a public address (the phone is behind a NAT: its public
// address is the better guess, and with a port-preserving NAT the ports are then right at once,
// as SBCs do).
boost::asio::ip::address first_phone_destination(
    const boost::asio::ip::address& sdp_address,
    const std::optional<boost::asio::ip::address>& signaling);

}  // namespace callcast::media
