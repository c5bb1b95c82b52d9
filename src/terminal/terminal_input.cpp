#include "terminal/terminal_input.hpp"

#include <glib-unix.h>
#include <glib.h>
#include <termios.h>
#include <unistd.h>

#include <csignal>
#include <optional>
#include <vector>

#include "terminal/session.hpp"

namespace callcast::terminal {

struct TerminalInput::Impl {
  Session& session;
  std::vector<guint> sources;
  std::optional<termios> saved_termios;

  explicit Impl(Session& s) : session(s) {}

  static gboolean on_interrupt(gpointer data) {
    static_cast<Impl*>(data)->session.stop("Ctrl-C");
    return G_SOURCE_CONTINUE;
  }
  static gboolean on_terminate(gpointer data) {
    static_cast<Impl*>(data)->session.stop("SIGTERM");
    return G_SOURCE_CONTINUE;
  }
  static gboolean on_usr1(gpointer data) {
    static_cast<Impl*>(data)->session.on_user_signal();
    return G_SOURCE_CONTINUE;
  }
  static gboolean on_stdin(gint fd, GIOCondition condition, gpointer data) {
    auto* self = static_cast<Impl*>(data);
    char keys[64];
    const ssize_t n = (condition & G_IO_IN) != 0 ? read(fd, keys, sizeof keys) : 0;
    if (n <= 0) return G_SOURCE_REMOVE;  // end of input: stop watching it
    for (ssize_t i = 0; i < n; ++i) {
      if (keys[i] == 'q' || keys[i] == 'Q') {
        self->session.stop("q pressed");
      } else {
        self->session.on_key(keys[i]);
      }
    }
    return G_SOURCE_CONTINUE;
  }
};

TerminalInput::TerminalInput(Session& session) : impl_(std::make_unique<Impl>(session)) {
  impl_->sources.push_back(g_unix_signal_add(SIGINT, &Impl::on_interrupt, impl_.get()));
  impl_->sources.push_back(g_unix_signal_add(SIGTERM, &Impl::on_terminate, impl_.get()));
  impl_->sources.push_back(g_unix_signal_add(SIGUSR1, &Impl::on_usr1, impl_.get()));
  if (isatty(STDIN_FILENO) == 1) {
    termios current{};
    if (tcgetattr(STDIN_FILENO, &current) == 0) {
      impl_->saved_termios = current;
      current.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);
      current.c_cc[VMIN] = 1;
      current.c_cc[VTIME] = 0;
      tcsetattr(STDIN_FILENO, TCSANOW, &current);
    }
    impl_->sources.push_back(g_unix_fd_add(STDIN_FILENO,
                                           static_cast<GIOCondition>(G_IO_IN | G_IO_HUP | G_IO_ERR),
                                           &Impl::on_stdin, impl_.get()));
  }
}

TerminalInput::~TerminalInput() {
  for (const guint source : impl_->sources) {
    GSource* s = g_main_context_find_source_by_id(nullptr, source);
    if (s != nullptr) g_source_destroy(s);
  }
  if (impl_->saved_termios) tcsetattr(STDIN_FILENO, TCSANOW, &*impl_->saved_termios);
}

}  // namespace callcast::terminal
