#pragma once
// What the user can do to a running session: Ctrl-C / SIGTERM end it cleanly (a second one ends
// it at once), SIGUSR1 switches the camera, and on a terminal single keys act without Enter
// ('s' switch camera, 'q' quit). The keyboard is put in non-canonical mode while the session runs
// and restored when this object goes away.
#include <memory>

namespace callcast::terminal {

class Session;

class TerminalInput {
 public:
  // Installs the handlers on the default GLib main context.
  explicit TerminalInput(Session& session);
  ~TerminalInput();
  TerminalInput(const TerminalInput&) = delete;
  TerminalInput& operator=(const TerminalInput&) = delete;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace callcast::terminal
