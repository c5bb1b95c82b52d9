#include "http/http_media_control.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cassert>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#include "core/config.hpp"
#include "http/beast.hpp"
#include "http/http_exchange.hpp"
#include "http/snapshot_json.hpp"

namespace callcast::http {

using control::ControlError;
using control::ControlErrorCode;

namespace {

// RFC 3986 section 2.1: everything but the unreserved characters percent-encoded, so that any
// string given as a group or viewer stays one path segment.
std::string path_segment(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4U]);
      out.push_back(kHex[byte & 0x0FU]);
    }
  }
  return out;
}

std::optional<ControlErrorCode> code_named(std::string_view name) {
  for (const ControlErrorCode code :
       {ControlErrorCode::bad_request, ControlErrorCode::unauthorized, ControlErrorCode::not_found,
        ControlErrorCode::conflict, ControlErrorCode::limit_reached,
        ControlErrorCode::unavailable}) {
    if (control::to_string(code) == name) return code;
  }
  if (name == "forbidden") return ControlErrorCode::unauthorized;
  return std::nullopt;
}

ControlErrorCode control_code_for_status(unsigned status) {
  switch (status) {
    case 401:
    case 403:
      return ControlErrorCode::unauthorized;
    case 404:
      return ControlErrorCode::not_found;
    case 409:
      return ControlErrorCode::conflict;
    case 429:
      return ControlErrorCode::limit_reached;
    default:
      return status >= 500 ? ControlErrorCode::unavailable : ControlErrorCode::bad_request;
  }
}

// A non-2xx answer of the admin API: {"error":code,"message":text}, or whatever a proxy put there.
ControlError error_from_reply(const HttpReply& reply, const std::string& base_url) {
  ControlError error{control_code_for_status(reply.status),
                     "HTTP " + std::to_string(reply.status) + " from " + base_url};
  const nlohmann::json body = nlohmann::json::parse(reply.body, nullptr, false);
  if (!body.is_object()) return error;
  const auto code = body.find("error");
  if (code != body.end() && code->is_string()) {
    if (const auto named = code_named(code->get<std::string>())) error.code = *named;
  }
  const auto message = body.find("message");
  if (message != body.end() && message->is_string()) error.message = message->get<std::string>();
  return error;
}

std::string host_header(const MediaEndpoint& endpoint) {
  const bool v6 = endpoint.host.find(':') != std::string::npos;
  return (v6 ? "[" + endpoint.host + "]" : endpoint.host) + ":" + std::to_string(endpoint.port);
}

}  // namespace

namespace detail {

class MediaClient : public std::enable_shared_from_this<MediaClient> {
 public:
  using Reply = Result<HttpReply, ControlError>;

  MediaClient(asio::io_context& io_context, Result<MediaEndpoint, std::string> parsed,
              const std::string& api_key, HttpMediaControlOptions opts)
      : io(io_context), options(opts), retry_timer(io_context), backoff(opts.retry_first) {
    if (parsed) {
      endpoint = std::move(parsed).value();
    } else {
      url_error = "invalid media URL: " + parsed.error();
    }
    if (!api_key.empty()) authorization = "Bearer " + api_key;
  }

  // One exchange; `done` gets the reply of any status, or `unavailable` when there was none.
  void send(bhttp::verb verb, const std::string& target, std::optional<std::string> body,
            std::chrono::milliseconds timeout, std::function<void(Reply)> done) {
    if (stopped) return;
    if (url_error) return done(fail(ControlError{ControlErrorCode::unavailable, *url_error}));
    bhttp::request<bhttp::string_body> request{verb, target, 11};
    request.set(bhttp::field::host, host_header(endpoint));
    request.set(bhttp::field::user_agent, "callcastd");
    if (!authorization.empty()) request.set(bhttp::field::authorization, authorization);
    if (body) {
      request.set(bhttp::field::content_type, "application/json");
      request.body() = std::move(*body);
    }
    request.keep_alive(false);
    request.prepare_payload();

    ++counters.requests;
    const std::uint64_t id = ++next_exchange_id;
    auto exchange = std::make_shared<HttpExchange>(
        io, std::move(request), timeout, options.max_response_bytes,
        [weak = weak_from_this(), id, done = std::move(done)](Result<HttpReply, std::string> r) {
          const std::shared_ptr<MediaClient> self = weak.lock();
          if (!self || self->stopped) return;
          self->in_flight.erase(id);
          if (!r) {
            ++self->counters.unreachable;
            return done(fail(ControlError{
                ControlErrorCode::unavailable,
                "media side " + self->endpoint.base_url + " unreachable: " + r.error()}));
          }
          done(std::move(r).value());
        });
    in_flight[id] = exchange;
    exchange->start(endpoint);
  }

