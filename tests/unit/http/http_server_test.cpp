// The generic HTTP server: listening, routing, limits, timeouts, and that one bad client never
// stops it serving the others.
#include "http/http_server.hpp"

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "http_test_client.hpp"
#include "io_thread.hpp"
#include "support/simulated_time.hpp"
#include "support/wait_until.hpp"

namespace callcast::http {
namespace {

using namespace std::chrono_literals;
using test::Reply;
using test::TestClient;

class HttpServerTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (server_) io_.run_sync([this] { server_->stop(); });
    io_.join();
    server_.reset();
  }

  // Creates the server with a GET /ping route; routes may be added before start(). Its
  // deadlines are timers of time_: they pass only when a test advances it.
  void create_server(ServerOptions options = {}) {
    server_ = std::make_unique<HttpServer>(io_.io(), options, time_, time_);
    server_->route("GET", "/ping", [](const Request&, Responder respond) {
      respond(Response::json(200, R"({"pong":true})"));
    });
  }

  void start() {
    const auto listening = server_->listen("127.0.0.1", 0);
    ASSERT_TRUE(listening.ok()) << listening.error();
    ASSERT_NE(server_->port(), 0);
    io_.start();
  }

  // Moves the server's clock on its loop thread, running the deadlines that fall due.
  void advance(std::chrono::milliseconds by) {
    io_.run_sync([&] { time_.advance(by); });
  }

  // Waits (bounded) until the server holds exactly `n` connections, so that a test advances the
  // clock over a known set of deadlines.
  bool connections_become(std::size_t n) {
    return callcast::test::wait_until([&] { return stats().active_connections == n; }, 5s, 2ms);
  }

  ServerStats stats() {
    ServerStats result;
    io_.run_sync([&] { result = server_->stats(); });
    return result;
  }

  void expect_still_serving() {
    TestClient client(server_->port());
    const auto reply = client.request("GET", "/ping");
    ASSERT_TRUE(reply.has_value());
    EXPECT_EQ(reply->status, 200);
  }

  callcast::test::SimulatedTime time_;  // outlives the loop and the server's timers
  test::IoThread io_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, PortZeroLetsTheSystemChoose) {
  create_server();
  start();
  EXPECT_GT(server_->port(), 0);
  expect_still_serving();
}

TEST_F(HttpServerTest, ListenOnABusyPortIsAClearError) {
  create_server();
  start();
  boost::asio::io_context other;
  HttpServer second(other);
  const auto listening = second.listen("127.0.0.1", server_->port());
  ASSERT_FALSE(listening.ok());
  EXPECT_EQ(listening.error(), "cannot listen on 127.0.0.1:" + std::to_string(server_->port()) +
                                   ": Address already in use");
  EXPECT_EQ(second.port(), 0);
}

TEST_F(HttpServerTest, ListenOnSomethingThatIsNotAnAddressIsAnError) {
  boost::asio::io_context io;
  HttpServer server(io);
  const auto listening = server.listen("not-an-address", 8080);
  ASSERT_FALSE(listening.ok());
  EXPECT_EQ(listening.error(), "cannot listen on not-an-address:8080: not an IP address");
}

TEST_F(HttpServerTest, ListenAcceptsLocalhostAndBracketedIpv6) {
  boost::asio::io_context io;
  HttpServer v4(io);
  EXPECT_TRUE(v4.listen("localhost", 0).ok());
  EXPECT_NE(v4.port(), 0);
  HttpServer v6(io);
  const auto listening = v6.listen("[::1]", 0);
  if (!listening.ok()) GTEST_SKIP() << "no IPv6 loopback here: " << listening.error();
  EXPECT_NE(v6.port(), 0);
}

TEST_F(HttpServerTest, RouteParametersArePassedToTheHandler) {
  create_server();
  server_->route("GET", "/things/{thing}/parts/{part}",
                 [](const Request& request, Responder respond) {
                   respond(Response::json(200, std::string(request.param("thing")) + "/" +
                                                   std::string(request.param("part")) + "/" +
                                                   request.peer_address));
                 });
  start();
  TestClient client(server_->port());
  const auto reply = client.request("GET", "/things/a%20b/parts/7?x=1");
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->body, "a b/7/127.0.0.1");
}

TEST_F(HttpServerTest, ResponderMayBeCalledFromAnotherThread) {
  create_server();
  std::thread worker;
  server_->route("GET", "/later", [&worker](const Request&, Responder respond) {
    worker = std::thread([respond] { respond(Response::json(200, "\"late\"")); });
  });
  start();
  TestClient client(server_->port());
  const auto reply = client.request("GET", "/later");
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->body, "\"late\"");
  io_.run_sync([] {});  // the handler's write to `worker` happens before the join below
  worker.join();
}

