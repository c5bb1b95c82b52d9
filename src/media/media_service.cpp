#include "media/media_service.hpp"

#include <boost/asio/post.hpp>

namespace callcast::media {

namespace asio = boost::asio;

void MediaService::create_group(std::string master, control::Done<control::GroupCreated> done) {
  asio::post(io_, [this, master = std::move(master), done = std::move(done)] {
    done(server_.create_group(master));
  });
}

void MediaService::admit_viewer(std::string group, std::string viewer,
                                control::Done<control::ViewerAdmitted> done) {
  asio::post(io_, [this, group = std::move(group), viewer = std::move(viewer),
                   done = std::move(done)] { done(server_.admit_viewer(group, viewer)); });
}

void MediaService::remove_viewer(std::string group, std::string viewer, control::Done<bool> done) {
  asio::post(io_, [this, group = std::move(group), viewer = std::move(viewer),
                   done = std::move(done)] { done(server_.remove_viewer(group, viewer)); });
}

void MediaService::close_group(std::string group, control::Done<bool> done) {
  asio::post(io_, [this, group = std::move(group), done = std::move(done)] {
    done(server_.close_group(group, "deleted"));
  });
}

void MediaService::list_groups(control::Done<std::vector<control::GroupSnapshot>> done) {
  asio::post(io_, [this, done = std::move(done)] { done(server_.snapshots()); });
}

void MediaService::get_group(std::string group, control::Done<control::GroupSnapshot> done) {
  asio::post(io_, [this, group = std::move(group), done = std::move(done)] {
    done(server_.snapshot(group));
  });
}

void MediaService::subscribe(std::function<void(const core::GroupEvent&)> listener) {
  asio::post(io_, [this, listener = std::move(listener)]() mutable {
    server_.add_listener(std::move(listener));
  });
}

}  // namespace callcast::media
