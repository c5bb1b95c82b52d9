#include "sipua/transport_log_tap.hpp"

#include <sofia-sip/su_log.h>

#include <cstdarg>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "sipua/sofia_log.hpp"
#include "sipua/transport_log_assembler.hpp"

namespace callcast::sipua {
namespace {

struct ThreadTap {
  TransportLogTap::Sink sink;
  TransportLogAssembler assembler;
};

thread_local std::unique_ptr<ThreadTap> current_tap;

void tap_logger(void* /*stream*/, char const* format, va_list arguments) {
  ThreadTap* tap = current_tap.get();
  auto formatted = format_sofia_log(format, arguments);
  if (!formatted) return;
  const std::string& fragment = *formatted;
  // A thread without a tap (another stack) and sofia's own lines go to the debug log.
  if (tap == nullptr) return sofia_log_fragment("su", fragment);
  auto fed = tap->assembler.feed(fragment);
  if (!fed.consumed) return sofia_log_fragment("su", fragment);
  if (fed.message) tap->sink(std::move(*fed.message));
}

}  // namespace

TransportLogTap::TransportLogTap(Sink sink) {
  static std::once_flag installed;
  std::call_once(installed, [] { su_log_redirect(nullptr, tap_logger, nullptr); });
  current_tap = std::make_unique<ThreadTap>(ThreadTap{std::move(sink), {}});
}

TransportLogTap::~TransportLogTap() {
  current_tap.reset();
}

}  // namespace callcast::sipua
