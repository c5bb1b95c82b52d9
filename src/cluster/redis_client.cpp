#include "cluster/redis_client.hpp"

#include <hiredis/hiredis.h>
#include <poll.h>

#include <charconv>
#include <cstring>
#include <memory>
#include <utility>

#include "cluster/redis_script.hpp"

namespace callcast::cluster {

namespace {

timeval to_timeval(std::chrono::milliseconds duration) {
  const auto ms = duration.count() > 0 ? duration.count() : 1;
  return timeval{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
}

// hiredis's reply tree, copied. Its reader caps nesting at 7 levels, so the recursion is bounded.
RedisReply copy_reply(const redisReply& reply) {
  RedisReply out;
  switch (reply.type) {
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::string;
      out.text.assign(reply.str, reply.len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::status;
      out.text.assign(reply.str, reply.len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = RedisReply::Type::error;
      out.text.assign(reply.str, reply.len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::integer;
      out.integer = reply.integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::array;
      out.elements.reserve(reply.elements);
      for (std::size_t i = 0; i < reply.elements; ++i)
        out.elements.push_back(copy_reply(*reply.element[i]));
      break;
    default:
      out.type = RedisReply::Type::nil;
      break;
  }
  return out;
}

struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using OwnedReply = std::unique_ptr<redisReply, ReplyDeleter>;

// The argument vector hiredis takes: pointers and lengths, so that values are binary-safe.
struct Argv {
  explicit Argv(std::span<const std::string> args) {
    pointers.reserve(args.size());
    lengths.reserve(args.size());
    for (const std::string& arg : args) {
      pointers.push_back(arg.data());
      lengths.push_back(arg.size());
    }
  }
  int count() const { return static_cast<int>(pointers.size()); }
  std::vector<const char*> pointers;
  std::vector<std::size_t> lengths;
};

std::vector<std::string> owned(std::initializer_list<std::string_view> argv) {
  return {argv.begin(), argv.end()};
}

// hiredis reports a socket timeout (SO_RCVTIMEO) as the EAGAIN it got from read().
bool is_timeout(const redisContext& context) {
  return context.err == REDIS_ERR_IO && (std::strstr(context.errstr, "temporarily unavailable") ||
                                         std::strstr(context.errstr, "timed out"));
}

std::string wrong_type(std::string_view expected, const RedisReply& reply) {
  std::string message =
      "expected " + std::string(expected) + ", got " + std::string(to_string(reply.type));
  if (reply.type == RedisReply::Type::status) message += " " + reply.text;
  return message;
}

}  // namespace

std::string_view to_string(RedisReply::Type type) {
  switch (type) {
    case RedisReply::Type::string:
      return "a string";
    case RedisReply::Type::array:
      return "an array";
    case RedisReply::Type::integer:
      return "an integer";
    case RedisReply::Type::nil:
      return "nil";
    case RedisReply::Type::status:
      return "a status";
    case RedisReply::Type::error:
      return "an error";
  }
  return "an unknown reply";
}

std::string command_label(std::span<const std::string> argv) {
  constexpr std::size_t kMaxKey = 80;
  if (argv.empty()) return "(empty command)";
  std::string label = argv[0];
  // SCAN's first argument is a cursor: the pattern says which keys were being listed.
  std::size_t subject = 1;
  if (label == "SCAN" || label == "scan") {
    for (std::size_t i = 2; i + 1 < argv.size(); ++i) {
      if (argv[i] == "MATCH" || argv[i] == "match") subject = i + 1;
    }
  }
  if (argv.size() > subject) {
    const std::string& key = argv[subject];
    label += " ";
    label += key.size() > kMaxKey ? key.substr(0, kMaxKey) + "..." : key;
  }
  return label;
}

std::optional<std::int64_t> parse_redis_integer(std::string_view text) {
  std::int64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc{} || ptr != end) return std::nullopt;
  return value;
}

RedisClient::RedisClient(core::HostPort server, RedisClientOptions options)
    : server_(std::move(server)), options_(options), name_("redis " + core::to_string(server_)) {}

RedisClient::~RedisClient() {
  disconnect();
}

void RedisClient::disconnect() {
  if (context_ != nullptr) redisFree(context_);
  context_ = nullptr;
}

std::string RedisClient::failure(std::string_view label, std::string_view why) const {
  return name_ + ": " + std::string(label) + ": " + std::string(why);
}

std::string RedisClient::fail_connection(std::string_view label, std::string_view why) {
  disconnect();
  ++failures_;
  return failure(label, why);
}

// In RESP2 the server speaks only when asked: an idle connection that reads as ready holds the
// end of the stream (the server restarted, or closed us: CLIENT KILL, timeout) or bytes out of
// step. Either way it is replaced before a command is lost on it.
bool RedisClient::closed_by_server() const {
  pollfd descriptor{context_->fd, POLLIN, 0};
  return ::poll(&descriptor, 1, 0) != 0;
}

Result<bool, std::string> RedisClient::ensure_connected(std::string_view label) {
  if (context_ != nullptr && closed_by_server()) disconnect();
  if (context_ != nullptr) return true;
  redisContext* context = redisConnectWithTimeout(server_.host.c_str(), server_.port,
                                                  to_timeval(options_.connect_timeout));
  if (context == nullptr) return fail(fail_connection(label, "cannot connect: out of memory"));
  if (context->err != 0) {
    std::string why = "cannot connect: " + std::string(context->errstr);
    redisFree(context);
    return fail(fail_connection(label, why));
  }
  if (redisSetTimeout(context, to_timeval(options_.command_timeout)) != REDIS_OK) {
    std::string why = "cannot set the command timeout: " + std::string(context->errstr);
    redisFree(context);
    return fail(fail_connection(label, why));
  }
  context_ = context;
  ++connects_;
  return true;
}

Result<bool, std::string> RedisClient::connect() {
  return ensure_connected("connect");
}

Result<RedisReply, std::string> RedisClient::run(std::span<const std::string> argv,
                                                 std::string_view label) {
  ++commands_;
  if (auto connected = ensure_connected(label); !connected) return fail(connected.error());
  Argv args(argv);
  OwnedReply reply(static_cast<redisReply*>(
      redisCommandArgv(context_, args.count(), args.pointers.data(), args.lengths.data())));
  if (reply == nullptr) {
    const std::string why =
        is_timeout(*context_)
            ? "no reply within " + std::to_string(options_.command_timeout.count()) + " ms"
            : (context_->err != 0 ? std::string(context_->errstr) : std::string("no reply"));
    return fail(fail_connection(label, why));
  }
  return copy_reply(*reply);
}

Result<RedisReply, std::string> RedisClient::command(std::span<const std::string> argv) {
  const std::string label = command_label(argv);
  auto reply = run(argv, label);
  if (!reply) return reply;
  if (reply->type == RedisReply::Type::error) {
    ++failures_;
    return fail(failure(label, reply->text));
  }
  return reply;
}

Result<RedisReply, std::string> RedisClient::command(std::initializer_list<std::string_view> argv) {
  const std::vector<std::string> args = owned(argv);
  return command(std::span<const std::string>(args));
}

Result<long long, std::string> RedisClient::integer(std::initializer_list<std::string_view> argv) {
  const std::vector<std::string> args = owned(argv);
  auto reply = command(std::span<const std::string>(args));
  if (!reply) return fail(reply.error());
  if (reply->type != RedisReply::Type::integer) {
    return fail(failure(command_label(args), wrong_type("an integer", *reply)));
  }
  return reply->integer;
}

Result<std::optional<std::string>, std::string> RedisClient::string_or_nil(
    std::initializer_list<std::string_view> argv) {
  const std::vector<std::string> args = owned(argv);
  auto reply = command(std::span<const std::string>(args));
  if (!reply) return fail(reply.error());
  if (reply->is_nil()) return std::optional<std::string>();
  if (reply->type != RedisReply::Type::string) {
    return fail(failure(command_label(args), wrong_type("a string or nil", *reply)));
  }
  return std::optional<std::string>(std::move(reply->text));
}

Result<bool, std::string> RedisClient::status_ok(std::initializer_list<std::string_view> argv) {
  const std::vector<std::string> args = owned(argv);
  auto reply = command(std::span<const std::string>(args));
  if (!reply) return fail(reply.error());
  if (!reply->is_status("OK")) return fail(failure(command_label(args), wrong_type("+OK", *reply)));
  return true;
}

Result<std::vector<std::string>, std::string> RedisClient::strings(
    std::initializer_list<std::string_view> argv) {
  const std::vector<std::string> args = owned(argv);
  auto reply = command(std::span<const std::string>(args));
  if (!reply) return fail(reply.error());
  if (reply->type != RedisReply::Type::array) {
    return fail(failure(command_label(args), wrong_type("an array", *reply)));
  }
  std::vector<std::string> out;
  out.reserve(reply->elements.size());
  for (RedisReply& element : reply->elements) {
    if (element.type != RedisReply::Type::string) {
      return fail(failure(command_label(args), wrong_type("an array of strings", element)));
    }
    out.push_back(std::move(element.text));
  }
  return out;
}

Result<std::vector<RedisReply>, std::string> RedisClient::pipeline(
    std::span<const std::vector<std::string>> commands) {
  if (commands.empty()) return std::vector<RedisReply>();
  const std::string label =
      command_label(commands.front()) +
      (commands.size() > 1 ? " (and " + std::to_string(commands.size() - 1) + " more, pipelined)"
                           : "");
  commands_ += commands.size();
  if (auto connected = ensure_connected(label); !connected) return fail(connected.error());
  for (const std::vector<std::string>& command : commands) {
    Argv args(command);
    if (redisAppendCommandArgv(context_, args.count(), args.pointers.data(), args.lengths.data()) !=
        REDIS_OK) {
      return fail(
          fail_connection(label, "cannot queue the command: " + std::string(context_->errstr)));
    }
  }
  std::vector<RedisReply> replies;
  replies.reserve(commands.size());
  for (std::size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) {
      const std::string why =
          is_timeout(*context_)
              ? "no reply within " + std::to_string(options_.command_timeout.count()) + " ms"
              : std::string(context_->errstr);
      return fail(fail_connection(label, why));
    }
    const OwnedReply reply(static_cast<redisReply*>(raw));
    replies.push_back(copy_reply(*reply));
  }
  return replies;
}

Result<RedisReply, std::string> RedisClient::eval(const RedisScript& script,
                                                  std::span<const std::string> keys,
                                                  std::span<const std::string> args) {
  std::vector<std::string> argv;
  argv.reserve(3 + keys.size() + args.size());
  argv.emplace_back("EVALSHA");
  argv.push_back(script.sha1());
  argv.push_back(std::to_string(keys.size()));
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  const std::string label = "EVALSHA " + script.name();
  auto reply = run(argv, label);
  if (!reply) return reply;
  if (reply->type == RedisReply::Type::error && reply->text.starts_with("NOSCRIPT")) {
    // Redis lost its script cache (restart, SCRIPT FLUSH): EVAL sends the body and caches it.
    argv[0] = "EVAL";
    argv[1] = script.source();
    reply = run(argv, "EVAL " + script.name());
    if (!reply) return reply;
  }
  if (reply->type == RedisReply::Type::error) {
    ++failures_;
    return fail(failure(label, reply->text));
  }
  return reply;
}

}  // namespace callcast::cluster
