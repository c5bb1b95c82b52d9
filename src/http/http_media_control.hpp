#pragma once
// control::MediaControl over HTTP: the network side's handle on a media role that runs in another
// process (callcastd --role signaling --media-url http://host:port). Each call is one request to
// that process's admin API (admin_api.hpp) on a fresh connection, bounded by a timeout; events
// come from a long-poll of its GET /v1/events, one request at a time.
//
// Errors: the admin API's {"error":code} maps back to the same ControlErrorCode; a media side
// that refuses the connection, does not answer in time or answers with something unreadable is
// `unavailable`, with a message that names the URL.
//
// Threading: the calls may come from any thread; the work and every callback run on `io`. After
// stop() (or destruction) no callback runs any more.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "control/media_control.hpp"
#include "control/resync_cause.hpp"
#include "core/result.hpp"
#include "stats/exposition.hpp"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace callcast::http {

namespace detail {
class MediaClient;
}  // namespace detail

// Where the media role's admin API listens, from "http://host:port" (a trailing '/' allowed).
struct MediaEndpoint {
  std::string host;  // IPv4, IPv6 (without brackets) or a name
  std::uint16_t port = 0;
  std::string base_url;  // "http://host:port", as messages and logs name it
};

struct HttpMediaControlOptions {
  std::chrono::milliseconds request_timeout{5'000};  // connect + request + response
  // The long-poll's wait_ms; its request may take that long plus request_timeout.
  std::chrono::milliseconds poll_wait{25'000};
  // Between two failed polls while the media side is down: doubles from first to max.
  std::chrono::milliseconds retry_first{200};
  std::chrono::milliseconds retry_max{2'000};
  std::size_t max_response_bytes = std::size_t{32} * 1024 * 1024;
};

struct HttpMediaControlStats {
  std::uint64_t requests = 0;     // sent, polls included
  std::uint64_t unreachable = 0;  // failed before any HTTP answer (refused, timeout, reset)
  std::uint64_t events = 0;       // delivered to the listeners
  std::uint64_t resyncs = 0;      // times the feed may have missed events (on_resync ran)
  std::uint64_t outages = 0;      // times the feed was lost (logged once each)
};

// GET /metrics: these counters as series (http_media_control_stats.cpp).
void expose_metrics(stats::Exposition& out, const HttpMediaControlStats& stats);

class HttpMediaControl final : public control::MediaControl {
 public:
  using Options = HttpMediaControlOptions;

  // Accepts only http://host:port with an optional trailing '/': no other scheme, user info,
  // path, query or fragment, and a port in 1-65535.
  static Result<MediaEndpoint, std::string> parse_url(std::string_view base_url);
  // parse_url, then the constructor: the failure text suits "--media-url: <text>".
  static Result<std::unique_ptr<HttpMediaControl>, std::string> create(boost::asio::io_context& io,
                                                                       std::string base_url,
                                                                       std::string api_key,
                                                                       Options options = {});

  // api_key: sent as "Authorization: Bearer <key>" when not empty. Precondition: parse_url
  // accepts base_url (asserted; in a release build every call then fails with `unavailable`).
  HttpMediaControl(boost::asio::io_context& io, std::string base_url, std::string api_key,
                   Options options = {});
  ~HttpMediaControl() override;  // stop()
  HttpMediaControl(const HttpMediaControl&) = delete;
  HttpMediaControl& operator=(const HttpMediaControl&) = delete;

  // Closes every connection and the event feed; callbacks not yet run are dropped.
  void stop();

  // Runs on `io` when the listeners may have missed events, so that the caller rebuilds its view
  // from list_groups(): once the feed has its first answer (what happened before it is unknown),
  // when the media side reports a gap (its ring overflowed) and when it restarted (new epoch).
  // It is told which of these it is. Set it before subscribe().
  void set_resync_handler(std::function<void(control::ResyncCause)> on_resync);

  const MediaEndpoint& endpoint() const;
  HttpMediaControlStats stats() const;

  void create_group(std::string master, control::Done<control::GroupCreated> done) override;
  void admit_viewer(std::string group, std::string viewer,
                    control::Done<control::ViewerAdmitted> done) override;
  void start_webrtc_viewer(control::WebRtcViewerRequest request,
                           control::Done<control::WebRtcViewerStarted> done) override;
  void start_webrtc_publisher(control::WebRtcPublisherRequest request,
                              control::Done<control::WebRtcViewerStarted> done) override;
  void start_phone_viewer(control::PhoneViewerRequest request,
                          control::Done<control::PhoneViewerStarted> done) override;
  void start_phone_publisher(control::PhonePublisherRequest request,
                             control::Done<control::PhonePublisherStarted> done) override;
  void remove_viewer(std::string group, std::string viewer, control::Done<bool> done) override;
  void close_group(std::string group, control::Done<bool> done) override;
  void list_groups(control::Done<std::vector<control::GroupSnapshot>> done) override;
  void get_group(std::string group, control::Done<control::GroupSnapshot> done) override;
  void open_edge(control::EdgeRequest request, control::Done<control::EdgeOpened> done) override;
  // The first call starts the long-poll; it reconnects with a backoff while the media side is
  // down, logging once when the feed is lost and once when it is back.
  void subscribe(std::function<void(const core::GroupEvent&)> listener) override;

 private:
  std::shared_ptr<detail::MediaClient> client_;
};

}  // namespace callcast::http
