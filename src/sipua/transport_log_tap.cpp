#include "sipua/transport_log_tap.hpp"

#include <sofia-sip/su_log.h>

#include <cstdarg>
#include <cstdio>
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
  va_list copy;
  va_copy(copy, arguments);
  char small[1024];
  const int needed = std::vsnprintf(small, sizeof small, format, copy);
  va_end(copy);
  if (needed < 0) return;
  std::string fragment;
  if (static_cast<std::size_t>(needed) < sizeof small) {
    fragment.assign(small, static_cast<std::size_t>(needed));
  } else {
    fragment.resize(static_cast<std::size_t>(needed) + 1);
    std::vsnprintf(fragment.data(), fragment.size(), format, arguments);
    fragment.resize(static_cast<std::size_t>(needed));
  }
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
