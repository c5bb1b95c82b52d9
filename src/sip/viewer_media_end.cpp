#include "sip/viewer_media_end.hpp"

namespace callcast::sip {

ViewerMediaEnd classify_viewer_media_end(std::string_view reason) {
  if (reason == "removed") return ViewerMediaEnd::removed;
  if (reason == "teardown") return ViewerMediaEnd::torn_down;
  if (reason == "replaced by a new call") return ViewerMediaEnd::replaced_by_call;
  if (reason == "replaced by a new session") return ViewerMediaEnd::replaced_by_player;
  if (reason == "timeout") return ViewerMediaEnd::silent;
  if (reason.starts_with("connection closed")) return ViewerMediaEnd::connection_lost;
  if (reason == "admission expired") return ViewerMediaEnd::admission_expired;
  if (reason == "the browser closed the connection") return ViewerMediaEnd::browser_closed;
  if (reason.starts_with("ICE consent expired")) return ViewerMediaEnd::consent_expired;
  return ViewerMediaEnd::other;
}

std::string viewer_media_end_bye_reason(ViewerMediaEnd end) {
  // cause: the status a request would have got for the same failure (RFC 3326 §2).
  switch (end) {
    case ViewerMediaEnd::silent:
      return "SIP;cause=408;text=\"no media reports from the terminal: the streaming server "
             "stopped sending\"";
    case ViewerMediaEnd::connection_lost:
      return "SIP;cause=408;text=\"the terminal's connection to the streaming server closed\"";
    case ViewerMediaEnd::admission_expired:
      return "SIP;cause=408;text=\"the admission to the broadcast expired with no media using "
             "it\"";
    case ViewerMediaEnd::browser_closed:
      return "SIP;cause=200;text=\"the browser closed its connection (the tab closed or the page "
             "stopped)\"";
    case ViewerMediaEnd::consent_expired:
      return "SIP;cause=408;text=\"the browser stopped answering (ICE consent expired)\"";
    case ViewerMediaEnd::replaced_by_call:
      return "SIP;cause=200;text=\"replaced by a new call from the same number\"";
    case ViewerMediaEnd::removed:
    case ViewerMediaEnd::torn_down:
    case ViewerMediaEnd::replaced_by_player:
    case ViewerMediaEnd::other:
      break;
  }
  return {};
}

std::string media_start_timeout_bye_reason(long long seconds) {
  return "SIP;cause=408;text=\"the media did not start within " + std::to_string(seconds) + " s\"";
}

}  // namespace callcast::sip
