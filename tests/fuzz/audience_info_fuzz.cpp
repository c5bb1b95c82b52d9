// Fuzzes the broadcaster's reader of the network side's audience INFO body (read_audience_body),
// the round trip through the writer, and the Recv-Info reader of the network side.
// Invariants: reading never crashes; a count it reads writes back to a body that reads the same.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sipwire/audience_info.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto viewers = callcast::sip::read_audience_body(input);
  if (viewers &&
      callcast::sip::read_audience_body(callcast::sip::make_audience_body(*viewers)) != viewers) {
    std::abort();
  }
  (void)callcast::sip::recv_info_lists(input, callcast::sip::kAudiencePackage);
  return 0;
}
