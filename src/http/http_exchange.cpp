#include "http/http_exchange.hpp"

#include <utility>

namespace callcast::http {

HttpExchange::HttpExchange(asio::io_context& io, bhttp::request<bhttp::string_body> request,
                           std::chrono::milliseconds timeout, std::size_t body_limit,
                           ExchangeDone done)
    : resolver_(io),
      socket_(io),
      deadline_(io),
      request_(std::move(request)),
      timeout_(timeout),
      body_limit_(body_limit),
      done_(std::move(done)) {}

void HttpExchange::start(const MediaEndpoint& endpoint) {
  deadline_.expires_after(timeout_);
  deadline_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (!ec) self->on_deadline();
  });
  beast::error_code ec;
  const asio::ip::address address = asio::ip::make_address(endpoint.host, ec);
  if (!ec) return connect({tcp::endpoint(address, endpoint.port)});
  resolver_.async_resolve(
      endpoint.host, std::to_string(endpoint.port),
      [self = shared_from_this()](beast::error_code rec, const tcp::resolver::results_type& r) {
        if (rec) return self->finish_with(rec);
        self->connect({r.begin(), r.end()});
      });
}

void HttpExchange::abort() {
  done_ = nullptr;
  close();
}

void HttpExchange::connect(const std::vector<tcp::endpoint>& endpoints) {
  asio::async_connect(socket_, endpoints,
                      [self = shared_from_this()](beast::error_code ec, const tcp::endpoint&) {
                        if (ec) return self->finish_with(ec);
                        self->write();
                      });
}

void HttpExchange::write() {
  bhttp::async_write(socket_, request_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       if (ec) return self->finish_with(ec);
                       self->read();
                     });
}

// The header first: Beast 1.74's async_read loses the body-limit error of a Content-Length
// above the limit and tries to reserve that much, so the length is checked here.
void HttpExchange::read() {
  parser_.emplace();
  parser_->body_limit(body_limit_);
  bhttp::async_read_header(
      socket_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
        if (ec) return self->finish_with(ec);
        const auto length = self->parser_->content_length();
        if (length && *length > self->body_limit_) {
          return self->finish(fail("the answer's body (" + std::to_string(*length) +
                                   " bytes) is over the limit of " +
                                   std::to_string(self->body_limit_)));
        }
        self->read_body();
      });
}

void HttpExchange::read_body() {
  bhttp::async_read(socket_, buffer_, *parser_,
                    [self = shared_from_this()](beast::error_code ec, std::size_t) {
                      if (ec) return self->finish_with(ec);
                      auto& response = self->parser_->get();
                      self->finish(HttpReply{response.result_int(), std::move(response.body())});
                    });
}

void HttpExchange::on_deadline() {
  timed_out_ = true;
  close();
  finish(fail("no answer within " + std::to_string(timeout_.count()) + " ms"));
}

void HttpExchange::finish_with(beast::error_code ec) {
  finish(fail(timed_out_ ? "no answer within " + std::to_string(timeout_.count()) + " ms"
                         : ec.message()));
}

void HttpExchange::finish(Result<HttpReply, std::string> result) {
  close();
  if (!done_) return;
  ExchangeDone done = std::move(done_);
  done_ = nullptr;
  done(std::move(result));
}

void HttpExchange::close() {
  deadline_.cancel();
  resolver_.cancel();
  beast::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

}  // namespace callcast::http
