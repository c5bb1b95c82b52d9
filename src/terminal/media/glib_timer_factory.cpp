#include "terminal/media/glib_timer_factory.hpp"

#include <chrono>

namespace callcast::terminal {

namespace {

class GlibTimer final : public core::Timer {
 public:
  GlibTimer(GMainContext* context, std::function<void()> callback)
      : context_(g_main_context_ref(context)), callback_(std::move(callback)) {}
  ~GlibTimer() override {
    disable();
    g_main_context_unref(context_);
  }
  GlibTimer(const GlibTimer&) = delete;
  GlibTimer& operator=(const GlibTimer&) = delete;

  void enable(core::SteadyClock::duration delay) override {
    disable();
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(delay).count();
    source_ = g_timeout_source_new(static_cast<guint>(ms < 0 ? 0 : ms));
    g_source_set_callback(source_, &GlibTimer::fire, this, nullptr);
    g_source_attach(source_, context_);
  }

  void disable() override {
    if (source_ == nullptr) return;
    g_source_destroy(source_);
    g_source_unref(source_);
    source_ = nullptr;
  }

  bool enabled() const override { return source_ != nullptr; }

 private:
  // Disarmed before the callback runs, which may arm it again or destroy it (with the object
  // that owns it): the callback runs from a copy, never from the member.
  static gboolean fire(gpointer data) {
    auto* self = static_cast<GlibTimer*>(data);
    g_source_unref(self->source_);
    self->source_ = nullptr;
    const std::function<void()> callback = self->callback_;
    callback();
    return G_SOURCE_REMOVE;
  }

  GMainContext* context_;
  std::function<void()> callback_;
  GSource* source_ = nullptr;
};

}  // namespace

GlibTimerFactory::GlibTimerFactory(GMainContext* context) : context_(g_main_context_ref(context)) {}

GlibTimerFactory::~GlibTimerFactory() {
  g_main_context_unref(context_);
}

std::unique_ptr<core::Timer> GlibTimerFactory::create_timer(std::function<void()> callback) {
  return std::make_unique<GlibTimer>(context_, std::move(callback));
}

}  // namespace callcast::terminal