  // An operation of the admin API: a 2xx reply goes through `parse`, anything else becomes the
  // ControlError it carries.
  template <class T, class Parse>
  void call(bhttp::verb verb, const std::string& target, std::optional<std::string> body,
            Parse parse, control::Done<T> done) {
    send(verb, target, std::move(body), options.request_timeout,
         [this, parse = std::move(parse), done = std::move(done)](Reply reply) {
           if (!reply) return done(fail(reply.error()));
           if (reply->status < 200 || reply->status > 299) {
             return done(fail(error_from_reply(*reply, endpoint.base_url)));
           }
           Result<T, std::string> parsed = parse(reply->body);
           if (!parsed) {
             return done(
                 fail(ControlError{ControlErrorCode::unavailable,
                                   "media side " + endpoint.base_url +
                                       " answered with an unreadable body: " + parsed.error()}));
           }
           done(std::move(parsed).value());
         });
  }

  void subscribe(std::function<void(const core::GroupEvent&)> listener) {
    if (stopped) return;
    listeners.push_back(std::move(listener));
    if (polling) return;
    polling = true;
    poll();
  }

  void abort_all() {
    retry_timer.cancel();
    std::map<std::uint64_t, std::weak_ptr<HttpExchange>> open = std::exchange(in_flight, {});
    for (auto& [id, weak] : open) {
      if (const std::shared_ptr<HttpExchange> exchange = weak.lock()) exchange->abort();
    }
  }

  asio::io_context& io;
  MediaEndpoint endpoint;
  std::optional<std::string> url_error;
  std::string authorization;
  HttpMediaControlOptions options;
  std::atomic<bool> stopped{false};
  std::function<void(control::ResyncCause)> on_resync;

  struct Counters {
    std::atomic<std::uint64_t> requests{0};
    std::atomic<std::uint64_t> unreachable{0};
    std::atomic<std::uint64_t> events{0};
    std::atomic<std::uint64_t> resyncs{0};
    std::atomic<std::uint64_t> outages{0};
  } counters;

 private:
  void poll() {
    if (stopped) return;
    // Without a position, ask for it without waiting: the caller resyncs at once, and every
    // event after that position is buffered for the next poll, so nothing falls in between.
    const std::chrono::milliseconds wait =
        position ? options.poll_wait : std::chrono::milliseconds(0);
    std::string target = "/v1/events?wait_ms=" + std::to_string(wait.count());
    if (position) target += "&after=" + std::to_string(*position);
    send(bhttp::verb::get, target, std::nullopt, wait + options.request_timeout,
         [this](const Reply& reply) { on_poll(reply); });
  }

  void on_poll(const Reply& reply) {
    if (!reply) return poll_failed(reply.error().message);
    if (reply->status != 200) {
      return poll_failed(error_from_reply(*reply, endpoint.base_url).message + " (HTTP " +
                         std::to_string(reply->status) + ")");
    }
    Result<control::EventPage, std::string> page = parse_event_page(reply->body);
    if (!page) return poll_failed("unreadable event page: " + page.error());

    if (outage) {
      outage = false;
      spdlog::info("control: event feed from {} is back", endpoint.base_url);
    }
    backoff = options.retry_first;
    // Why the listeners may have missed events, if they may have.
    std::optional<std::string> missed;
    control::ResyncCause cause = control::ResyncCause::events_missed;
    if (!position) {
      spdlog::info("control: event feed from {} started at seq={}", endpoint.base_url, page->next);
      missed = "";  // what happened before is unknown: not a warning
      cause = control::ResyncCause::first_contact;
    } else if (epoch && *epoch != page->epoch) {
      missed = "the media side restarted";
      cause = control::ResyncCause::media_restarted;
    } else if (page->gap) {
      missed = "events after seq=" + std::to_string(*position) + " were dropped from its ring";
    }
    if (missed && !missed->empty()) {
      spdlog::warn("control: events from {} missed ({}); resyncing", endpoint.base_url, *missed);
    }
    epoch = page->epoch;
    position = page->next;

    for (const control::LoggedEvent& logged : page->events) {
      ++counters.events;
      // By index: a listener may subscribe another one (which is posted, but stay safe).
      for (std::size_t i = 0; i < listeners.size() && !stopped; ++i)
        listeners[i](logged.event);
    }
    // After the page's events: the state a resync reads is newer than all of them.
    if (missed && !stopped) {
      ++counters.resyncs;
      if (on_resync) on_resync(cause);
    }
    poll();
  }

