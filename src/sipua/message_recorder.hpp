#pragma once
// The message sequence of each dialog, keyed by Call-ID, as short labels in wire order
// (">INVITE", "<401", ">ACK", ">INVITE", "<100", "<183", ">PRACK", "<200 PRACK", "<200", ">ACK").
// A retransmission is counted, not repeated, so that a sequence does not depend on timing.
// Single-threaded: the user agent uses it on its sofia thread only.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "sipua/wire_message.hpp"

namespace callcast::sipua {

class MessageRecorder {
 public:
  // Records `message` and marks it (message.retransmission) when it repeats an earlier one.
  void record(WireMessage& message);

  std::vector<std::string> sequence(const std::string& call_id) const;
  std::uint64_t retransmissions(const std::string& call_id) const;
  void forget(const std::string& call_id) { dialogs_.erase(call_id); }

 private:
  struct Dialog {
    std::vector<std::string> labels;
    std::unordered_set<std::string> seen;
    std::uint64_t retransmissions = 0;
  };
  std::unordered_map<std::string, Dialog> dialogs_;
};

}  // namespace callcast::sipua
