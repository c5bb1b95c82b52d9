#pragma once
// A publisher the test controls byte by byte: ffmpeg encodes the test pattern to plain RTP on a
// local UDP port, and this class relays every packet to callcastd as RTSP interleaved frames on
// its own ANNOUNCE/SETUP/RECORD connection. Between two real packets it can slip in whatever a
// test asks for (malformed RTP, frames on a channel nobody set up).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/child_process.hpp"
#include "support/rtsp_test_client.hpp"
#include "support/udp_media_receiver.hpp"

namespace callcast::test {

class RelayPublisher {
 public:
  explicit RelayPublisher(std::filesystem::path dir);
  ~RelayPublisher();  // stops relaying, closes the connection, stops ffmpeg
  RelayPublisher(const RelayPublisher&) = delete;
  RelayPublisher& operator=(const RelayPublisher&) = delete;

  // Starts ffmpeg, publishes to `publish_url` and relays in a background thread.
  ::testing::AssertionResult start(const std::string& publish_url);
  void stop();

  // Queues one interleaved frame to be sent between two relayed packets.
  void inject(std::uint8_t channel, std::vector<std::uint8_t> payload);
  // Injected frames not yet written.
  std::size_t pending_injections();
  std::uint64_t relayed_packets() const { return relayed_.load(); }
  // Why the relay thread stopped early ("" while it runs).
  std::string failure();

 private:
  void relay();

  std::filesystem::path dir_;
  std::unique_ptr<ChildProcess> ffmpeg_;
  UdpMediaReceiver source_;
  RtspTestClient rtsp_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> relayed_{0};
  std::mutex mutex_;
  std::vector<std::pair<std::uint8_t, std::vector<std::uint8_t>>> injections_;
  std::string failure_;
};

}  // namespace callcast::test
