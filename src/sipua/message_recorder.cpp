#include "sipua/message_recorder.hpp"

namespace callcast::sipua {

void MessageRecorder::record(WireMessage& message) {
  Dialog& dialog = dialogs_[message.call_id()];
  message.retransmission = !dialog.seen.insert(message.retransmission_key()).second;
  if (message.retransmission) {
    ++dialog.retransmissions;
    return;
  }
  dialog.labels.push_back(message.label());
}

std::vector<std::string> MessageRecorder::sequence(const std::string& call_id) const {
  auto it = dialogs_.find(call_id);
  return it == dialogs_.end() ? std::vector<std::string>{} : it->second.labels;
}

std::uint64_t MessageRecorder::retransmissions(const std::string& call_id) const {
  auto it = dialogs_.find(call_id);
  return it == dialogs_.end() ? 0 : it->second.retransmissions;
}

}  // namespace callcast::sipua
