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
  g_main_context_invoke_full(nullptr, G_PRIORITY_DEFAULT, run_once,
                             new std::function<void()>(std::move(fn)), destroy);
}

}  // namespace callcast::terminal
