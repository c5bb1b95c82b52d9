#pragma once
// core::TimerFactory on a GLib main context: the terminal's pipelines run their timers (announce
// and stop timeouts, reconnect back-off, statistics) on the loop their bus watch runs on, behind
// the same Timer interface the server's components use with asio (src/io) and tests with
// SimulatedTime.
#include <glib.h>

#include <functional>
#include <memory>

#include "core/time_source.hpp"

namespace callcast::terminal {

class GlibTimerFactory final : public core::TimerFactory {
 public:
  // Timers fire on `context` (referenced while this lives; its timers may outlive it).
  explicit GlibTimerFactory(GMainContext* context);
  ~GlibTimerFactory() override;
  GlibTimerFactory(const GlibTimerFactory&) = delete;
  GlibTimerFactory& operator=(const GlibTimerFactory&) = delete;

  std::unique_ptr<core::Timer> create_timer(std::function<void()> callback) override;

 private:
  GMainContext* context_;
};

}  // namespace callcast::terminal
