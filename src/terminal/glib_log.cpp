#include "terminal/glib_log.hpp"

#include <glib.h>
#include <spdlog/spdlog.h>

#include <string_view>

namespace callcast::terminal {

namespace {

std::string_view level_name(GLogLevelFlags level) {
  if ((level & G_LOG_LEVEL_ERROR) != 0) return "error";
  if ((level & G_LOG_LEVEL_CRITICAL) != 0) return "critical";
  if ((level & G_LOG_LEVEL_WARNING) != 0) return "warning";
  if ((level & G_LOG_LEVEL_MESSAGE) != 0) return "message";
  if ((level & G_LOG_LEVEL_INFO) != 0) return "info";
  return "debug";
}

bool is_fatal(GLogLevelFlags level) {
  return (level & (G_LOG_LEVEL_ERROR | G_LOG_FLAG_FATAL)) != 0;
}

void handler(const gchar* domain, GLogLevelFlags level, const gchar* message, gpointer data) {
  if (is_fatal(level)) return g_log_default_handler(domain, level, message, data);
  spdlog::debug("glib {} {}: {}", domain != nullptr ? domain : "-", level_name(level),
                message != nullptr ? message : "");
}

GLogWriterOutput writer(GLogLevelFlags level, const GLogField* fields, gsize count, gpointer data) {
  if (is_fatal(level)) return g_log_writer_default(level, fields, count, data);
  std::string_view domain = "-";
  std::string_view message;
  for (gsize i = 0; i < count; ++i) {
    const std::string_view key = fields[i].key;
    const auto* value = static_cast<const char*>(fields[i].value);
    if (value == nullptr || fields[i].length > 0) continue;  // binary fields: not ours to print
    if (key == "GLIB_DOMAIN") domain = value;
    if (key == "MESSAGE") message = value;
  }
  spdlog::debug("glib {} {}: {}", domain, level_name(level), message);
  return G_LOG_WRITER_HANDLED;
}

}  // namespace

void send_glib_logs_to_spdlog() {
  g_log_set_default_handler(&handler, nullptr);
  g_log_set_writer_func(&writer, nullptr, nullptr);
}

}  // namespace callcast::terminal