TEST_F(HttpServerTest, ThrowingHandlerGives500AndTheServerGoesOn) {
  create_server();
  server_->route("GET", "/boom",
                 [](const Request&, Responder) -> void { throw std::runtime_error("boom"); });
  start();
  TestClient client(server_->port());
  const auto reply = client.request("GET", "/boom");
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->status, 500);
  expect_still_serving();
}

TEST_F(HttpServerTest, NoContentResponseHasNoBody) {
  create_server();
  server_->route("DELETE", "/x", [](const Request&, Responder respond) {
    Response response = Response::empty(204);
    response.body = "ignored";
    respond(std::move(response));
  });
  start();
  TestClient client(server_->port());
  const auto reply = client.request("DELETE", "/x");
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->status, 204);
  EXPECT_TRUE(reply->body.empty());
  EXPECT_EQ(client.request("GET", "/ping")->status, 200);  // still in step on the connection
}

TEST_F(HttpServerTest, GarbageBytesGet400AndTheServerKeepsServing) {
  create_server();
  start();
  TestClient garbage(server_->port());
  ASSERT_TRUE(garbage.send_raw(std::string("\x01\x02\xff hello there\r\n\r\n", 19)));
  const auto reply = garbage.read_reply();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->status, 400);
  EXPECT_TRUE(garbage.wait_for_close());
  expect_still_serving();
  EXPECT_EQ(stats().bad_requests, 1u);
}

TEST_F(HttpServerTest, SilentClientTimesOutAndTheServerKeepsServing) {
  create_server({.read_timeout = std::chrono::milliseconds(1000)});
  start();
  TestClient silent(server_->port());
  ASSERT_TRUE(silent.connected());
  expect_still_serving();              // meanwhile
  ASSERT_TRUE(connections_become(1));  // the silent one alone
  advance(999ms);                      // not yet: the deadline is the whole read timeout
  EXPECT_EQ(stats().timeouts, 0u);
  EXPECT_EQ(stats().active_connections, 1u);
  advance(1ms);
  EXPECT_TRUE(silent.wait_for_close());
  expect_still_serving();
  EXPECT_EQ(stats().timeouts, 1u);
}

TEST_F(HttpServerTest, ClientThatStopsMidBodyTimesOut) {
  create_server({.read_timeout = std::chrono::milliseconds(500)});
  server_->route("POST", "/ping",
                 [](const Request&, Responder respond) { respond(Response::empty(204)); });
  start();
  TestClient client(server_->port());
  ASSERT_TRUE(client.send_raw("POST /ping HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc"));
  ASSERT_TRUE(connections_become(1));
  advance(499ms);
  EXPECT_EQ(stats().timeouts, 0u);
  advance(1ms);
  EXPECT_TRUE(client.wait_for_close());
  expect_still_serving();
  EXPECT_EQ(stats().timeouts, 1u);
}

TEST_F(HttpServerTest, ConnectionsBeyondTheLimitAreAcceptedAndClosed) {
  create_server({.max_connections = 1});
  start();
  TestClient first(server_->port());
  ASSERT_EQ(first.request("GET", "/ping")->status, 200);  // now surely accepted
  TestClient second(server_->port());
  EXPECT_TRUE(second.wait_for_close());
  EXPECT_EQ(first.request("GET", "/ping")->status, 200);
  const ServerStats counters = stats();
  EXPECT_EQ(counters.connections_rejected, 1u);
  EXPECT_EQ(counters.active_connections, 1u);
}

TEST_F(HttpServerTest, ConnectionCloseIsHonoured) {
  create_server();
  start();
  TestClient client(server_->port());
  const auto reply = client.request("GET", "/ping", {}, {{"Connection", "close"}});
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->header("Connection"), "close");
  EXPECT_TRUE(client.wait_for_close());
}

