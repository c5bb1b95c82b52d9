// Fuzzes the network side's answer to an SDP offer (make_iptv_sdp) and the URI reader a terminal
// uses on the answer (rtsp_uri_from_sdp).
// Invariants: an accepted offer gives an answer that parses, has one m= line per offered m= line
// (RFC 3264) or exactly one when there was no m= line in an empty offer, and carries the URL.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sdp/session_description.hpp"
#include "sipwire/iptv_sdp.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view offer(reinterpret_cast<const char*>(data), size);
  const std::string url = "rtsp://127.0.0.1:8554/groups/1001?token=t";
  (void)callcast::sip::rtsp_uri_from_sdp(offer);
  auto answer = callcast::sip::make_iptv_sdp(offer, {url, 7});
  if (!answer) return 0;
  auto parsed = callcast::sdp::SessionDescription::parse(*answer);
  if (!parsed) std::abort();
  auto offered = callcast::sdp::SessionDescription::parse(offer);
  const std::size_t expected = offered ? offered->media.size() : 1;
  if (offered && parsed->media.size() != expected) std::abort();
  if (callcast::sip::rtsp_uri_from_sdp(*answer) != url) std::abort();
  return 0;
}
