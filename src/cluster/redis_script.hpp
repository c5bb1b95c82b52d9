#pragma once
// A Lua script run by Redis atomically (EVAL), for the cluster's compare-and-set steps: claim a
// group only if nobody holds it, release or renew it only as its owner, clear a forwarding rule
// only while it still points where it did. Identified by its SHA-1 so that RedisClient::eval
// sends the body only when Redis does not hold it yet.
#include <string>
#include <string_view>

namespace callcast::cluster {

class RedisScript {
 public:
  // `name` is how errors name the script ("EVALSHA group-claim"); `source` its Lua text.
  RedisScript(std::string name, std::string source);

  const std::string& name() const { return name_; }
  const std::string& source() const { return source_; }
  const std::string& sha1() const { return sha1_; }  // 40 lowercase hex digits

 private:
  std::string name_;
  std::string source_;
  std::string sha1_;
};

}  // namespace callcast::cluster
