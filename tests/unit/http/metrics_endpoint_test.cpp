// GET /metrics over a real socket: the admin API's access rule, the content type, and the parts
// of several sources (one answering from another thread) merged into one exposition.
#include "http/metrics_endpoint.hpp"

#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <string>
#include <thread>

#include "fake_media_control.hpp"
#include "http/admin_api.hpp"
#include "http_test_client.hpp"
#include "io_thread.hpp"
#include "stats/metric.hpp"

namespace callcast::http::metrics_endpoint_test {
namespace {

using test::Reply;
using test::TestClient;

constexpr const char* kKey = "metrics-key";
constexpr std::array<std::string_view, 1> kKindLabel{"kind"};
constexpr stats::Metric kLoopCounter{"test_loop_total", stats::Kind::counter, "On the loop.", ""};
constexpr stats::Metric kThreadGauge{"test_thread", stats::Kind::gauge, "From a thread.", "",
                                     kKindLabel};

class MetricsEndpointTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (!server_) return;
    io_.run_sync([this] { server_->stop(); });
    io_.join();
    for (auto& t : threads_)
      t.join();
  }

  void start(std::string api_key) {
    server_ = std::make_unique<HttpServer>(io_.io());
    AdminApi api(*server_, control_, std::move(api_key));
    metrics_ = std::make_unique<MetricsEndpoint>(io_.io(), *server_);
    metrics_->add_source([this](const MetricsEndpoint::Done& done) {
      ++scrapes_on_loop_;  // runs on the loop: no other thread touches it
      stats::Exposition part;
      part.add(kLoopCounter, scrapes_on_loop_);
      done(std::move(part));
    });
    metrics_->add_source([this](MetricsEndpoint::Done done) {
      // As the SIP part does: answers from its own thread.
      threads_.emplace_back([done = std::move(done)] {
        stats::Exposition part;
        part.add(kThreadGauge, {"a\"b"}, 2);
        done(std::move(part));
      });
    });
    ASSERT_TRUE(server_->listen("127.0.0.1", 0).ok());
    io_.start();
  }

  Reply get(std::vector<Header> headers = {}) {
    TestClient client(server_->port());
    auto reply = client.request("GET", "/metrics", {}, std::move(headers));
    EXPECT_TRUE(reply.has_value());
    return reply.value_or(Reply{});
  }

  test::IoThread io_;
  test::FakeMediaControl control_{io_.io()};
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<MetricsEndpoint> metrics_;
  std::vector<std::thread> threads_;
  double scrapes_on_loop_ = 0;
};

TEST_F(MetricsEndpointTest, AnswersEverySourcesFamiliesInPrometheusText) {
  start("");
  const Reply reply = get();
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(reply.body,
            "# HELP test_loop_total On the loop.\n"
            "# TYPE test_loop_total counter\n"
            "test_loop_total 1\n"
            "# HELP test_thread From a thread.\n"
            "# TYPE test_thread gauge\n"
            "test_thread{kind=\"a\\\"b\"} 2\n");
}

TEST_F(MetricsEndpointTest, EachScrapeAsksTheSourcesAgain) {
  start("");
  (void)get();
  EXPECT_NE(get().body.find("test_loop_total 2\n"), std::string::npos);
}

TEST_F(MetricsEndpointTest, WithAnApiKeyTheBearerTokenIsRequired) {
  start(kKey);
  const Reply refused = get();
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(refused.body.find("test_loop_total"), std::string::npos);
  const Reply served = get({{"Authorization", std::string("Bearer ") + kKey}});
  EXPECT_EQ(served.status, 200);
  EXPECT_NE(served.body.find("test_loop_total 1\n"), std::string::npos) << served.body;
}

}  // namespace
}  // namespace callcast::http::metrics_endpoint_test
