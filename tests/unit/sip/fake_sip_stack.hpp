#pragma once
// A SipStack that records what the network side's logic sends, for its unit tests.
#include <map>
#include <string>
#include <vector>

#include "sip/sip_stack.hpp"

namespace callcast::sip::test {

class FakeSipStack final : public SipStack {
 public:
  struct Info {
    StackHandle handle;
    std::string package, content_type, body;
  };

  void respond(StackHandle handle, const SipAnswer& answer) override {
    answers[handle].push_back(answer);
  }
  void bye(StackHandle handle, const std::string& reason) override {
    byes[handle].push_back(reason);
  }
  void info(StackHandle handle, const std::string& package, const std::string& content_type,
            const std::string& body) override {
    infos.push_back({handle, package, content_type, body});
  }
  void bind(StackHandle handle, CallId call) override { bound[handle] = call; }

  // Every answer to each handle, in order.
  std::map<StackHandle, std::vector<SipAnswer>> answers;
  std::map<StackHandle, std::vector<std::string>> byes;  // Reason header values
  std::vector<Info> infos;
  std::map<StackHandle, CallId> bound;
};

}  // namespace callcast::sip::test
