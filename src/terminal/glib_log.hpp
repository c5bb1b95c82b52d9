#pragma once
// GLib's and GStreamer's own warnings and criticals ("GStreamer-WARNING **: pad ... has no probe",
// "GLib-GIO-CRITICAL **: g_socket_set_timeout: assertion ... failed" from rtspclientsink's
// insides when its connection breaks) go to stderr by default, around the one line a terminal's
// user should read. Routed here they become spdlog debug lines ("glib GLib-GIO critical: ..."),
// seen with --log-level debug only, like sofia-sip's (sipua/sofia_log.hpp). Fatal errors still
// abort as GLib would.
namespace callcast::terminal {

// Installs the handlers (GLib's default log handler and its structured-log writer) for the
// whole process. Call before gst_init.
void send_glib_logs_to_spdlog();

}  // namespace callcast::terminal
