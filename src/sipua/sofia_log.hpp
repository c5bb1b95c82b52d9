#pragma once
// sofia-sip's own log lines ("tport_udp_error: Connection refused (111) [icmp type=3 code=3]",
// "nta: REGISTER (...)", "outbound(...): FAILED to validate ...") go through su_log to stderr by
// default, before and around the one line a terminal's user should read. Routed here, they
// become spdlog debug lines ("sofia nta: ..."): seen with --log-level debug, never otherwise.
//
// Every module that logs is redirected: su_log_default (which also serves modules without a
// logger of their own), su_log_global, and the per-module logs of the stack (tport, nta, nua,
// soa, sresolv, iptsec, nea, nth client/server, stun). Their levels stay as sofia sets them (3
// unless the usual TPORT_DEBUG, NUA_DEBUG... or SOFIA_DEBUG environment variables say more).
#include <cstdarg>
#include <optional>
#include <string>
#include <string_view>

namespace callcast::sipua {

// Installs the redirection once per process; later calls do nothing. Call before the first
// stack is created. A TransportLogTap installed later takes over su_log_default and hands what
// it does not consume back to sofia_log_fragment.
void send_sofia_logs_to_spdlog();

// The text of one su_log call (printf format and arguments), for the loggers that sofia calls
// (here and TransportLogTap); nullopt when the format fails.
std::optional<std::string> format_sofia_log(char const* format, va_list arguments);

// Feeds one fragment as sofia printed it (a line may come in several pieces); each complete line
// becomes one spdlog debug line tagged with `module`. Per thread, so stacks on different threads
// do not interleave their pieces.
void sofia_log_fragment(std::string_view module, std::string_view fragment);

}  // namespace callcast::sipua
