#pragma once
// The one place datagrams are handed to the kernel: a batch of messages in one system call, on
// the server's RTP or RTCP socket. DatagramBatcher builds the batches; this is an interface so
// that the relay's batching is tested without sockets, or with a fault injected on one
// destination. The socket version is tested on loopback.
#include <sys/socket.h>

#include <cstddef>
#include <span>

namespace callcast::media {

class DatagramTransmitter {
 public:
  virtual ~DatagramTransmitter() = default;
  // The number of messages the kernel took from the first (never blocking), or -1 with `error`
  // set (errno) when the first one failed. Called from several threads at once.
  virtual int transmit(std::span<mmsghdr> messages, int& error) = 0;
};

// The system call on a socket the caller owns (shared by every worker: the viewers expect our
// packets from the one RTP port the SETUP answer named).
class SocketTransmitter final : public DatagramTransmitter {
 public:
  explicit SocketTransmitter(int fd) : fd_(fd) {}
  int transmit(std::span<mmsghdr> messages, int& error) override;

 private:
  int fd_;
};

}  // namespace callcast::media
