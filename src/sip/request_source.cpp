#include "sip/request_source.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <optional>
#include <string_view>

namespace callcast::sip {
namespace {

std::string_view unbracketed(std::string_view address) {
  if (address.size() > 2 && address.front() == '[' && address.back() == ']') {
    address = address.substr(1, address.size() - 2);
  }
  return address;
}

// The address in binary (family first), so that two spellings of one IPv6 address compare equal.
std::optional<std::array<unsigned char, 17>> binary_address(std::string_view text) {
  const std::string address(unbracketed(text));
  std::array<unsigned char, 17> binary{};
  if (inet_pton(AF_INET, address.c_str(), binary.data() + 1) == 1) {
    binary[0] = 4;
    return binary;
  }
  if (inet_pton(AF_INET6, address.c_str(), binary.data() + 1) == 1) {
    binary[0] = 6;
    return binary;
  }
  return std::nullopt;
}

bool same_address(std::string_view a, std::string_view b) {
  const auto x = binary_address(a);
  const auto y = binary_address(b);
  if (x && y) return *x == *y;
  return unbracketed(a) == unbracketed(b);
}

RequestSource source_of(const ViaHop& hop) {
  RequestSource source;
  source.address = std::string(unbracketed(hop.received.empty() ? hop.host : hop.received));
  source.behind_nat = !hop.received.empty() && !same_address(hop.received, hop.host);
  return source;
}

}  // namespace

RequestSource request_source(const std::vector<ViaHop>& vias,
                             const std::vector<std::string>& trusted_proxies) {
  if (vias.empty()) return {};
  std::size_t hop = 0;
  RequestSource source = source_of(vias[hop]);
  const auto trusted = [&](const std::string& address) {
    return std::any_of(trusted_proxies.begin(), trusted_proxies.end(),
                       [&](const std::string& proxy) { return same_address(proxy, address); });
  };
  while (hop + 1 < vias.size() && trusted(source.address)) {
    source = source_of(vias[++hop]);
    source.via_proxy = true;
  }
  return source;
}

}  // namespace callcast::sip
