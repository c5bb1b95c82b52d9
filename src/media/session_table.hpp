#pragma once
// The live sessions by id (the RTSP Session header's value). Sessions have stable addresses:
// connections, UDP routes and the latching list hold direct pointers to them, dropped when the
// session is taken out of the table.
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "media/session.hpp"

namespace callcast::media {

class SessionTable {
 public:
  // A fresh random id, unused in the table.
  std::string new_id() const;
  template <class S>
  S& add(std::unique_ptr<S> session) {
    S& added = *session;
    const std::string id = added.id();
    sessions_[id] = std::move(session);
    return added;
  }
  Session* find(std::string_view id) const;
  // Removes it from the table; the caller ends it.
  std::unique_ptr<Session> take(std::string_view id);

  // The server stops: every session goes without ceremony.
  void clear() { sessions_.clear(); }

  std::vector<Session*> of_group(std::string_view group) const;
  std::vector<Session*> of_connection(std::uint64_t connection_id) const;
  // The group's publishing session that records, if any.
  Session* recording_publisher(std::string_view group) const;
  const std::map<std::string, std::unique_ptr<Session>, std::less<>>& all() const {
    return sessions_;
  }

 private:
  std::map<std::string, std::unique_ptr<Session>, std::less<>> sessions_;
};

}  // namespace callcast::media
