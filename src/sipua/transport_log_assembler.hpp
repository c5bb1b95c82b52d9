#pragma once
// Puts sofia's transport log (TPTAG_LOG) back together into whole messages.
//
// tport logs each message it sends or delivers as (tport_logging.c, tport_log_msg):
//   "send 610 bytes to udp/[127.0.0.1]:5060 at 01:00:25.812329:\n"      <- the stamp
//   "   ------------------------------------------------------------------------\n"
//   "   INVITE sip:777@127.0.0.1:5060 SIP/2.0\n"                        <- each line indented
//   "   Via: ...\n" ...
//   "   ------------------------------------------------------------------------\n"
// The Debian 1.12.11 snapshot emits that in many su_log() calls (the stamp, the separator, each
// line, each "\n", the closing separator); newer sofia-sip emits stamp + separator + lines in a
// single call without the closing separator. Both are accepted, one fragment at a time.
#include <optional>
#include <string>
#include <string_view>

#include "sipua/wire_message.hpp"

namespace callcast::sipua {

class TransportLogAssembler {
 public:
  struct Feed {
    bool consumed = false;               // the fragment belonged to a transport log entry
    std::optional<WireMessage> message;  // set when an entry was completed by this fragment
  };

  // Fragments that are not part of a transport log entry come back with consumed == false, for
  // the caller to log as usual.
  Feed feed(std::string_view fragment);

 private:
  Feed finish();

  bool in_entry_ = false;
  Direction direction_ = Direction::sent;
  std::string body_;  // everything after the stamp so far
};

}  // namespace callcast::sipua
