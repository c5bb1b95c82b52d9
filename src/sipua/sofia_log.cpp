#include "sipua/sofia_log.hpp"

#include <sofia-sip/su_log.h>
#include <spdlog/spdlog.h>

#include <cstdarg>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>

// The stack's per-module logs: exported by libsofia-sip-ua, declared only in its private headers.
extern "C" {
extern su_log_t tport_log[];
extern su_log_t nta_log[];
extern su_log_t nua_log[];
extern su_log_t soa_log[];
extern su_log_t sresolv_log[];
extern su_log_t iptsec_log[];
extern su_log_t nea_log[];
extern su_log_t nth_client_log[];
extern su_log_t nth_server_log[];
extern su_log_t stun_log[];
}

namespace callcast::sipua {
namespace {

void logger(void* stream, char const* format, va_list arguments) {
  auto fragment = format_sofia_log(format, arguments);
  if (fragment) sofia_log_fragment(static_cast<const char*>(stream), *fragment);
}

}  // namespace

std::optional<std::string> format_sofia_log(char const* format, va_list arguments) {
  va_list copy;
  va_copy(copy, arguments);
  char small[1024];
  const int needed = std::vsnprintf(small, sizeof small, format, copy);
  va_end(copy);
  if (needed < 0) return std::nullopt;
  if (static_cast<std::size_t>(needed) < sizeof small) {
    return std::string(small, static_cast<std::size_t>(needed));
  }
  std::string large(static_cast<std::size_t>(needed) + 1, '\0');
  std::vsnprintf(large.data(), large.size(), format, arguments);
  large.resize(static_cast<std::size_t>(needed));
  return large;
}

void sofia_log_fragment(std::string_view module, std::string_view fragment) {
  thread_local std::map<std::string, std::string, std::less<>> pending;
  auto it = pending.find(module);
  if (it == pending.end()) it = pending.emplace(std::string(module), std::string()).first;
  std::string& line = it->second;
  line.append(fragment);
  std::size_t start = 0;
  for (std::size_t end; (end = line.find('\n', start)) != std::string::npos; start = end + 1) {
    if (end > start) {
      spdlog::debug("sofia {}: {}", module, std::string_view(line).substr(start, end - start));
    }
  }
  line.erase(0, start);
  // A runaway fragment without a newline must not grow without bound.
  if (line.size() > 64 * 1024) {
    spdlog::debug("sofia {}: {}", module, line);
    line.clear();
  }
}

void send_sofia_logs_to_spdlog() {
  static std::once_flag installed;
  std::call_once(installed, [] {
    struct Module {
      su_log_t* log;
      const char* name;
    };
    static const Module modules[] = {
        {su_log_default, "su"},   {su_log_global, "su"},   {tport_log, "tport"},
        {nta_log, "nta"},         {nua_log, "nua"},        {soa_log, "soa"},
        {sresolv_log, "sresolv"}, {iptsec_log, "iptsec"},  {nea_log, "nea"},
        {nth_client_log, "nth"},  {nth_server_log, "nth"}, {stun_log, "stun"},
    };
    for (const Module& m : modules)
      su_log_redirect(m.log, &logger, const_cast<char*>(m.name));
  });
}

}  // namespace callcast::sipua