  void poll_failed(const std::string& why) {
    if (stopped) return;
    if (!outage) {
      outage = true;
      ++counters.outages;
      spdlog::warn("control: event feed from {} lost: {}; retrying until it is back",
                   endpoint.base_url.empty() ? "(no URL)" : endpoint.base_url, why);
    }
    retry_timer.expires_after(backoff);
    backoff = std::min(backoff * 2, options.retry_max);
    retry_timer.async_wait([weak = weak_from_this()](beast::error_code ec) {
      if (ec) return;
      if (const std::shared_ptr<MediaClient> self = weak.lock()) self->poll();
    });
  }

  std::map<std::uint64_t, std::weak_ptr<HttpExchange>> in_flight;
  std::uint64_t next_exchange_id = 0;
  std::vector<std::function<void(const core::GroupEvent&)>> listeners;
  bool polling = false;
  bool outage = false;
  std::optional<std::uint64_t> position;  // the last seq read
  std::optional<std::string> epoch;
  asio::steady_timer retry_timer;
  std::chrono::milliseconds backoff;
};

}  // namespace detail

Result<MediaEndpoint, std::string> HttpMediaControl::parse_url(std::string_view base_url) {
  constexpr std::string_view scheme = "http://";
  const auto quoted = "\"" + std::string(base_url) + "\"";
  if (base_url.size() < scheme.size() ||
      !std::equal(scheme.begin(), scheme.end(), base_url.begin(), [](char a, char b) {
        return a == ((b >= 'A' && b <= 'Z') ? static_cast<char>(b - 'A' + 'a') : b);
      })) {
    return fail(quoted + " must start with http:// (https is not supported)");
  }
  std::string_view authority = base_url.substr(scheme.size());
  if (!authority.empty() && authority.back() == '/') authority.remove_suffix(1);
  if (authority.find_first_of("/?#@") != std::string_view::npos) {
    return fail(quoted + " must be http://host:port, without user, path, query or fragment");
  }
  Result<core::HostPort, std::string> host_port = core::parse_host_port(authority);
  if (!host_port) return fail(quoted + ": " + host_port.error());
  if (host_port->port == 0) return fail(quoted + ": the port must be 1-65535");
  MediaEndpoint endpoint{host_port->host, host_port->port, ""};
  endpoint.base_url = "http://" + host_header(endpoint);
  return endpoint;
}

Result<std::unique_ptr<HttpMediaControl>, std::string> HttpMediaControl::create(
    asio::io_context& io, std::string base_url, std::string api_key, Options options) {
  if (auto parsed = parse_url(base_url); !parsed) return fail(parsed.error());
  return std::make_unique<HttpMediaControl>(io, std::move(base_url), std::move(api_key), options);
}

HttpMediaControl::HttpMediaControl(asio::io_context& io, std::string base_url, std::string api_key,
                                   Options options) {
  Result<MediaEndpoint, std::string> parsed = parse_url(base_url);
  assert(parsed.ok() && "HttpMediaControl needs a valid http://host:port URL");
  client_ = std::make_shared<detail::MediaClient>(io, std::move(parsed), api_key, options);
}

HttpMediaControl::~HttpMediaControl() {
  stop();
}

void HttpMediaControl::stop() {
  if (client_->stopped.exchange(true)) return;
  // Runs inline when called on the loop; otherwise the callbacks already see `stopped`.
  asio::dispatch(client_->io, [client = client_] { client->abort_all(); });
}

void HttpMediaControl::set_resync_handler(std::function<void(control::ResyncCause)> on_resync) {
  asio::post(client_->io, [client = client_, on_resync = std::move(on_resync)]() mutable {
    client->on_resync = std::move(on_resync);
  });
}

const MediaEndpoint& HttpMediaControl::endpoint() const {
  return client_->endpoint;
}

HttpMediaControlStats HttpMediaControl::stats() const {
  const auto& c = client_->counters;
  return {c.requests.load(), c.unreachable.load(), c.events.load(), c.resyncs.load(),
          c.outages.load()};
}

void HttpMediaControl::create_group(std::string master, control::Done<control::GroupCreated> done) {
  asio::post(client_->io,
             [client = client_, master = std::move(master), done = std::move(done)]() mutable {
               client->call<control::GroupCreated>(bhttp::verb::post, "/v1/groups",
                                                   nlohmann::json{{"master", master}}.dump(),
                                                   parse_group_created, std::move(done));
             });
}

void HttpMediaControl::admit_viewer(std::string group, std::string viewer,
                                    control::Done<control::ViewerAdmitted> done) {
  asio::post(client_->io, [client = client_, group = std::move(group), viewer = std::move(viewer),
                           done = std::move(done)]() mutable {
    client->call<control::ViewerAdmitted>(
        bhttp::verb::post, "/v1/groups/" + path_segment(group) + "/viewers",
        nlohmann::json{{"viewer", viewer}}.dump(), parse_viewer_admitted, std::move(done));
  });
}

