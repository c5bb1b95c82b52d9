#pragma once
// The network side's calls and what it knows of each group, shared by the classes that drive
// them (CallController, MediaSync, AudienceReporter). SIP thread only.
#include <functional>
#include <map>
#include <set>
#include <string>

#include "sip/call.hpp"

namespace callcast::sip {

struct CallTable {
  std::map<CallId, Call> calls;
  std::map<std::string, CallId, std::less<>> broadcasts;  // group -> master call
  CallId next_call = 1;
  // Viewers playing each group (the media side's viewer_joined / viewer_left, or its snapshot
  // for a restored broadcast): the audience told to the master. RTSP-only viewers count too.
  std::map<std::string, std::set<std::string>, std::less<>> playing;
  // Viewers of a restored broadcast admitted before this process started: their dialogs are
  // unknown here (their BYE gets 481), so their admission is revoked when their media stops.
  std::map<std::string, std::set<std::string>, std::less<>> restored_viewers;

  Call* find(CallId id) {
    auto it = calls.find(id);
    return it == calls.end() ? nullptr : &it->second;
  }
  // The master call of `group`'s broadcast, if any.
  Call* master_of(std::string_view group) {
    auto it = broadcasts.find(group);
    return it == broadcasts.end() ? nullptr : find(it->second);
  }
};

}  // namespace callcast::sip
