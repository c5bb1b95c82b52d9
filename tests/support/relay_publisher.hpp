#pragma once
// A publisher the test controls byte by byte: ffmpeg encodes the test pattern to plain RTP on a
// local UDP port, and this class relays every packet to callcastd as RTSP interleaved frames on
// its own ANNOUNCE/SETUP/RECORD connection. Between two real packets it can slip in whatever a
// test asks for (malformed RTP, frames on a channel nobody set up). It can also play the master's
// bad days (issue 10): its connection reset while ffmpeg goes on, a reconnection with the same
// URL, and a stall that holds every packet back and then sends the backlog at once.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
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

  // Resets the RTSP connection (TCP RST) and stops relaying; ffmpeg goes on encoding.
  void reset_connection();
  // ANNOUNCE/SETUP/RECORD again on a new connection and relay on, from ffmpeg's current packets
  // (what it sent while disconnected is dropped, as a real encoder's socket would).
  ::testing::AssertionResult reconnect(const std::string& publish_url);
  // The next `duration` of packets is held back, then sent all at once with the timestamps it
  // was captured with, then relaying goes on live: a stopped process resumed (kill -STOP/-CONT).
  void freeze(std::chrono::milliseconds duration);
  // Packets held back by the last freeze() and sent in its burst (0 until the burst is sent).
  std::uint64_t burst_packets() const { return burst_packets_.load(); }

  // Queues one interleaved frame to be sent between two relayed packets.
  void inject(std::uint8_t channel, std::vector<std::uint8_t> payload);
  // Injected frames not yet written.
  std::size_t pending_injections();
  std::uint64_t relayed_packets() const { return relayed_.load(); }
  // Why the relay thread stopped early ("" while it runs).
  std::string failure();

 private:
  void relay();
  ::testing::AssertionResult publish(const std::string& publish_url);
  void stop_relaying();

  std::filesystem::path dir_;
  std::unique_ptr<ChildProcess> ffmpeg_;
  UdpMediaReceiver source_;
  RtspTestClient rtsp_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> relayed_{0};
  std::atomic<std::int64_t> freeze_ms_{0};
  std::atomic<std::uint64_t> burst_packets_{0};
  std::string sdp_;
  std::mutex mutex_;
  std::vector<std::pair<std::uint8_t, std::vector<std::uint8_t>>> injections_;
  std::string failure_;
};

}  // namespace callcast::test