TEST_F(HttpServerTest, ExpectContinueGetsAnInterim100) {
  create_server();
  server_->route("POST", "/echo", [](const Request& request, Responder respond) {
    respond(Response::json(200, request.body));
  });
  start();
  TestClient client(server_->port());
  ASSERT_TRUE(client.send_raw(
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"));
  const auto interim = client.read_reply();
  ASSERT_TRUE(interim.has_value());
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(client.send_raw("1234"));
  const auto reply = client.read_reply();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->body, "1234");
}

TEST_F(HttpServerTest, FilterAnswersBeforeRouting) {
  create_server();
  server_->set_filter([](const Request& request) -> std::optional<Response> {
    if (request.header("X-Let-Me-In") == "yes") return std::nullopt;
    return Response::empty(401);
  });
  start();
  TestClient client(server_->port());
  EXPECT_EQ(client.request("GET", "/nowhere")->status, 401);
  EXPECT_EQ(client.request("GET", "/ping", {}, {{"x-let-me-in", "yes"}})->status, 200);
}

TEST_F(HttpServerTest, DefaultErrorsArePlainText) {
  create_server();
  start();
  TestClient client(server_->port());
  const auto reply = client.request("GET", "/nowhere");
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->status, 404);
  EXPECT_EQ(reply->header("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(reply->body, "no such resource: /nowhere\n");
}

TEST_F(HttpServerTest, StopClosesOpenConnections) {
  create_server();
  start();
  TestClient client(server_->port());
  ASSERT_EQ(client.request("GET", "/ping")->status, 200);
  io_.run_sync([this] { server_->stop(); });
  EXPECT_TRUE(client.wait_for_close());
  EXPECT_EQ(server_->port(), 0);
}

// Posts fn onto io after `hops` further hops through its queue.
void post_after_hops(boost::asio::io_context& io, int hops, std::function<void()> fn) {
  if (hops == 0) return boost::asio::post(io, std::move(fn));
  boost::asio::post(io, [&io, hops, fn = std::move(fn)]() mutable {
    post_after_hops(io, hops - 1, std::move(fn));
  });
}

// A request whose read completes in the loop turn after stop() must not reach its handler: the
// handlers' owners may already be gone (AddressSanitizer caught that use after free when a test's
// media side shut down under a pipelined event poll). The client pipelines two requests; the
// first one's handler stops the server a few loop hops later, so that for one hop count the stop
// lands between the second request's read and its completion.
TEST(HttpServerStop, PipelinedRequestCompletingAfterStopIsNotDispatched) {
  int late_dispatches = 0;
  for (int hops = 0; hops < 8; ++hops) {
    boost::asio::io_context io;
    HttpServer server(io);
    bool stopped = false;
    server.route("GET", "/first", [&](const Request&, Responder respond) {
      respond(Response::json(200, "{}"));
      post_after_hops(io, hops, [&] {
        server.stop();
        stopped = true;
      });
    });
    server.route("GET", "/second", [&](const Request&, Responder respond) {
      if (stopped) ++late_dispatches;
      respond(Response::json(200, "{}"));
    });
    ASSERT_TRUE(server.listen("127.0.0.1", 0).ok());
    boost::asio::io_context client_io;
    boost::asio::ip::tcp::socket client(client_io);
    client.connect({boost::asio::ip::make_address("127.0.0.1"), server.port()});
    const std::string requests =
        "GET /first HTTP/1.1\r\nHost: x\r\n\r\nGET /second HTTP/1.1\r\nHost: x\r\n\r\n";
    boost::asio::write(client, boost::asio::buffer(requests));
    io.run_for(2s);  // ends early once the stopped server has no work left
  }
  EXPECT_EQ(late_dispatches, 0);
}

TEST(LoopbackAddress, RecognisesEveryLoopbackForm) {
  for (const char* address : {"127.0.0.1", "127.0.0.2", "127.255.255.254", "::1",
                              "::ffff:127.0.0.1", "0:0:0:0:0:0:0:1"}) {
    EXPECT_TRUE(is_loopback_address(address)) << address;
  }
  for (const char* address : {"10.0.0.1", "128.0.0.1", "0.0.0.0", "::", "::2", "::ffff:10.1.2.3",
                              "::127.0.0.1", "fe80::1", "localhost", "", "127.0.0.1x"}) {
    EXPECT_FALSE(is_loopback_address(address)) << address;
  }
}

TEST(Responder, DroppingEveryCopyUnansweredSendsTheFallback) {
  std::vector<int> sent;
  {
    const Responder responder([&](Response r) { sent.push_back(r.status); }, Response::empty(503));
    const Responder copy = responder;  // NOLINT(performance-unnecessary-copy-initialization)
    (void)copy;
  }
  EXPECT_EQ(sent, std::vector<int>{503});
}

TEST(Responder, AnsweredResponderSendsOnce) {
  std::vector<int> sent;
  {
    const Responder responder([&](Response r) { sent.push_back(r.status); });
    EXPECT_FALSE(responder.responded());
    responder(Response::empty(204));
    EXPECT_TRUE(responder.responded());
  }
  EXPECT_EQ(sent, std::vector<int>{204});
}

}  // namespace
}  // namespace callcast::http
