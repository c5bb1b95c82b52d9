#include "terminal/media/error_lines.hpp"

namespace callcast::terminal {

namespace {

bool connection_refused(std::string_view text) {
  return text.find("Failed to connect") != std::string_view::npos;
}

std::string pipeline_line(std::string_view pipeline, std::string_view element,
                          std::string_view text) {
  return std::string(pipeline) + " pipeline (" + std::string(element) + "): " + std::string(text);
}

}  // namespace

std::string without_token(std::string_view url) {
  return std::string(url.substr(0, url.find('?')));
}

std::string broadcast_error_line(std::string_view text, bool from_sink, std::string_view element,
                                 bool streaming, std::string_view url) {
  const std::string tail = std::string(url) + ": " + std::string(text);
  if (!from_sink) return pipeline_line("broadcast", element, text);
  if (streaming) return "media server: " + std::string(text);
  if (connection_refused(text)) return "media connection refused: " + tail;
  return "media server refused the stream: " + tail;
}

std::string watch_error_line(std::string_view text, bool from_source, std::string_view element,
                             bool first_frame, std::string_view url) {
  const std::string tail = std::string(url) + ": " + std::string(text);
  if (!from_source) return pipeline_line("watch", element, text);
  if (connection_refused(text)) return "media connection refused: " + tail;
  if (!first_frame) return "media server refused the play URL " + tail;
  return "media server: " + std::string(text);
}

// rtspclientsink reports 404 as RESOURCE/NOT_FOUND, a bare 401 as RESOURCE/NOT_AUTHORIZED and a
// 401 with a challenge as "No supported authentication protocol" (it looks for a scheme it
// knows and finds none). Not 403: the server answers a second publisher with it while it still
// holds the old connection (a dropped link it has not noticed yet); that passes within the
// reconnect budget.
std::optional<std::string> rtsp_refusal(GstMessage* error_message) {
  GError* gerror = nullptr;
  gchar* debug = nullptr;
  gst_message_parse_error(error_message, &gerror, &debug);
  std::optional<std::string> status;
  const std::string_view detail = debug != nullptr ? debug : "";
  const bool resource = gerror != nullptr && gerror->domain == GST_RESOURCE_ERROR;
  if (resource && gerror->code == GST_RESOURCE_ERROR_NOT_FOUND) {
    status = "404 Not Found: no such group any more";
  } else if ((resource && gerror->code == GST_RESOURCE_ERROR_NOT_AUTHORIZED) ||
             detail.find("No supported authentication protocol") != std::string_view::npos) {
    status = "401 Unauthorized: the publish token is not valid there any more";
  }
  if (gerror != nullptr) g_error_free(gerror);
  g_free(debug);
  return status;
}

}  // namespace callcast::terminal
