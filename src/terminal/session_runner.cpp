#include "terminal/session_runner.hpp"

#include <glib.h>

#include "terminal/terminal_input.hpp"

namespace callcast::terminal {

int run_session(Session& session) {
  GMainLoop* loop = g_main_loop_new(nullptr, FALSE);
  int exit_code = 1;
  bool done = false;
  {
    TerminalInput input(session);
    session.start([&](int code) {
      exit_code = code;
      done = true;
      g_main_loop_quit(loop);
    });
    if (!done) g_main_loop_run(loop);  // it may have failed at once (no user agent)
  }
  g_main_loop_unref(loop);
  return exit_code;
}

}  // namespace callcast::terminal
