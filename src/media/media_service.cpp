#include "media/media_service.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <map>
#include <random>
#include <utility>

namespace callcast::media {

namespace asio = boost::asio;

namespace {

// Random, so that a reader that outlived a restart of this process can tell the logs apart even
// when the new one has reached the same numbers.
std::string new_epoch() {
  std::random_device random;
  const std::uint64_t high = random();
  const std::uint64_t low = random();
  return fmt::format("{:016x}", (high << 32U) ^ low);
}

}  // namespace

struct MediaService::Feed {
  struct Waiter {
    std::uint64_t after = 0;
    std::unique_ptr<core::Timer> timer;
    control::Done<control::EventPage> done;
  };

  Feed(const core::TimeSource& time_source, core::TimerFactory& timer_factory,
       EventFeedOptions feed_options)
      : time(time_source),
        timers(timer_factory),
        options(feed_options),
        log(new_epoch(), feed_options.capacity) {}

  control::EventPage read(std::uint64_t after) const {
    return log.read_after(after, options.max_events_per_page);
  }

  void append(const core::GroupEvent& event) {
    log.append(event, std::chrono::duration_cast<std::chrono::milliseconds>(
                          time.wall_now().time_since_epoch())
                          .count());
    // Every waiter had read up to the end of the log: each one now has this event to read.
    std::map<std::uint64_t, Waiter> woken = std::exchange(waiters, {});
    for (auto& [id, waiter] : woken) {
      waiter.timer->disable();
      waiter.done(read(waiter.after));
    }
  }

  // Runs from the waiter's own timer, which goes with the waiter at the end (nothing runs after).
  static void on_timer(std::weak_ptr<Feed> weak, std::uint64_t id) {
    const std::shared_ptr<Feed> feed = weak.lock();
    if (!feed) return;
    const auto it = feed->waiters.find(id);
    if (it == feed->waiters.end()) return;  // answered by an event meanwhile
    Waiter waiter = std::move(it->second);
    feed->waiters.erase(it);
    waiter.done(feed->read(waiter.after));
  }

  const core::TimeSource& time;
  core::TimerFactory& timers;
  EventFeedOptions options;
  control::EventLog log;
  std::map<std::uint64_t, Waiter> waiters;
  std::uint64_t next_waiter_id = 0;
};

MediaService::MediaService(asio::io_context& io, StreamingServer& server,
                           const core::TimeSource& time, core::TimerFactory& timers,
                           EventFeedOptions feed_options)
    : io_(io), server_(server), feed_(std::make_shared<Feed>(time, timers, feed_options)) {
  // Posted like subscribe(), so it runs on the loop and before any listener subscribed later:
  // the log holds an event before any other listener hears of it.
  asio::post(io_, [&server, weak = std::weak_ptr<Feed>(feed_)] {
    server.add_listener([weak](const core::GroupEvent& event) {
      if (const std::shared_ptr<Feed> feed = weak.lock()) feed->append(event);
    });
  });
}

MediaService::~MediaService() {
  std::map<std::uint64_t, Feed::Waiter> waiting = std::exchange(feed_->waiters, {});
  for (auto& [id, waiter] : waiting) {
    waiter.timer->disable();
    waiter.done(fail(control::ControlError{control::ControlErrorCode::unavailable,
                                           "the media service is stopping"}));
  }
}

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

void MediaService::start_phone_viewer(control::PhoneViewerRequest request,
                                      control::Done<control::PhoneViewerStarted> done) {
  asio::post(io_, [this, request = std::move(request), done = std::move(done)] {
    done(server_.start_phone_viewer(request));
  });
}

void MediaService::start_webrtc_viewer(control::WebRtcViewerRequest request,
                                       control::Done<control::WebRtcViewerStarted> done) {
  asio::post(io_, [this, request = std::move(request), done = std::move(done)] {
    done(server_.start_webrtc_viewer(request));
  });
}

void MediaService::start_webrtc_publisher(control::WebRtcPublisherRequest request,
                                          control::Done<control::WebRtcViewerStarted> done) {
  asio::post(io_, [this, request = std::move(request), done = std::move(done)] {
    done(server_.start_webrtc_publisher(request));
  });
}

void MediaService::start_phone_publisher(control::PhonePublisherRequest request,
                                         control::Done<control::PhonePublisherStarted> done) {
  asio::post(io_, [this, request = std::move(request), done = std::move(done)] {
    done(server_.start_phone_publisher(request));
  });
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

void MediaService::open_edge(control::EdgeRequest request,
                             control::Done<control::EdgeOpened> done) {
  asio::post(io_, [this, request = std::move(request), done = std::move(done)] {
    done(server_.open_edge(request));
  });
}

void MediaService::subscribe(std::function<void(const core::GroupEvent&)> listener) {
  asio::post(io_, [this, listener = std::move(listener)]() mutable {
    server_.add_listener(std::move(listener));
  });
}

void MediaService::poll_events(std::optional<std::uint64_t> after, std::chrono::milliseconds wait,
                               control::Done<control::EventPage> done) {
  asio::post(io_, [feed = feed_, after, wait, done = std::move(done)]() mutable {
    const std::uint64_t from = after.value_or(feed->log.last_seq());
    control::EventPage page = feed->read(from);
    if (!page.events.empty() || page.gap || wait <= std::chrono::milliseconds::zero()) {
      return done(std::move(page));
    }
    if (feed->waiters.size() >= feed->options.max_waiting_readers) {
      spdlog::warn("media: event readers over their cap ({}), refusing one",
                   feed->options.max_waiting_readers);
      return done(fail(control::ControlError{
          control::ControlErrorCode::limit_reached,
          fmt::format("too many event readers waiting ({})", feed->options.max_waiting_readers)}));
    }
    const std::uint64_t id = ++feed->next_waiter_id;
    Feed::Waiter& waiter = feed->waiters[id];
    waiter.after = from;
    waiter.done = std::move(done);
    waiter.timer = feed->timers.create_timer(
        [weak = std::weak_ptr<Feed>(feed), id] { Feed::on_timer(weak, id); });
    waiter.timer->enable(wait);
  });
}

const control::EventLog& MediaService::event_log() const {
  return feed_->log;
}

std::size_t MediaService::waiting_readers() const {
  return feed_->waiters.size();
}

}  // namespace callcast::media
