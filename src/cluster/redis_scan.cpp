#include "cluster/redis_scan.hpp"

#include <algorithm>
#include <set>

namespace callcast::cluster {

Result<std::vector<std::string>, std::string> scan_keys(RedisClient& redis,
                                                        std::string_view pattern, std::size_t count,
                                                        std::size_t max_rounds) {
  std::set<std::string, std::less<>> found;
  std::string cursor = "0";
  const std::string count_text = std::to_string(std::max<std::size_t>(count, 1));
  for (std::size_t round = 0; round < max_rounds; ++round) {
    auto reply = redis.command({"SCAN", cursor, "MATCH", pattern, "COUNT", count_text});
    if (!reply) return fail(reply.error());
    // [cursor, [key, ...]]
    if (reply->type != RedisReply::Type::array || reply->elements.size() != 2 ||
        reply->elements[0].type != RedisReply::Type::string ||
        reply->elements[1].type != RedisReply::Type::array) {
      return fail(redis.server_name() + ": SCAN " + std::string(pattern) +
                  ": the reply is not [cursor, keys]");
    }
    for (RedisReply& key : reply->elements[1].elements) {
      if (key.type == RedisReply::Type::string) found.insert(std::move(key.text));
    }
    cursor = std::move(reply->elements[0].text);
    if (cursor == "0") return std::vector<std::string>(found.begin(), found.end());
  }
  return fail(redis.server_name() + ": SCAN " + std::string(pattern) + ": not done after " +
              std::to_string(max_rounds) + " rounds");
}

}  // namespace callcast::cluster
