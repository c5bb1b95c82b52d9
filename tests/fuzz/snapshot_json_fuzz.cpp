// Fuzzes the JSON the signaling role reads from the media role's admin API (http/snapshot_json):
// group snapshots and lists, created groups, admitted viewers and event pages; and what the media
// role reads from the signaling role: phone viewer and phone publisher requests (issue 13). They
// come over the network from another process. Invariants: the readers never throw (they return an
// error), and what they accept, written back as JSON, reads back to the same JSON.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "http/snapshot_json.hpp"

using namespace callcast;

namespace {

// Writes a value read from `input` and reads that text again with the same reader: the two
// JSON documents must be equal.
template <class Parse, class Value>
void check_round_trip(Parse parse, const Value& value) {
  const nlohmann::json written = value;
  const auto again = parse(written.dump());
  if (!again) __builtin_trap();
  if (nlohmann::json(*again) != written) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (const auto snapshot = http::parse_group_snapshot(input)) {
    check_round_trip(http::parse_group_snapshot, *snapshot);
  }
  if (const auto list = http::parse_group_list(input)) {
    const nlohmann::json written = {{"groups", *list}};
    const auto again = http::parse_group_list(written.dump());
    if (!again || nlohmann::json({{"groups", *again}}) != written) __builtin_trap();
  }
  if (const auto created = http::parse_group_created(input)) {
    check_round_trip(http::parse_group_created, *created);
  }
  if (const auto admitted = http::parse_viewer_admitted(input)) {
    check_round_trip(http::parse_viewer_admitted, *admitted);
  }
  if (const auto phone = http::parse_phone_viewer_request(input)) {
    check_round_trip(http::parse_phone_viewer_request, *phone);
  }
  if (const auto phone = http::parse_phone_publisher_request(input)) {
    check_round_trip(http::parse_phone_publisher_request, *phone);
  }
  if (const auto page = http::parse_event_page(input)) {
    check_round_trip(http::parse_event_page, *page);
  }
  return 0;
}
