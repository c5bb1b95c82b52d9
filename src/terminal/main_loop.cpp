#include "terminal/main_loop.hpp"

#include <glib.h>

#include <utility>

namespace callcast::terminal {

namespace {

gboolean run_once(gpointer data) {
  (*static_cast<std::function<void()>*>(data))();
  return G_SOURCE_REMOVE;
}

void destroy(gpointer data) {
  delete static_cast<std::function<void()>*>(data);
}

}  // namespace

void run_on_main_loop(std::function<void()> fn) {
  GMainContext* context = g_main_context_default();
  if (g_main_context_is_owner(context)) return fn();
  // Not g_main_context_invoke: when no thread owns the context (the loop has quit and the
  // session is being destroyed) it calls `fn` at once on the calling thread. The sofia thread
  // then ran a call's on_ended inside ~Phone, on a BroadcastSession whose members were already
  // destroyed (a BYE answered after the ending bound: write_stats wrote freed strings). Queued,
  // `fn` runs on the main thread when a loop runs there again, or never.
  GSource* source = g_idle_source_new();
  g_source_set_priority(source, G_PRIORITY_DEFAULT);
  g_source_set_callback(source, run_once, new std::function<void()>(std::move(fn)), destroy);
  g_source_attach(source, context);
  g_source_unref(source);
}

}  // namespace callcast::terminal
