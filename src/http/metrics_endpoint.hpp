#pragma once
// GET /metrics: the Prometheus text exposition (format 0.0.4) of what this process runs, on the
// process's one HTTP server and under the admin API's access rule (AdminApi::guards): with an
// api_key a Bearer token, without one loopback peers only.
//
// Each part of the process adds a source; a scrape asks them in turn, each on the thread that
// owns its counters (the media loop's part runs there, the SIP part hops to the SIP thread and
// back), and answers with every family once.
#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <vector>

#include "http/http_server.hpp"
#include "stats/exposition.hpp"

namespace callcast::http {

class MetricsEndpoint {
 public:
  // Its part of the exposition: calls `done` exactly once, from any thread.
  using Done = std::function<void(stats::Exposition)>;
  using Source = std::function<void(Done done)>;

  static constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

  // Registers GET /metrics on `server`, whose handlers run on `io`. Sources are called on `io`.
  MetricsEndpoint(boost::asio::io_context& io, HttpServer& server);

  // Before the server listens (sources are not guarded by a lock).
  void add_source(Source source);

 private:
  std::shared_ptr<std::vector<Source>> sources_;
};

}  // namespace callcast::http
