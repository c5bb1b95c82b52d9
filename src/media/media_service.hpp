#pragma once
// control::MediaControl over a StreamingServer: every call is posted onto the server's event loop,
// so the network side may call from its own thread (the SIP stack's) without sharing locks.
//
// It also keeps the server's group events in a control::EventLog and serves them to readers in
// other processes (control::EventSource, the admin API's GET /v1/events): a reader with nothing
// new to read waits in a bounded list, without blocking the loop, until an event or its timer.
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

#include "control/event_log.hpp"
#include "control/event_source.hpp"
#include "control/media_control.hpp"
#include "core/time_source.hpp"
#include "media/streaming_server.hpp"

namespace callcast::media {

struct EventFeedOptions {
  std::size_t capacity = control::EventLog::kDefaultCapacity;  // events kept
  std::size_t max_waiting_readers = 128;                       // beyond: limit_reached
  std::size_t max_events_per_page = 1000;                      // the rest on the next read
};

class MediaService final : public control::MediaControl, public control::EventSource {
 public:
  // `time` stamps the events, `timers` bound the readers' waits (production: the real clock and
  // io::AsioTimerFactory over `io`).
  MediaService(boost::asio::io_context& io, StreamingServer& server, const core::TimeSource& time,
               core::TimerFactory& timers, EventFeedOptions feed_options = {});
  // Readers still waiting get `unavailable`.
  ~MediaService() override;
  MediaService(const MediaService&) = delete;
  MediaService& operator=(const MediaService&) = delete;

  void create_group(std::string master, control::Done<control::GroupCreated> done) override;
  void admit_viewer(std::string group, std::string viewer,
                    control::Done<control::ViewerAdmitted> done) override;
  void remove_viewer(std::string group, std::string viewer, control::Done<bool> done) override;
  void start_webrtc_viewer(control::WebRtcViewerRequest request,
                           control::Done<control::WebRtcViewerStarted> done) override;
  void start_webrtc_publisher(control::WebRtcPublisherRequest request,
                              control::Done<control::WebRtcViewerStarted> done) override;
  void start_phone_viewer(control::PhoneViewerRequest request,
                          control::Done<control::PhoneViewerStarted> done) override;
  void start_phone_publisher(control::PhonePublisherRequest request,
                             control::Done<control::PhonePublisherStarted> done) override;
  void close_group(std::string group, control::Done<bool> done) override;
  void list_groups(control::Done<std::vector<control::GroupSnapshot>> done) override;
  void get_group(std::string group, control::Done<control::GroupSnapshot> done) override;
  void open_edge(control::EdgeRequest request, control::Done<control::EdgeOpened> done) override;
  void subscribe(std::function<void(const core::GroupEvent&)> listener) override;
  control::EventSource* event_source() override { return this; }

  // control::EventSource
  void poll_events(std::optional<std::uint64_t> after, std::chrono::milliseconds wait,
                   control::Done<control::EventPage> done) override;

  // On the event loop only.
  const control::EventLog& event_log() const;
  std::size_t waiting_readers() const;

 private:
  // The log and its waiting readers, shared with the timers and the server's listener, which
  // may outlive this object.
  struct Feed;

  boost::asio::io_context& io_;
  StreamingServer& server_;
  std::shared_ptr<Feed> feed_;
};

}  // namespace callcast::media
