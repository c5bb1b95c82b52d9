// The relay between rtspclientsink and the streaming server (issue 12) on real loopback sockets:
// bytes pass unchanged both ways, the server's interleaved RTCP is handed on, a server that
// cannot be reached closes the sink's connection with a line saying why, a reset server
// connection resets the sink's.
#include "terminal/media/rtcp_feedback_relay.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>
#include <string>
#include <vector>

namespace callcast::terminal {
namespace {

constexpr int kWaitMs = 5000;

int listen_loopback(std::uint16_t& port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), length), 0);
  EXPECT_EQ(::listen(fd, 4), 0);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  port = ntohs(address.sin_port);
  return fd;
}

int connect_to(const std::string& host_port) {
  const auto colon = host_port.rfind(':');
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(std::stoi(host_port.substr(colon + 1))));
  ::inet_pton(AF_INET, host_port.substr(0, colon).c_str(), &address.sin_addr);
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  return fd;
}

int accept_within(int listener) {
  pollfd p{listener, POLLIN, 0};
  if (::poll(&p, 1, kWaitMs) != 1) return -1;
  return ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
}

// Reads exactly `size` bytes, or what came before the peer closed or kWaitMs passed; errno of a
// failed read in `error`.
std::string read_within(int fd, std::size_t size, int* error = nullptr) {
  std::string out;
  while (out.size() < size) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, kWaitMs) != 1) break;
    char chunk[4096];
    const ssize_t n = ::recv(fd, chunk, std::min(sizeof(chunk), size - out.size()), 0);
    if (n < 0 && error != nullptr) *error = errno;
    if (n <= 0) break;
    out.append(chunk, static_cast<std::size_t>(n));
  }
  return out;
}

void send_all(int fd, const std::string& bytes) {
  ASSERT_EQ(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(bytes.size()));
}

class RtcpFeedbackRelayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    relay_ = RtcpFeedbackRelay::create(
        [this](rtp::Bytes rtcp) {
          std::lock_guard lock(mutex_);
          rtcp_.emplace_back(rtcp.begin(), rtcp.end());
        },
        error);
    ASSERT_TRUE(relay_) << error;
  }
  void TearDown() override {
    relay_.reset();
    for (int fd : {server_, sink_, server_listener_}) {
      if (fd >= 0) ::close(fd);
    }
  }
  // The sink connects to the relay, which connects on to the server.
  void connect_through() {
    std::uint16_t port = 0;
    server_listener_ = listen_loopback(port);
    relay_->set_server("127.0.0.1", port);
    sink_ = connect_to(relay_->proxy());
    server_ = accept_within(server_listener_);
    ASSERT_GE(server_, 0);
  }
  std::vector<std::vector<std::uint8_t>> rtcp() {
    std::lock_guard lock(mutex_);
    return rtcp_;
  }

  std::unique_ptr<RtcpFeedbackRelay> relay_;
  int server_listener_ = -1, server_ = -1, sink_ = -1;
  std::mutex mutex_;
  std::vector<std::vector<std::uint8_t>> rtcp_;
};

TEST_F(RtcpFeedbackRelayTest, BytesPassUnchangedBothWaysAndTheServersRtcpIsHandedOn) {
  connect_through();
  const std::string announce = "ANNOUNCE rtsp://h/g RTSP/1.0\r\nCSeq: 1\r\n\r\n";
  send_all(sink_, announce + std::string("$\x00\x00\x02\x80\x60", 6));
  EXPECT_EQ(read_within(server_, announce.size() + 6),
            announce + std::string("$\x00\x00\x02\x80\x60", 6));
  const std::string answer = "RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\n";
  const std::string pli("$\x01\x00\x0c\x81\xce\x00\x02\x00\x00\x00\x01\x00\x00\x00\x02", 16);
  send_all(server_, answer + pli);
  EXPECT_EQ(read_within(sink_, answer.size() + pli.size()), answer + pli);
  ASSERT_EQ(rtcp().size(), 1u);  // handed on before the bytes went on to the sink
  EXPECT_EQ(rtcp()[0].size(), 12u);
  EXPECT_EQ(relay_->rtcp_frames(), 1u);
  EXPECT_FALSE(relay_->server_failure());
}

TEST_F(RtcpFeedbackRelayTest, AServerThatCannotBeReachedClosesTheSinksConnectionAndSaysWhy) {
  std::uint16_t port = 0;
  ::close(listen_loopback(port));  // nothing listens there now
  relay_->set_server("127.0.0.1", port);
  sink_ = connect_to(relay_->proxy());
  EXPECT_EQ(read_within(sink_, 1), "");
  const auto failure = relay_->server_failure();
  ASSERT_TRUE(failure);
  EXPECT_EQ(*failure,
            "Failed to connect to 127.0.0.1:" + std::to_string(port) + " (Connection refused)");
}

TEST_F(RtcpFeedbackRelayTest, AResetServerConnectionResetsTheSinks) {
  connect_through();
  send_all(sink_, "OPTIONS * RTSP/1.0\r\n\r\n");  // the relay is past its connect
  ASSERT_EQ(read_within(server_, 22).size(), 22u);
  const linger abort{1, 0};
  ::setsockopt(server_, SOL_SOCKET, SO_LINGER, &abort, sizeof(abort));
  ::close(server_);
  server_ = -1;
  int error = 0;
  EXPECT_EQ(read_within(sink_, 1, &error), "");
  EXPECT_EQ(error, ECONNRESET);
}

TEST_F(RtcpFeedbackRelayTest, ANewConnectionFromTheSinkReplacesTheOld) {
  connect_through();
  const int old_server = server_;
  sink_ = (::close(sink_), connect_to(relay_->proxy()));
  server_ = accept_within(server_listener_);
  ASSERT_GE(server_, 0);
  EXPECT_EQ(read_within(old_server, 1), "");  // closed
  ::close(old_server);
  send_all(sink_, "OPTIONS * RTSP/1.0\r\n\r\n");
  EXPECT_EQ(read_within(server_, 22), "OPTIONS * RTSP/1.0\r\n\r\n");
}

}  // namespace
}  // namespace callcast::terminal
