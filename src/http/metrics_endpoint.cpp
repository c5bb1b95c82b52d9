#include "http/metrics_endpoint.hpp"

#include <boost/asio/post.hpp>
#include <utility>

namespace callcast::http {

namespace {

// One scrape walking the sources in order; kept alive by the callbacks it hands out.
struct Scrape : std::enable_shared_from_this<Scrape> {
  Scrape(boost::asio::io_context& context,
         std::shared_ptr<const std::vector<MetricsEndpoint::Source>> all, Responder reply)
      : io(context), sources(std::move(all)), respond(std::move(reply)) {}

  void next() {
    if (index == sources->size()) {
      Response response;
      response.status = 200;
      response.body = gathered.text();
      response.set_header("Content-Type", MetricsEndpoint::kContentType);
      respond(std::move(response));
      return;
    }
    const MetricsEndpoint::Source& source = (*sources)[index++];
    source([self = shared_from_this()](stats::Exposition part) {
      // Back onto the server's loop: a source may answer on its own thread, and the next source
      // expects to be called on the loop.
      boost::asio::post(self->io, [self, part = std::move(part)] {
        self->gathered.append(part);
        self->next();
      });
    });
  }

  boost::asio::io_context& io;
  std::shared_ptr<const std::vector<MetricsEndpoint::Source>> sources;
  Responder respond;
  std::size_t index = 0;
  stats::Exposition gathered;
};

}  // namespace

MetricsEndpoint::MetricsEndpoint(boost::asio::io_context& io, HttpServer& server)
    : sources_(std::make_shared<std::vector<Source>>()) {
  server.route("GET", "/metrics",
               [&io, sources = sources_](const Request&, const Responder& respond) {
                 std::make_shared<Scrape>(io, sources, respond)->next();
               });
}

void MetricsEndpoint::add_source(Source source) {
  sources_->push_back(std::move(source));
}

}  // namespace callcast::http
