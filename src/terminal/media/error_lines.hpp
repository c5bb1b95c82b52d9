#pragma once
// The one line a user reads when a pipeline fails (README's terminal error table), from the
// GStreamer error's text and where it came from. Pure but for rtsp_refusal, so each wording is
// tested without a server.
#include <gst/gst.h>

#include <optional>
#include <string>
#include <string_view>

namespace callcast::terminal {

// The URL without its query: the token stays out of the lines a user reads and pastes.
std::string without_token(std::string_view url);

// An error of the broadcast pipeline: `from_sink` when rtspclientsink posted it, `element` the
// name of the element that did, `streaming` once the server took the stream.
std::string broadcast_error_line(std::string_view text, bool from_sink, std::string_view element,
                                 bool streaming, std::string_view url);

// An error of the watch pipeline: `from_source` when rtspsrc posted it, `first_frame` once a
// frame was decoded.
std::string watch_error_line(std::string_view text, bool from_source, std::string_view element,
                             bool first_frame, std::string_view url);

// Whether rtspclientsink's error is the server refusing the URL for good (404: no such group,
// 401: the token is refused) rather than a broken or refused connection: the reason, or nullopt.
std::optional<std::string> rtsp_refusal(GstMessage* error_message);

}  // namespace callcast::terminal
