#include "media/session_table.hpp"

#include <cstdio>
#include <random>

#include "media/publisher_session.hpp"

namespace callcast::media {

std::string SessionTable::new_id() const {
  static thread_local std::mt19937_64 random(std::random_device{}());
  for (;;) {
    const auto value = random();
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(value));
    if (!sessions_.contains(text)) return text;
  }
}

Session* SessionTable::find(std::string_view id) const {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : it->second.get();
}

std::unique_ptr<Session> SessionTable::take(std::string_view id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return nullptr;
  std::unique_ptr<Session> session = std::move(it->second);
  sessions_.erase(it);
  return session;
}

std::vector<Session*> SessionTable::of_group(std::string_view group) const {
  std::vector<Session*> out;
  for (const auto& [id, session] : sessions_) {
    if (session->group() == group) out.push_back(session.get());
  }
  return out;
}

std::vector<Session*> SessionTable::of_connection(std::uint64_t connection_id) const {
  std::vector<Session*> out;
  for (const auto& [id, session] : sessions_) {
    if (session->connection_id == connection_id) out.push_back(session.get());
  }
  return out;
}

Session* SessionTable::recording_publisher(std::string_view group) const {
  Session* found = nullptr;
  for (const auto& [id, session] : sessions_) {
    if (session->group() == group && session->kind() == SessionKind::publisher &&
        static_cast<const PublisherSession&>(*session).recording()) {
      found = session.get();
    }
  }
  return found;
}

}  // namespace callcast::media