namespace {

Result<bool, std::string> no_body(std::string_view) {
  return true;
}

}  // namespace

void HttpMediaControl::start_phone_viewer(control::PhoneViewerRequest request,
                                          control::Done<control::PhoneViewerStarted> done) {
  asio::post(client_->io, [client = client_, request = std::move(request),
                           done = std::move(done)]() mutable {
    const std::string path = "/v1/groups/" + path_segment(request.group) + "/phone-viewers";
    client->call<control::PhoneViewerStarted>(bhttp::verb::post, path,
                                              nlohmann::json(request).dump(),
                                              parse_phone_viewer_started, std::move(done));
  });
}

void HttpMediaControl::start_webrtc_viewer(control::WebRtcViewerRequest request,
                                           control::Done<control::WebRtcViewerStarted> done) {
  asio::post(client_->io, [client = client_, request = std::move(request),
                           done = std::move(done)]() mutable {
    const std::string path = "/v1/groups/" + path_segment(request.group) + "/webrtc-viewers";
    client->call<control::WebRtcViewerStarted>(bhttp::verb::post, path,
                                               nlohmann::json(request).dump(),
                                               parse_webrtc_viewer_started, std::move(done));
  });
}

void HttpMediaControl::start_webrtc_publisher(control::WebRtcPublisherRequest request,
                                              control::Done<control::WebRtcViewerStarted> done) {
  asio::post(client_->io, [client = client_, request = std::move(request),
                           done = std::move(done)]() mutable {
    const std::string path = "/v1/groups/" + path_segment(request.group) + "/webrtc-publisher";
    client->call<control::WebRtcViewerStarted>(bhttp::verb::post, path,
                                               nlohmann::json(request).dump(),
                                               parse_webrtc_viewer_started, std::move(done));
  });
}

void HttpMediaControl::start_phone_publisher(control::PhonePublisherRequest request,
                                             control::Done<control::PhonePublisherStarted> done) {
  asio::post(client_->io, [client = client_, request = std::move(request),
                           done = std::move(done)]() mutable {
    const std::string path = "/v1/groups/" + path_segment(request.group) + "/phone-publisher";
    client->call<control::PhonePublisherStarted>(bhttp::verb::post, path,
                                                 nlohmann::json(request).dump(),
                                                 parse_phone_publisher_started, std::move(done));
  });
}

void HttpMediaControl::remove_viewer(std::string group, std::string viewer,
                                     control::Done<bool> done) {
  asio::post(client_->io, [client = client_, group = std::move(group), viewer = std::move(viewer),
                           done = std::move(done)]() mutable {
    client->call<bool>(bhttp::verb::delete_,
                       "/v1/groups/" + path_segment(group) + "/viewers/" + path_segment(viewer),
                       std::nullopt, no_body, std::move(done));
  });
}

void HttpMediaControl::close_group(std::string group, control::Done<bool> done) {
  asio::post(client_->io,
             [client = client_, group = std::move(group), done = std::move(done)]() mutable {
               client->call<bool>(bhttp::verb::delete_, "/v1/groups/" + path_segment(group),
                                  std::nullopt, no_body, std::move(done));
             });
}

void HttpMediaControl::list_groups(control::Done<std::vector<control::GroupSnapshot>> done) {
  asio::post(client_->io, [client = client_, done = std::move(done)]() mutable {
    client->call<std::vector<control::GroupSnapshot>>(bhttp::verb::get, "/v1/groups", std::nullopt,
                                                      parse_group_list, std::move(done));
  });
}

void HttpMediaControl::get_group(std::string group, control::Done<control::GroupSnapshot> done) {
  asio::post(
      client_->io, [client = client_, group = std::move(group), done = std::move(done)]() mutable {
        client->call<control::GroupSnapshot>(bhttp::verb::get, "/v1/groups/" + path_segment(group),
                                             std::nullopt, parse_group_snapshot, std::move(done));
      });
}

void HttpMediaControl::open_edge(control::EdgeRequest request,
                                 control::Done<control::EdgeOpened> done) {
  asio::post(client_->io,
             [client = client_, request = std::move(request), done = std::move(done)]() mutable {
               client->call<control::EdgeOpened>(bhttp::verb::post, "/v1/edges",
                                                 nlohmann::json(request).dump(), parse_edge_opened,
                                                 std::move(done));
             });
}

void HttpMediaControl::subscribe(std::function<void(const core::GroupEvent&)> listener) {
  asio::post(client_->io, [client = client_, listener = std::move(listener)]() mutable {
    client->subscribe(std::move(listener));
  });
}

}  // namespace callcast::http
