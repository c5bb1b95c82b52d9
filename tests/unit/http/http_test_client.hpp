#pragma once
// A blocking HTTP/1.1 client for the tests: one TCP connection, every operation bounded by a
// timeout so that a misbehaving server fails the test instead of hanging it.
#include <chrono>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/http_server.hpp"

namespace callcast::http::test {

struct Reply {
  int status = 0;
  std::vector<Header> headers;
  std::string body;

  std::optional<std::string> header(std::string_view name) const;
  // The body parsed as JSON; a discarded value when it is not JSON.
  nlohmann::json json() const;
};

class TestClient {
 public:
  explicit TestClient(std::uint16_t port,
                      std::chrono::milliseconds timeout = std::chrono::seconds(5));
  ~TestClient();
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  bool connected() const;

  // Writes one request and reads its reply; nullopt when the connection failed.
  std::optional<Reply> request(std::string_view method, std::string_view target,
                               std::string body = {}, std::vector<Header> headers = {});
  // Writes one request without waiting for the reply. chunked: send the body chunked.
  bool send_request(std::string_view method, std::string_view target, std::string body = {},
                    std::vector<Header> headers = {}, bool chunked = false);
  bool send_raw(std::string_view bytes);
  std::optional<Reply> read_reply();
  // True once the server has closed the connection (EOF or reset) within the timeout; data
  // received meanwhile is discarded.
  bool wait_for_close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace callcast::http::test
