#include "cluster/redis_subscriber.hpp"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <utility>

namespace callcast::cluster {

namespace {

using Clock = std::chrono::steady_clock;

timeval subscriber_timeval(std::chrono::milliseconds duration) {
  const auto ms = std::max<std::chrono::milliseconds::rep>(duration.count(), 1);
  return timeval{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
}

struct SubscriberReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using SubscriberReply = std::unique_ptr<redisReply, SubscriberReplyDeleter>;

std::string_view element_text(const redisReply& reply, std::size_t index) {
  if (index >= reply.elements) return {};
  const redisReply* element = reply.element[index];
  if (element->type != REDIS_REPLY_STRING && element->type != REDIS_REPLY_STATUS) return {};
  return {element->str, element->len};
}

int poll_timeout_ms(Clock::duration left) {
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return static_cast<int>(std::clamp<std::chrono::milliseconds::rep>(ms, 0, 60'000));
}

}  // namespace

// The hiredis context of one connection, freed whichever way serve() ends.
class RedisSubscriber::Connection {
 public:
  explicit Connection(redisContext* context) : context_(context) {}
  ~Connection() { redisFree(context_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  redisContext* get() const { return context_; }

 private:
  redisContext* context_;
};

RedisSubscriber::RedisSubscriber(core::HostPort server, std::vector<std::string> channels,
                                 MessageHandler on_message, SubscribedHandler on_subscribed,
                                 RedisSubscriberOptions options)
    : server_(std::move(server)),
      channels_(std::move(channels)),
      on_message_(std::move(on_message)),
      on_subscribed_(std::move(on_subscribed)),
      options_(options),
      name_("redis " + core::to_string(server_)) {
  assert(!channels_.empty());
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  // Without it the thread could not be woken: an invariant of the process (descriptors left),
  // not a condition of the data.
  assert(wake_fd_ >= 0);
  thread_ = std::thread([this] { run(); });
}

RedisSubscriber::~RedisSubscriber() {
  stopping_ = true;
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t written = ::write(wake_fd_, &one, sizeof(one));
  thread_.join();
  ::close(wake_fd_);
}

std::string RedisSubscriber::last_error() const {
  const std::lock_guard lock(error_mutex_);
  return last_error_;
}

void RedisSubscriber::record_failure(const std::string& why) {
  ++connection_failures_;
  {
    const std::lock_guard lock(error_mutex_);
    last_error_ = why;
  }
  // One warning per outage, not one per attempt.
  if (!outage_logged_) {
    outage_logged_ = true;
    if (subscriptions_.load() == 0) {
      spdlog::warn("cluster: cannot subscribe to {} yet: {}; retrying until it is up", name_, why);
    } else {
      spdlog::warn("cluster: subscription to {} lost: {}; retrying until it is back", name_, why);
    }
  }
}

bool RedisSubscriber::pause(std::chrono::milliseconds delay) {
  pollfd wake{wake_fd_, POLLIN, 0};
  const auto deadline = Clock::now() + delay;
  // EINTR can cut a poll short: wait again for what is left, never past the deadline.
  while (!stopping_) {
    const auto left = deadline - Clock::now();
    if (left <= Clock::duration::zero()) break;
    if (::poll(&wake, 1, poll_timeout_ms(left)) > 0) break;
  }
  return !stopping_;
}

void RedisSubscriber::run() {
  std::chrono::milliseconds backoff = options_.backoff_first;
  while (!stopping_) {
    redisContext* raw = redisConnectWithTimeout(server_.host.c_str(), server_.port,
                                                subscriber_timeval(options_.connect_timeout));
    if (raw == nullptr || raw->err != 0) {
      record_failure("cannot connect: " +
                     std::string(raw != nullptr ? raw->errstr : "out of memory"));
      if (raw != nullptr) redisFree(raw);
    } else {
      Connection connection(raw);
      const std::uint64_t before = subscriptions_.load();
      serve(connection);
      subscribed_ = false;
      // A connection that got as far as subscribing was a success: start the backoff afresh.
      if (subscriptions_.load() != before) backoff = options_.backoff_first;
    }
    if (!pause(backoff)) break;
    backoff = std::min(backoff * 2, options_.backoff_max);
  }
  subscribed_ = false;
}

void RedisSubscriber::serve(Connection& connection) {
  redisContext* context = connection.get();
  // Writes block at most this long (SO_SNDTIMEO); reads are only made when poll says ready.
  redisSetTimeout(context, subscriber_timeval(options_.reply_timeout));

  std::vector<std::string> argv{"SUBSCRIBE"};
  argv.insert(argv.end(), channels_.begin(), channels_.end());
  std::vector<const char*> pointers;
  std::vector<std::size_t> lengths;
  for (const std::string& arg : argv) {
    pointers.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  const auto send_pending = [&]() {
    int done = 0;
    // Each round writes what the socket takes or fails after the send timeout: bounded.
    while (done == 0) {
      if (redisBufferWrite(context, &done) != REDIS_OK) return false;
    }
    return true;
  };
  if (redisAppendCommandArgv(context, static_cast<int>(pointers.size()), pointers.data(),
                             lengths.data()) != REDIS_OK ||
      !send_pending()) {
    record_failure("cannot send SUBSCRIBE: " + std::string(context->errstr));
    return;
  }

  std::size_t confirmed = 0;
  Clock::time_point last_heard = Clock::now();
  // A flag and a time rather than an optional: GCC 12 at -O2 takes the optional's time for
  // possibly uninitialized (-Wmaybe-uninitialized), which broke the release build under -Werror.
  bool ping_pending = false;
  Clock::time_point ping_sent{};
  // Until SUBSCRIBE is confirmed, the reply timeout applies to it as to a PING.
  Clock::time_point waiting_since = last_heard;
  bool waiting = true;

  while (!stopping_) {
    // Hand out every reply already read before waiting for more.
    for (;;) {
      void* raw = nullptr;
      if (redisGetReplyFromReader(context, &raw) != REDIS_OK) {
        record_failure("unreadable reply: " + std::string(context->errstr));
        return;
      }
      if (raw == nullptr) break;
      const SubscriberReply reply(static_cast<redisReply*>(raw));
      if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2) {
        if (reply->type == REDIS_REPLY_ERROR) {
          record_failure("SUBSCRIBE refused: " + std::string(reply->str, reply->len));
          return;
        }
        continue;
      }
      const std::string_view kind = element_text(*reply, 0);
      if (kind == "message" && reply->elements == 3) {
        ++messages_;
        on_message_(element_text(*reply, 1), element_text(*reply, 2));
      } else if (kind == "subscribe") {
        if (++confirmed == channels_.size()) {
          waiting = false;
          const bool first = subscriptions_.fetch_add(1) == 0;
          subscribed_ = true;
          if (outage_logged_) {
            outage_logged_ = false;
            spdlog::info("cluster: subscription to {} is back", name_);
          }
          if (on_subscribed_) on_subscribed_(first);
        }
      } else if (kind == "pong") {
        ping_pending = false;
      }
    }

    const Clock::time_point now = Clock::now();
    if (waiting && now - waiting_since >= options_.reply_timeout) {
      record_failure("no reply to SUBSCRIBE within " +
                     std::to_string(options_.reply_timeout.count()) + " ms");
      return;
    }
    if (ping_pending && now - ping_sent >= options_.reply_timeout) {
      record_failure("no reply to PING within " + std::to_string(options_.reply_timeout.count()) +
                     " ms");
      return;
    }
    if (!ping_pending && !waiting && now - last_heard >= options_.ping_interval) {
      const char* ping[] = {"PING"};
      const std::size_t ping_length[] = {4};
      if (redisAppendCommandArgv(context, 1, ping, ping_length) != REDIS_OK || !send_pending()) {
        record_failure("cannot send PING: " + std::string(context->errstr));
        return;
      }
      ping_sent = now;
      ping_pending = true;
    }

    // Sleep until data, a stop, or the next deadline (a PING to send or an answer overdue).
    Clock::time_point next = last_heard + options_.ping_interval;
    if (ping_pending) next = ping_sent + options_.reply_timeout;
    if (waiting) next = waiting_since + options_.reply_timeout;
    std::array<pollfd, 2> descriptors{pollfd{context->fd, POLLIN, 0}, pollfd{wake_fd_, POLLIN, 0}};
    const int ready = ::poll(descriptors.data(), descriptors.size(), poll_timeout_ms(next - now));
    if (ready < 0 && errno != EINTR) {
      record_failure("poll failed: " + std::string(std::strerror(errno)));
      return;
    }
    if (stopping_ || descriptors[1].revents != 0) return;
    if (descriptors[0].revents != 0) {
      if (redisBufferRead(context) != REDIS_OK) {
        record_failure(context->err == REDIS_ERR_EOF
                           ? std::string("the server closed the connection")
                           : std::string(context->errstr));
        return;
      }
      last_heard = Clock::now();
    }
  }
}

}  // namespace callcast::cluster
