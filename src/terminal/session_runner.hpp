#pragma once
// Runs a session on the default GLib main loop, with the terminal's keys and signals
// (TerminalInput), until it is done.
#include "terminal/session.hpp"

namespace callcast::terminal {

// The session's exit code.
int run_session(Session& session);

}  // namespace callcast::terminal
