#pragma once
// Redis pub/sub on a connection and thread of its own (issue 15: the media nodes' events reach
// the signaling nodes over Redis instead of the HTTP long-poll). It SUBSCRIBEs to its channels
// and hands each message to a callback; when the connection drops (Redis restarted, the network
// failed, no PONG to its keep-alive PING) it connects and subscribes again, backing off between
// attempts, for as long as it lives. Destruction stops it promptly: the thread waits on the
// socket and on a wake-up descriptor together, never in a blind sleep.
//
// Pub/sub keeps nothing for a subscriber that is away: on_subscribed(first=false) says that
// messages may have been missed, so that the owner rebuilds its view (a resync).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/host_port.hpp"

namespace callcast::cluster {

struct RedisSubscriberOptions {
  std::chrono::milliseconds connect_timeout{1000};
  // A connection silent for this long gets a PING; without an answer within reply_timeout it
  // is taken for dead (a peer that vanished without closing: power cut, partition).
  std::chrono::milliseconds ping_interval{2000};
  std::chrono::milliseconds reply_timeout{1000};
  // Waits between attempts to reconnect: first, doubling up to max.
  std::chrono::milliseconds backoff_first{100};
  std::chrono::milliseconds backoff_max{2000};
};

class RedisSubscriber {
 public:
  // Both run on the subscriber's thread and must not throw; a slow one delays later messages.
  using MessageHandler = std::function<void(std::string_view channel, std::string_view message)>;
  // Every channel is subscribed; `first` is false after a reconnection.
  using SubscribedHandler = std::function<void(bool first)>;

  // Starts the thread at once; it connects in the background (a Redis down at start is retried
  // like a lost one). Precondition: channels is not empty.
  RedisSubscriber(core::HostPort server, std::vector<std::string> channels,
                  MessageHandler on_message, SubscribedHandler on_subscribed = {},
                  RedisSubscriberOptions options = {});
  ~RedisSubscriber();
  RedisSubscriber(const RedisSubscriber&) = delete;
  RedisSubscriber& operator=(const RedisSubscriber&) = delete;

  bool subscribed() const { return subscribed_.load(); }
  std::uint64_t messages() const { return messages_.load(); }
  std::uint64_t subscriptions() const { return subscriptions_.load(); }  // times subscribed
  std::uint64_t connection_failures() const { return connection_failures_.load(); }
  // Why the connection was last lost or refused ("" before any failure).
  std::string last_error() const;
  const std::string& server_name() const { return name_; }

 private:
  class Connection;
  void run();
  // One connection's life: returns when it fails or the subscriber stops.
  void serve(Connection& connection);
  void record_failure(const std::string& why);
  // Waits up to `delay` unless stopped first; false once stopping.
  bool pause(std::chrono::milliseconds delay);

  core::HostPort server_;
  std::vector<std::string> channels_;
  MessageHandler on_message_;
  SubscribedHandler on_subscribed_;
  RedisSubscriberOptions options_;
  std::string name_;

  int wake_fd_ = -1;  // eventfd: written once by the destructor
  std::atomic<bool> stopping_{false};
  std::atomic<bool> subscribed_{false};
  std::atomic<std::uint64_t> messages_{0};
  std::atomic<std::uint64_t> subscriptions_{0};
  std::atomic<std::uint64_t> connection_failures_{0};
  mutable std::mutex error_mutex_;
  std::string last_error_;
  bool outage_logged_ = false;  // subscriber thread only
  std::thread thread_;
};

}  // namespace callcast::cluster
