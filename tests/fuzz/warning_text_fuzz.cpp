// Fuzzes the terminal's reader of the network side's Warning header (warning_text), and the
// round trip through the writer.
// Invariants: reading never crashes; any text written by make_warning_value reads back as that
// text without line breaks.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sipwire/warning_text.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  (void)callcast::sip::warning_text(input);
  std::string expected;
  for (const char c : input) {
    if (c != '\r' && c != '\n') expected.push_back(c);
  }
  if (callcast::sip::warning_text(callcast::sip::make_warning_value(input)) != expected) {
    std::abort();
  }
  return 0;
}
