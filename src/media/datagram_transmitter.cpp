#include "media/datagram_transmitter.hpp"

#include <cerrno>

namespace callcast::media {

int SocketTransmitter::transmit(std::span<mmsghdr> messages, int& error) {
  const int sent =
      ::sendmmsg(fd_, messages.data(), static_cast<unsigned>(messages.size()), MSG_DONTWAIT);
  if (sent < 0) error = errno;
  return sent;
}

}  // namespace callcast::media
