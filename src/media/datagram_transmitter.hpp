#pragma once
// Where the fan-out workers hand datagrams to the kernel: sendmmsg(2) on the server's RTP socket.
// An interface so that the relay's batching is tested without sockets; the socket version is
// tested on loopback.
#include <sys/socket.h>

#include <cstddef>
#include <span>

namespace callcast::media {

class DatagramTransmitter {
 public:
  virtual ~DatagramTransmitter() = default;
  // As sendmmsg(2) with MSG_DONTWAIT: the number of messages sent from the first, or -1 with
  // `error` set (errno) when the first one failed. Called from several threads at once.
  virtual int transmit(std::span<mmsghdr> messages, int& error) = 0;
};

// sendmmsg on a socket the caller owns (shared by every worker: the viewers expect our packets
// from the one RTP port the SETUP answer named).
class SocketTransmitter final : public DatagramTransmitter {
 public:
  explicit SocketTransmitter(int fd) : fd_(fd) {}
  int transmit(std::span<mmsghdr> messages, int& error) override;

 private:
  int fd_;
};

}  // namespace callcast::media
