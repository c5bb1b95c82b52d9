#pragma once
// Why the media side ended a viewer's media session (the reason of its viewer_left event), read
// the way the network side must act on it (issue 13): a dialog whose media the media side ended
// on its own is ended with a BYE that says why, instead of staying up with nothing in it.
//
// The reasons are the media side's own words (src/media: StreamingServer::close_silent_sessions,
// RtspServer, PhoneViewers, GroupDirectory, WebRtcSessions); a reason this file does not know is
// `other`, which changes nothing but the audience, as before.
#include <string>
#include <string_view>

namespace callcast::sip {

enum class ViewerMediaEnd {
  removed,             // "removed": the network side's own remove_viewer (after a BYE/CANCEL here)
  torn_down,           // "teardown": the terminal's player stopped; its own BYE follows
  replaced_by_call,    // "replaced by a new call": a newer call of the same viewer took the media
  replaced_by_player,  // "replaced by a new session": the viewer's player set up again (RTSP)
  silent,              // "timeout": no RTSP, RTCP or RTP from it for media.session_timeout_s
  connection_lost,     // "connection closed: ...": its RTSP connection ended without TEARDOWN
  admission_expired,   // "admission expired": its play token lapsed, unused
  browser_closed,      // "the browser closed the connection": its DTLS close_notify (the page's
                       // Stop or the tab closed), the browser's BYE when its DELETE is lost
  consent_expired,     // "ICE consent expired ...": a browser that stopped its checks (killed)
  other,  // the group closing ("master lost", "deleted"...: group_closed follows) or unknown
};

ViewerMediaEnd classify_viewer_media_end(std::string_view reason);

// The Reason header value (RFC 3326) of the BYE that ends a viewer's dialog for `end`, in words
// its user understands; empty when the dialog stays (the network side or the terminal itself
// ended the media, or the media goes on in a newer session, or the group is closing).
std::string viewer_media_end_bye_reason(ViewerMediaEnd end);

// The Reason of the BYE that ends an answered viewer call whose media never started (issue 13).
std::string media_start_timeout_bye_reason(long long seconds);

}  // namespace callcast::sip
