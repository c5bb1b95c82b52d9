#pragma once
// Where the message-sequence recorder gets the real wire messages from.
//
// nua does not report everything that crosses the wire: it never shows the ACK or PRACK it
// sends, nor the requests it retries after a 401, nor retransmissions. sofia's transport layer
// can log every message it sends or delivers (TPTAG_LOG), but only through su_log(), that is
// the process-wide su_log_default. The tap redirects su_log_default once per process and hands
// each logged fragment to the TransportLogAssembler of the calling thread. A user agent runs its
// nua stack on its own thread (su_root_threading off), so a thread-local sink tells the user
// agents apart. Fragments from threads without a sink, and sofia's other log lines, go to the
// debug log (sofia_log.hpp), like the lines of sofia's other modules.
//
// Caveat: another su_log_redirect(NULL, ...) in the same process replaces the tap (last one
// wins); callcastd's own sofia stack runs in another process in the end-to-end tests.
#include <functional>

#include "sipua/wire_message.hpp"

namespace callcast::sipua {

class TransportLogTap {
 public:
  using Sink = std::function<void(WireMessage&&)>;

  // Installs the redirect (once per process) and registers `sink` for the calling thread until
  // the TransportLogTap is destroyed, on the same thread.
  explicit TransportLogTap(Sink sink);
  ~TransportLogTap();
  TransportLogTap(const TransportLogTap&) = delete;
  TransportLogTap& operator=(const TransportLogTap&) = delete;
};

}  // namespace callcast::sipua
